#ifndef BERTH_LIB_DOCKER_JSON_ESCAPE_H_
#define BERTH_LIB_DOCKER_JSON_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace berth {

// Appends `data` as the body of a JSON string the way Go's encoder writes
// it (dockerd's responses and json-file logs): control characters and
// <, >, & escaped, invalid UTF-8 replaced by U+FFFD. No quotes.
void AppendJsonEscaped(absl::string_view data, std::string* out);

// The same, in quotes.
inline void AppendJsonString(absl::string_view data, std::string* out) {
  out->push_back('"');
  AppendJsonEscaped(data, out);
  out->push_back('"');
}

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_JSON_ESCAPE_H_
