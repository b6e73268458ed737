#include "services/runtime/user.h"

#include <limits>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/runtime/in_root.h"

namespace berth::runtime {
namespace {

// moby/sys/user accepts ids up to 2^31-1.
constexpr uint32_t kMaxId = std::numeric_limits<int32_t>::max();

std::optional<uint32_t> ParseId(absl::string_view text) {
  uint32_t id = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &id) || id > kMaxId) {
    return std::nullopt;
  }
  // SimpleAtoi takes "+1" and " 1"; an id is digits only.
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return id;
}

// A missing file counts as empty, as in Docker; any other failure (a
// symlink escaping the rootfs, a directory) is an error.
absl::StatusOr<std::string> ReadOptional(const std::string& rootfs,
                                         const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileInRoot(rootfs, path);
  if (!text.ok() && absl::IsNotFound(text.status())) return std::string();
  if (!text.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read ", path, " in the container: ", text.status().message()));
  }
  return text;
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ':');
    if (fields.size() < 4) continue;
    std::optional<uint32_t> uid = ParseId(fields[2]);
    std::optional<uint32_t> gid = ParseId(fields[3]);
    if (!uid || !gid) continue;
    PasswdEntry entry;
    entry.name = std::string(fields[0]);
    entry.uid = *uid;
    entry.gid = *gid;
    if (fields.size() > 5) entry.home = std::string(fields[5]);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ':');
    if (fields.size() < 3) continue;
    std::optional<uint32_t> gid = ParseId(fields[2]);
    if (!gid) continue;
    GroupEntry entry;
    entry.name = std::string(fields[0]);
    entry.gid = *gid;
    if (fields.size() > 3) {
      for (absl::string_view member :
           absl::StrSplit(fields[3], ',', absl::SkipWhitespace())) {
        entry.members.emplace_back(member);
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs,
                                         absl::string_view user) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(user, absl::MaxSplits(':', 1));
  absl::string_view user_arg = parts.first;
  absl::string_view group_arg = parts.second;
  if (user.find(':') != absl::string_view::npos && group_arg.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid user \"", user, "\": empty group"));
  }
  std::optional<uint32_t> uid_arg = ParseId(user_arg);

  absl::StatusOr<std::string> passwd = ReadOptional(rootfs, "/etc/passwd");
  if (!passwd.ok()) return passwd.status();
  ResolvedUser out;
  std::string user_name;
  const PasswdEntry* match = nullptr;
  std::vector<PasswdEntry> users = ParsePasswd(*passwd);
  for (const PasswdEntry& entry : users) {
    bool hit = user_arg.empty() ? entry.uid == 0
               : uid_arg        ? entry.uid == *uid_arg
                                : entry.name == user_arg;
    if (hit) {
      match = &entry;  // the first match wins, as in Docker
      break;
    }
  }
  if (match != nullptr) {
    out.uid = match->uid;
    out.gid = match->gid;
    if (!match->home.empty()) out.home = match->home;
    user_name = match->name;
  } else if (!user_arg.empty()) {
    if (!uid_arg) {
      return absl::NotFoundError(
          absl::StrCat("unable to find user ", user_arg,
                       ": no matching entries in passwd file"));
    }
    out.uid = *uid_arg;
  }

  if (group_arg.empty() && user_name.empty()) return out;
  absl::StatusOr<std::string> group = ReadOptional(rootfs, "/etc/group");
  if (!group.ok()) return group.status();
  std::vector<GroupEntry> groups = ParseGroup(*group);
  if (!group_arg.empty()) {
    for (const GroupEntry& entry : groups) {
      // As in Docker, a group name wins over the same digits as a gid.
      if (entry.name == group_arg) {
        out.gid = entry.gid;
        return out;
      }
    }
    std::optional<uint32_t> gid_arg = ParseId(group_arg);
    if (!gid_arg) {
      return absl::NotFoundError(
          absl::StrCat("unable to find group ", group_arg,
                       ": no matching entries in group file"));
    }
    out.gid = *gid_arg;
    return out;
  }
  for (const GroupEntry& entry : groups) {
    for (const std::string& member : entry.members) {
      if (member == user_name) {
        out.additional_gids.push_back(entry.gid);
        break;
      }
    }
  }
  return out;
}

}  // namespace berth::runtime
