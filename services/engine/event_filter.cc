#include "services/engine/event_filter.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth {
namespace {

constexpr const char* kKeys[] = {
    "type",   "event", "container", "image", "label",   "daemon", "network",
    "volume", "scope", "plugin",    "node",  "service", "secret", "config"};

std::string Attribute(const v1::Event& event, const std::string& key) {
  auto it = event.attributes().find(key);
  return it == event.attributes().end() ? "" : it->second;
}

// An object matches by full or leading part of its ID, or by its name.
bool MatchesObject(const v1::Event& event, const std::string& value) {
  return (!value.empty() && absl::StartsWith(event.id(), value)) ||
         Attribute(event, "name") == value;
}

// Docker compares images without a ":latest" the user may have left off.
bool SameImage(const std::string& a, const std::string& b) {
  auto norm = [](const std::string& s) {
    return absl::EndsWith(s, ":latest") ? s.substr(0, s.size() - 7) : s;
  };
  return !a.empty() && norm(a) == norm(b);
}

bool MatchesValue(const std::string& key, const std::string& value,
                  const v1::Event& event) {
  if (key == "type") return event.type() == value;
  if (key == "event") {
    // Exec events carry their command after the name ("exec_start: sh").
    std::string action = event.action().substr(0, event.action().find(':'));
    return action == value;
  }
  if (key == "scope") return value == "local";
  if (key == "label") {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(value, absl::MaxSplits('=', 1));
    auto it = event.attributes().find(kv.first);
    if (it == event.attributes().end()) return false;
    return value.find('=') == std::string::npos || it->second == kv.second;
  }
  if (key == "image") {
    if (event.type() == "image") return MatchesObject(event, value);
    return SameImage(Attribute(event, "image"), value) ||
           SameImage(event.from(), value);
  }
  // container, daemon, network, volume, plugin, node, service, ...
  return event.type() == key && MatchesObject(event, value);
}

}  // namespace

absl::StatusOr<EventFilter> EventFilter::Create(
    const google::protobuf::Map<std::string, v1::FilterValues>& filters) {
  EventFilter filter;
  for (const auto& [key, values] : filters) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "'"));
    }
    if (values.values().empty()) continue;
    filter.filters_[key] = {values.values().begin(), values.values().end()};
  }
  return filter;
}

bool EventFilter::Matches(const v1::Event& event) const {
  for (const auto& [key, values] : filters_) {
    bool any = std::any_of(values.begin(), values.end(),
                           [&](const std::string& value) {
                             return MatchesValue(key, value, event);
                           });
    if (!any) return false;
  }
  return true;
}

}  // namespace berth
