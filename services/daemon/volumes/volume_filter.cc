#include "services/daemon/volumes/volume_filter.h"

#include <algorithm>
#include <regex>

#include "absl/strings/str_cat.h"

namespace berth {
namespace {

std::vector<std::string> Values(const VolumeFilter::Filters& filters,
                                const std::string& key) {
  auto it = filters.find(key);
  if (it == filters.end()) return {};
  return {it->second.values().begin(), it->second.values().end()};
}

absl::Status CheckKeys(const VolumeFilter::Filters& filters,
                       std::initializer_list<const char*> accepted) {
  for (const auto& [key, values] : filters) {
    if (std::none_of(accepted.begin(), accepted.end(),
                     [&key = key](const char* a) { return key == a; })) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "'"));
    }
  }
  return absl::OkStatus();
}

// Go's strconv.ParseBool, which dockerd uses for boolean filters.
std::optional<bool> ParseGoBool(const std::string& value) {
  for (const char* yes : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (value == yes) return true;
  }
  for (const char* no : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (value == no) return false;
  }
  return std::nullopt;
}

// Docker's label test: "key" needs the label, "key=value" that value too.
bool HasLabel(const v1::Volume& volume, const std::string& filter) {
  size_t eq = filter.find('=');
  std::string key = filter.substr(0, eq);
  auto it = volume.labels().find(key);
  if (it == volume.labels().end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

bool HasAllLabels(const v1::Volume& volume,
                  const std::vector<std::string>& filters) {
  return std::all_of(
      filters.begin(), filters.end(),
      [&volume](const std::string& f) { return HasLabel(volume, f); });
}

// dockerd's name filter: the name itself, or an unanchored regular
// expression found in it; a pattern that does not compile matches nothing.
bool NameMatches(const std::string& pattern, const std::string& name) {
  if (pattern == name) return true;
  try {
    return std::regex_search(name, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace

absl::StatusOr<VolumeFilter> VolumeFilter::ForList(const Filters& filters) {
  absl::Status keys =
      CheckKeys(filters, {"dangling", "driver", "label", "name"});
  if (!keys.ok()) return keys;
  VolumeFilter filter;
  for (const std::string& value : Values(filters, "dangling")) {
    std::optional<bool> dangling;
    if (value == "true" || value == "1") dangling = true;
    if (value == "false" || value == "0") dangling = false;
    if (!dangling) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid filter 'dangling=", value, "': want true, false, 1 or 0"));
    }
    filter.dangling_ = dangling;
  }
  filter.drivers_ = Values(filters, "driver");
  filter.names_ = Values(filters, "name");
  filter.labels_ = Values(filters, "label");
  return filter;
}

absl::StatusOr<VolumeFilter> VolumeFilter::ForPrune(const Filters& filters) {
  absl::Status keys = CheckKeys(filters, {"label", "label!", "all"});
  if (!keys.ok()) return keys;
  VolumeFilter filter;
  filter.dangling_ = true;
  filter.anonymous_only_ = true;
  std::vector<std::string> all = Values(filters, "all");
  if (all.size() > 1) {
    return absl::InvalidArgumentError(
        "invalid filter 'all': give it one value, true or false");
  }
  if (!all.empty()) {
    std::optional<bool> value = ParseGoBool(all[0]);
    if (!value) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter 'all=", all[0], "': want a boolean"));
    }
    filter.anonymous_only_ = !*value;
  }
  filter.labels_ = Values(filters, "label");
  filter.not_labels_ = Values(filters, "label!");
  return filter;
}

bool VolumeFilter::Matches(const v1::Volume& volume, bool in_use) const {
  if (dangling_ && *dangling_ == in_use) return false;
  if (anonymous_only_ && !volume.labels().contains(kAnonymousVolumeLabel)) {
    return false;
  }
  if (!drivers_.empty() && std::find(drivers_.begin(), drivers_.end(),
                                     volume.driver()) == drivers_.end()) {
    return false;
  }
  if (!names_.empty() &&
      std::none_of(names_.begin(), names_.end(), [&volume](const auto& p) {
        return NameMatches(p, volume.name());
      })) {
    return false;
  }
  if (!HasAllLabels(volume, labels_)) return false;
  // label!=a label!=b spares a volume that has both, as dockerd does.
  if (!not_labels_.empty() && HasAllLabels(volume, not_labels_)) return false;
  return true;
}

}  // namespace berth
