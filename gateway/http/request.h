#ifndef BERTH_GATEWAY_HTTP_REQUEST_H_
#define BERTH_GATEWAY_HTTP_REQUEST_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::gateway {

// Header fields in wire order. A vector rather than a map because HTTP
// allows repeated fields and the order matters for some of them.
using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as a handler sees it. The server fills method, target,
// headers, body and remote; the router fills path, api_version, query and
// params while dispatching.
struct Request {
  std::string method;
  // The request target exactly as received, e.g.
  // "/v1.43/containers/json?all=1".
  std::string target;
  // URL-decoded, query stripped, API version prefix stripped.
  std::string path;
  // "1.43" if the target had a /v1.43/ prefix, else "".
  std::string api_version;
  // The version to serve: api_version, or the router's maximum when the
  // target had no prefix.
  std::string effective_api_version;
  // URL-decoded; repeated keys keep every value in order.
  absl::flat_hash_map<std::string, std::vector<std::string>> query;
  Headers headers;
  // The whole body, read before the handler runs; empty for routes added
  // with `stream_body`, whose handlers pull it through ReadBody instead.
  std::string body;
  // Reads the next part of a streamed body into `buf`; 0 at its end.
  std::function<absl::StatusOr<size_t>(char* buf, size_t n)> read_body;
  // Path parameters captured by the route pattern, e.g. {"id": "abc"}.
  absl::flat_hash_map<std::string, std::string> params;
  // Peer address: "ip:port" for TCP, "@" for unix sockets (as dockerd logs it).
  std::string remote;

  // First value of the header `name`, compared case-insensitively, or "".
  std::string Header(absl::string_view name) const;
  bool HasHeader(absl::string_view name) const;

  // First value of the query parameter `name`, or `default_value` if absent.
  std::string Query(absl::string_view name,
                    absl::string_view default_value = "") const;
  bool HasQuery(absl::string_view name) const;
  // Docker's boolean form values: absent, "", "0", "no", "false" and "none"
  // (any case, surrounding spaces ignored) are false; anything else is true.
  bool QueryBool(absl::string_view name) const;
  // The path parameter `name`, or "" if the route has none by that name.
  std::string Param(absl::string_view name) const;
};

// Percent-decodes `in`. With `plus_is_space` a '+' becomes ' ' (form
// encoding, used in query strings but not in paths). Returns false on a
// malformed escape.
bool UrlDecode(absl::string_view in, bool plus_is_space, std::string* out);

// Parses "a=1&b=x%20y&a=2" into `out`, appending values. Pairs with a
// malformed escape are skipped, as Go's url.Query() does, since dockerd's
// handlers never saw them either.
void ParseQueryString(
    absl::string_view query,
    absl::flat_hash_map<std::string, std::vector<std::string>>* out);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_REQUEST_H_
