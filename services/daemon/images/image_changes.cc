#include "services/daemon/images/image_changes.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth {
namespace {

// Splits "k=v k2=\"a b\"" into words, honouring double quotes and
// backslash escapes the way Dockerfile key=value lists do.
std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false, quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      current.push_back(text[++i]);
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && absl::ascii_isspace(c)) {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

// The exec form (a JSON array of strings) or the shell form.
nlohmann::json CommandOf(absl::string_view rest) {
  nlohmann::json parsed = nlohmann::json::parse(rest, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_array()) {
    bool strings = true;
    for (const auto& item : parsed) strings = strings && item.is_string();
    if (strings) return parsed;
  }
  return nlohmann::json::array({"/bin/sh", "-c", std::string(rest)});
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KeyValues(
    absl::string_view instruction, absl::string_view rest) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> words = Words(rest);
  if (words.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(instruction, " requires at least one argument"));
  }
  // The legacy form "ENV KEY VALUE WITH SPACES".
  if (words[0].find('=') == std::string::npos) {
    size_t space = rest.find_first_of(" \t");
    if (space == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(instruction, " ", rest, ": want KEY=VALUE"));
    }
    out.push_back(
        {std::string(rest.substr(0, space)),
         std::string(absl::StripAsciiWhitespace(rest.substr(space)))});
    return out;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(instruction, " ", word, ": want KEY=VALUE"));
    }
    out.push_back({word.substr(0, eq), word.substr(eq + 1)});
  }
  return out;
}

}  // namespace

absl::Status ApplyImageChanges(const std::vector<std::string>& changes,
                               nlohmann::json& config) {
  if (!config.is_object()) config = nlohmann::json::object();
  for (const std::string& change : changes) {
    absl::string_view line = absl::StripAsciiWhitespace(change);
    if (line.empty()) continue;
    size_t space = line.find_first_of(" \t");
    std::string instruction = absl::AsciiStrToUpper(line.substr(0, space));
    absl::string_view rest =
        space == absl::string_view::npos
            ? ""
            : absl::StripAsciiWhitespace(line.substr(space));
    if (instruction == "CMD") {
      config["Cmd"] = CommandOf(rest);
    } else if (instruction == "ENTRYPOINT") {
      config["Entrypoint"] = CommandOf(rest);
    } else if (instruction == "ENV") {
      absl::StatusOr<std::vector<std::pair<std::string, std::string>>> pairs =
          KeyValues(instruction, rest);
      if (!pairs.ok()) return pairs.status();
      nlohmann::json& env = config["Env"];
      if (!env.is_array()) env = nlohmann::json::array();
      for (const auto& [key, value] : *pairs) {
        std::string entry = absl::StrCat(key, "=", value);
        bool replaced = false;
        for (auto& existing : env) {
          if (existing.is_string() &&
              absl::StartsWith(existing.get<std::string>(), key + "=")) {
            existing = entry;
            replaced = true;
          }
        }
        if (!replaced) env.push_back(entry);
      }
    } else if (instruction == "LABEL") {
      absl::StatusOr<std::vector<std::pair<std::string, std::string>>> pairs =
          KeyValues(instruction, rest);
      if (!pairs.ok()) return pairs.status();
      nlohmann::json& labels = config["Labels"];
      if (!labels.is_object()) labels = nlohmann::json::object();
      for (const auto& [key, value] : *pairs) labels[key] = value;
    } else if (instruction == "EXPOSE") {
      nlohmann::json& ports = config["ExposedPorts"];
      if (!ports.is_object()) ports = nlohmann::json::object();
      for (absl::string_view port :
           absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
        std::string spec(port);
        if (spec.find('/') == std::string::npos) spec += "/tcp";
        ports[spec] = nlohmann::json::object();
      }
    } else if (instruction == "VOLUME") {
      nlohmann::json& volumes = config["Volumes"];
      if (!volumes.is_object()) volumes = nlohmann::json::object();
      nlohmann::json list = nlohmann::json::parse(rest, nullptr, false);
      if (list.is_discarded() || !list.is_array()) {
        list = nlohmann::json::array();
        for (absl::string_view path :
             absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
          list.push_back(std::string(path));
        }
      }
      for (const auto& path : list) {
        if (path.is_string())
          volumes[path.get<std::string>()] = nlohmann::json::object();
      }
    } else if (instruction == "USER" || instruction == "WORKDIR" ||
               instruction == "STOPSIGNAL") {
      if (rest.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(instruction, " requires an argument"));
      }
      const char* key = instruction == "USER"      ? "User"
                        : instruction == "WORKDIR" ? "WorkingDir"
                                                   : "StopSignal";
      config[key] = std::string(rest);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(instruction, " is not a valid change command"));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth
