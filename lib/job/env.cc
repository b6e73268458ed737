#include "lib/job/env.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace berth {
namespace {

absl::string_view KeyOf(absl::string_view entry) {
  return entry.substr(0, entry.find('='));
}

}  // namespace

Env::Env(std::vector<std::string> entries) {
  // Later entries win, as in a process environment.
  for (const std::string& entry : entries) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      Set(entry, "");
    } else {
      Set(absl::string_view(entry).substr(0, eq),
          absl::string_view(entry).substr(eq + 1));
    }
  }
}

int Env::Find(absl::string_view key) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (KeyOf(entries_[i]) == key) return static_cast<int>(i);
  }
  return -1;
}

bool Env::Exists(absl::string_view key) const { return Find(key) >= 0; }

std::string Env::Get(absl::string_view key) const {
  int i = Find(key);
  if (i < 0) return "";
  return entries_[i].substr(key.size() + 1);
}

void Env::Set(absl::string_view key, absl::string_view value) {
  std::string entry = absl::StrCat(key, "=", value);
  int i = Find(key);
  if (i < 0) {
    entries_.push_back(std::move(entry));
  } else {
    entries_[i] = std::move(entry);
  }
}

bool Env::GetBool(absl::string_view key) const {
  std::string value =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(Get(key)));
  return !(value.empty() || value == "0" || value == "no" || value == "false" ||
           value == "none");
}

void Env::SetBool(absl::string_view key, bool value) {
  Set(key, value ? "1" : "0");
}

absl::StatusOr<int64_t> Env::GetInt(absl::string_view key,
                                    int64_t fallback) const {
  if (!Exists(key)) return fallback;
  std::string value = Get(key);
  int64_t out;
  if (!absl::SimpleAtoi(value, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("env ", key, "=", value, " is not an integer"));
  }
  return out;
}

void Env::SetInt(absl::string_view key, int64_t value) {
  Set(key, absl::StrCat(value));
}

absl::StatusOr<std::vector<std::string>> Env::GetList(
    absl::string_view key) const {
  if (!Exists(key)) return std::vector<std::string>{};
  std::string value = Get(key);
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return std::vector<std::string>{value};
  }
  std::vector<std::string> out;
  for (const nlohmann::json& item : parsed) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("env ", key, " is not a list of strings: ", value));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

void Env::SetList(absl::string_view key,
                  const std::vector<std::string>& value) {
  Set(key, nlohmann::json(value).dump());
}

absl::StatusOr<nlohmann::json> Env::GetJson(absl::string_view key) const {
  if (!Exists(key)) return nlohmann::json();
  std::string value = Get(key);
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("env ", key, " is not valid JSON: ", value));
  }
  return parsed;
}

void Env::SetJson(absl::string_view key, const nlohmann::json& value) {
  Set(key, value.dump());
}

}  // namespace berth
