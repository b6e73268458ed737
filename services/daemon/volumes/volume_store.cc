#include "services/daemon/volumes/volume_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/daemon/graphdriver/fs_util.h"
#include "services/daemon/volumes/local_mount.h"

namespace berth {
namespace {

constexpr char kDriver[] = "local";
constexpr char kMetadataFile[] = "volume.json";
constexpr char kTmpPrefix[] = ".tmp-";
constexpr char kTrashPrefix[] = ".trash-";
// Inside _data while a copy-up runs: the image content is copied whole
// into it, then its entries are renamed up (a volume may be a mount, so
// the copy cannot be staged anywhere else on the same filesystem).
constexpr char kCopyUpPrefix[] = ".berth-copyup-";
// What dockerd prints as the allowed pattern.
constexpr char kNameChars[] = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

// `bytes` random bytes as lower-case hex.
std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < raw.size()) {
    ssize_t n = getrandom(raw.data() + filled, raw.size() - filled, 0);
    // getrandom only fails on a bad buffer or EINTR; retry the latter.
    if (n > 0) filled += n;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool AlnumChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Docker's restricted name pattern, [a-zA-Z0-9][a-zA-Z0-9_.-]+: at least
// two characters, and none that could leave the volumes directory.
bool ValidName(const std::string& name) {
  if (name.size() < 2 || !AlnumChar(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(), [](char c) {
    return AlnumChar(c) || c == '_' || c == '.' || c == '-';
  });
}

// dockerd's OpErr text: "OP NAME: MESSAGE".
std::string OpMessage(absl::string_view op, absl::string_view name,
                      absl::string_view message) {
  return absl::StrCat(op, " ", name, ": ", message);
}

absl::Status ValidateNameFor(absl::string_view op, const std::string& name) {
  if (ValidName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(OpMessage(
      op, name,
      absl::StrCat("\"", name,
                   "\" includes invalid characters for a local volume name, "
                   "only \"",
                   kNameChars,
                   "\" are allowed. If you intended to pass a host "
                   "directory, use absolute path")));
}

// The local driver's options, checked as dockerd checks them.
absl::Status ValidateOptions(const std::string& name, const StringMap& opts) {
  for (const auto& [key, value] : opts) {
    if (key != "type" && key != "device" && key != "o" && key != "size") {
      return absl::InvalidArgumentError(OpMessage(
          "create", name,
          absl::StrCat("invalid option: \"", key,
                       "\" (the local driver takes type, device and o)")));
    }
  }
  auto size = opts.find("size");
  if (size != opts.end() && !size->second.empty() && size->second != "0") {
    return absl::InvalidArgumentError(
        OpMessage("create", name,
                  "quota size requested but no quota support: berth's "
                  "local driver has no size option; for a size-limited "
                  "volume use -o type=tmpfs -o device=tmpfs -o o=size=..."));
  }
  // Each option needs these others.
  static const std::pair<const char*, std::vector<const char*>> kNeeds[] = {
      {"device", {"type"}}, {"type", {"device"}}, {"o", {"device", "type"}}};
  for (const auto& [option, needs] : kNeeds) {
    if (!opts.contains(option)) continue;
    for (const char* need : needs) {
      if (!opts.contains(need)) {
        return absl::InvalidArgumentError(
            OpMessage("create", name,
                      absl::StrCat("missing required option: \"", need, "\"")));
      }
    }
  }
  return absl::OkStatus();
}

bool NeedsMount(const v1::Volume& volume) {
  auto type = volume.options().find("type");
  auto device = volume.options().find("device");
  return (type != volume.options().end() && !type->second.empty()) ||
         (device != volume.options().end() && !device->second.empty());
}

std::string Option(const v1::Volume& volume, const std::string& key) {
  auto it = volume.options().find(key);
  return it == volume.options().end() ? "" : it->second;
}

// Docker writes CreatedAt with RFC 3339 to the second.
std::string FormatCreatedAt(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string MetadataJson(const v1::Volume& volume) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [key, value] : volume.labels()) labels[key] = value;
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [key, value] : volume.options()) options[key] = value;
  return nlohmann::json{{"Name", volume.name()},
                        {"Driver", volume.driver()},
                        {"Labels", labels},
                        {"Options", options},
                        {"CreatedAt", volume.created_at()}}
             .dump(2) +
         "\n";
}

absl::Status CopyStringMap(
    const nlohmann::json& in,
    google::protobuf::Map<std::string, std::string>* out) {
  if (in.is_null()) return absl::OkStatus();
  if (!in.is_object()) return absl::DataLossError("not a JSON object");
  for (const auto& [key, value] : in.items()) {
    if (!value.is_string()) {
      return absl::DataLossError(
          absl::StrCat("value of ", key, " is not a string"));
    }
    (*out)[key] = value.get<std::string>();
  }
  return absl::OkStatus();
}

// The names in `dir`, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    return ErrnoStatus(errno, absl::StrCat("open directory ", dir));
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* entry = readdir(handle);
    if (entry == nullptr) break;
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int err = errno;
  closedir(handle);
  if (err != 0) return ErrnoStatus(err, absl::StrCat("read directory ", dir));
  return names;
}

void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

// Whether anything is mounted at or below `dir`. Deleting a directory with
// a bind mount of the same filesystem inside would delete the bind's
// source: RemoveTree only notices mounts of other filesystems.
absl::StatusOr<bool> MountedUnder(const std::string& dir) {
  char real[PATH_MAX];
  if (realpath(dir.c_str(), real) == nullptr) {
    if (errno == ENOENT) return false;
    return ErrnoStatus(errno, absl::StrCat("resolve ", dir));
  }
  std::string prefix = absl::StrCat(real, "/");
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> points, ListMountPoints());
  return std::any_of(points.begin(), points.end(), [&](const std::string& p) {
    return p == real || absl::StartsWith(p, prefix);
  });
}

// Deletes a detached (.tmp-* or .trash-*) volume directory, unless
// something is still mounted in it; then it stays, logged, for the next
// start to retry.
void RemoveDetached(const std::string& dir) {
  absl::StatusOr<bool> mounted = MountedUnder(dir);
  if (!mounted.ok() || *mounted) {
    LOG(ERROR) << "not removing " << dir << ": "
               << (mounted.ok() ? "something is still mounted in it"
                                : mounted.status().ToString());
    return;
  }
  absl::Status removed = RemoveTree(dir);
  if (!removed.ok()) LOG(WARNING) << "removing " << dir << ": " << removed;
}

}  // namespace

VolumeStore::VolumeStore(std::string root, MountOps* mounts)
    : root_(std::move(root)),
      mounts_(mounts != nullptr ? mounts : &system_mounts_) {}

std::string VolumeStore::VolumeDir(const std::string& name) const {
  return absl::StrCat(root_, "/", name);
}

std::string VolumeStore::DataDir(const std::string& name) const {
  return absl::StrCat(root_, "/", name, "/_data");
}

absl::Status VolumeStore::Restore() {
  // 0701, as dockerd: others may pass through to a volume's _data (a
  // container user that is not root) but not list the volumes.
  BERTH_RETURN_IF_ERROR(MakeDirs(root_, 0701));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root_));
  absl::flat_hash_map<std::string, Entry> loaded;
  for (const std::string& name : names) {
    std::string dir = VolumeDir(name);
    if (absl::StartsWith(name, kTmpPrefix) ||
        absl::StartsWith(name, kTrashPrefix)) {
      LOG(INFO) << "removing " << dir << ", left by an interrupted "
                << (absl::StartsWith(name, kTmpPrefix) ? "creation"
                                                       : "removal");
      RemoveDetached(dir);
      continue;
    }
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (!ValidName(name)) {
      LOG(WARNING) << "ignoring " << dir << ": not a valid volume name";
      continue;
    }
    absl::StatusOr<Entry> entry = Load(name);
    if (!entry.ok()) {
      LOG(ERROR) << "ignoring volume " << name << ": " << entry.status();
      continue;
    }
    if (NeedsMount(entry->volume)) {
      absl::StatusOr<bool> mounted = IsMountPoint(DataDir(name));
      // Still mounted from before the restart: its users will acquire it
      // again, and the last release unmounts it.
      entry->mounted = mounted.ok() && *mounted;
    }
    loaded.emplace(name, *std::move(entry));
  }
  absl::MutexLock lock(&mu_);
  volumes_ = std::move(loaded);
  LOG(INFO) << "volume store: " << volumes_.size() << " volume(s) in " << root_;
  return absl::OkStatus();
}

absl::StatusOr<VolumeStore::Entry> VolumeStore::Load(const std::string& name) {
  Entry entry;
  v1::Volume& volume = entry.volume;
  volume.set_name(name);
  volume.set_driver(kDriver);
  volume.set_mountpoint(DataDir(name));
  volume.set_scope("local");
  std::string path = absl::StrCat(VolumeDir(name), "/", kMetadataFile);
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok() && absl::IsNotFound(text.status())) {
    // A directory someone put there (or copied from another host): adopt
    // it as a plain volume, as dockerd does, rather than hide its data.
    struct stat st;
    if (stat(VolumeDir(name).c_str(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", VolumeDir(name)));
    }
    volume.set_created_at(FormatCreatedAt(absl::TimeFromTimespec(st.st_ctim)));
    BERTH_RETURN_IF_ERROR(MakeDirs(DataDir(name), 0755));
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, MetadataJson(volume), 0600));
    LOG(INFO) << "adopted " << VolumeDir(name) << " as volume " << name;
    return entry;
  }
  if (!text.ok()) return text.status();
  nlohmann::json meta = nlohmann::json::parse(*text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) {
    return absl::DataLossError(absl::StrCat(path, " is not a JSON object"));
  }
  auto name_field = meta.find("Name");
  if (name_field == meta.end() || !name_field->is_string() ||
      name_field->get<std::string>() != name) {
    return absl::DataLossError(
        absl::StrCat(path, " does not name the volume ", name));
  }
  auto created = meta.find("CreatedAt");
  if (created != meta.end() && created->is_string()) {
    volume.set_created_at(created->get<std::string>());
  }
  absl::Status status = CopyStringMap(meta.value("Labels", nlohmann::json()),
                                      volume.mutable_labels());
  if (status.ok()) {
    status = CopyStringMap(meta.value("Options", nlohmann::json()),
                           volume.mutable_options());
  }
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", status.message()));
  }
  return entry;
}

absl::StatusOr<v1::Volume> VolumeStore::Create(const std::string& name,
                                               const std::string& driver,
                                               const StringMap& labels,
                                               const StringMap& opts) {
  if (!name.empty()) BERTH_RETURN_IF_ERROR(ValidateNameFor("create", name));
  // An anonymous volume gets its name first, so messages can name it.
  const std::string final_name = name.empty() ? RandomHex(32) : name;
  if (!driver.empty() && driver != kDriver) {
    return absl::NotFoundError(OpMessage(
        "create", final_name,
        absl::StrCat("error looking up volume plugin ", driver, ": plugin \"",
                     driver,
                     "\" not found (berth has only the local driver)")));
  }
  BERTH_RETURN_IF_ERROR(ValidateOptions(final_name, opts));
  absl::MutexLock lock(&mu_);
  auto it = name.empty() ? volumes_.end() : volumes_.find(name);
  if (it != volumes_.end()) {
    const auto& existing = it->second.volume.options();
    bool same = opts.empty() ||
                (existing.size() == opts.size() &&
                 std::all_of(opts.begin(), opts.end(), [&](const auto& kv) {
                   auto found = existing.find(kv.first);
                   return found != existing.end() && found->second == kv.second;
                 }));
    if (!same) {
      return absl::AbortedError(OpMessage(
          "create", name,
          "volume name must be unique: a volume with this name already "
          "exists with other driver options; remove it first or pick "
          "another name"));
    }
    // As dockerd: the existing volume, labels and all.
    return it->second.volume;
  }
  StringMap all_labels = labels;
  if (name.empty()) all_labels[kAnonymousVolumeLabel] = "";
  return CreateLocked(final_name, all_labels, opts);
}

absl::StatusOr<v1::Volume> VolumeStore::CreateLocked(const std::string& name,
                                                     const StringMap& labels,
                                                     const StringMap& opts) {
  v1::Volume volume;
  volume.set_name(name);
  volume.set_driver(kDriver);
  volume.set_mountpoint(DataDir(name));
  volume.set_created_at(FormatCreatedAt(absl::Now()));
  volume.set_scope("local");
  volume.mutable_labels()->insert(labels.begin(), labels.end());
  volume.mutable_options()->insert(opts.begin(), opts.end());

  // Built complete under a temporary name, then renamed into place.
  std::string tmp =
      absl::StrCat(root_, "/", kTmpPrefix, name, "-", RandomHex(4));
  absl::Status status;
  if (mkdir(tmp.c_str(), 0755) != 0 || chmod(tmp.c_str(), 0755) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("create ", tmp));
  }
  std::string data = absl::StrCat(tmp, "/_data");
  if (status.ok() &&
      (mkdir(data.c_str(), 0755) != 0 || chmod(data.c_str(), 0755) != 0)) {
    status = ErrnoStatus(errno, absl::StrCat("create ", data));
  }
  if (status.ok()) {
    status = WriteFileAtomic(absl::StrCat(tmp, "/", kMetadataFile),
                             MetadataJson(volume), 0600);
  }
  if (status.ok() && rename(tmp.c_str(), VolumeDir(name).c_str()) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      // On disk but not loaded: Restore logged why.
      status = absl::AbortedError(OpMessage(
          "create", name,
          absl::StrCat("volume already exists under ", VolumeDir(name),
                       " but could not be loaded (see the daemon log); "
                       "move that directory away or pick another name")));
    } else {
      status = ErrnoStatus(
          errno, absl::StrCat("rename ", tmp, " to ", VolumeDir(name)));
    }
  }
  if (!status.ok()) {
    RemoveTree(tmp).IgnoreError();
    if (absl::IsAborted(status)) return status;
    return absl::Status(status.code(),
                        OpMessage("create", name, status.message()));
  }
  SyncDir(root_);
  Entry entry;
  entry.volume = volume;
  volumes_.emplace(name, std::move(entry));
  LOG(INFO) << "created volume " << name;
  return volume;
}

absl::StatusOr<v1::Volume> VolumeStore::Inspect(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    return absl::NotFoundError(OpMessage("get", name, "no such volume"));
  }
  return it->second.volume;
}

absl::StatusOr<std::vector<v1::Volume>> VolumeStore::List(
    const VolumeFilters& filters) {
  BERTH_ASSIGN_OR_RETURN(VolumeFilter filter, VolumeFilter::ForList(filters));
  std::vector<v1::Volume> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : volumes_) {
      if (filter.Matches(entry.volume, !entry.users.empty())) {
        out.push_back(entry.volume);
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return out;
}

absl::Status VolumeStore::MountLocked(Entry& entry) {
  const v1::Volume& volume = entry.volume;
  absl::Status status =
      MountLocal(*mounts_, Option(volume, "device"), volume.mountpoint(),
                 Option(volume, "type"), Option(volume, "o"));
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "failed to mount local volume ", volume.name(),
        " (type=", Option(volume, "type"), " device=", Option(volume, "device"),
        " o=", Option(volume, "o"), "): ", status.message()));
  }
  entry.mounted = true;
  VLOG(1) << "mounted volume " << volume.name();
  return absl::OkStatus();
}

absl::Status VolumeStore::UnmountLocked(Entry& entry) {
  if (!entry.mounted) return absl::OkStatus();
  // Lazy, as dockerd: a process still holding a file in it must not keep
  // the volume from being released.
  absl::Status status = mounts_->Unmount(entry.volume.mountpoint(), MNT_DETACH);
  if (!status.ok() &&
      !absl::IsInvalidArgument(status)) {  // EINVAL: not mounted
    return absl::Status(status.code(),
                        absl::StrCat("unmount volume ", entry.volume.name(),
                                     ": ", status.message()));
  }
  entry.mounted = false;
  VLOG(1) << "unmounted volume " << entry.volume.name();
  return absl::OkStatus();
}

absl::StatusOr<std::string> VolumeStore::DetachLocked(const std::string& name) {
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    return absl::NotFoundError(OpMessage("get", name, "no such volume"));
  }
  BERTH_RETURN_IF_ERROR(UnmountLocked(it->second));
  std::string trash =
      absl::StrCat(root_, "/", kTrashPrefix, name, "-", RandomHex(4));
  if (rename(VolumeDir(name).c_str(), trash.c_str()) != 0) {
    return ErrnoStatus(errno, OpMessage("remove", name,
                                        absl::StrCat("rename ", VolumeDir(name),
                                                     " to ", trash)));
  }
  SyncDir(root_);
  volumes_.erase(it);
  LOG(INFO) << "removed volume " << name;
  return trash;
}

absl::Status VolumeStore::Remove(const std::string& name, bool force) {
  std::string trash;
  {
    absl::MutexLock lock(&mu_);
    auto it = volumes_.find(name);
    if (it == volumes_.end()) {
      if (force) return absl::OkStatus();
      return absl::NotFoundError(OpMessage("get", name, "no such volume"));
    }
    if (!it->second.users.empty()) {
      return absl::AbortedError(
          OpMessage("remove", name,
                    absl::StrCat("volume is in use - [",
                                 absl::StrJoin(it->second.users, ", "), "]")));
    }
    BERTH_ASSIGN_OR_RETURN(trash, DetachLocked(name));
  }
  // Outside the lock: a big volume takes a while to delete.
  RemoveDetached(trash);
  return absl::OkStatus();
}

absl::StatusOr<v1::PruneVolumesReply> VolumeStore::Prune(
    const VolumeFilters& filters) {
  BERTH_ASSIGN_OR_RETURN(VolumeFilter filter, VolumeFilter::ForPrune(filters));
  std::vector<std::pair<std::string, std::string>> detached;
  {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, entry] : volumes_) {
      if (filter.Matches(entry.volume, !entry.users.empty())) {
        names.push_back(name);
      }
    }
    for (const std::string& name : names) {
      absl::StatusOr<std::string> trash = DetachLocked(name);
      if (!trash.ok()) {
        // As dockerd: one volume that cannot go does not stop the rest.
        LOG(WARNING) << "prune: " << trash.status();
        continue;
      }
      detached.emplace_back(name, *trash);
    }
  }
  std::sort(detached.begin(), detached.end());
  v1::PruneVolumesReply reply;
  uint64_t reclaimed = 0;
  for (const auto& [name, trash] : detached) {
    reclaimed += TreeSize(absl::StrCat(trash, "/_data"));
    RemoveDetached(trash);
    reply.add_volumes_deleted(name);
  }
  reply.set_space_reclaimed(reclaimed);
  return reply;
}

absl::StatusOr<v1::VolumeDiskUsageReply> VolumeStore::DiskUsage() {
  v1::VolumeDiskUsageReply reply;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : volumes_) {
      v1::Volume* volume = reply.add_volumes();
      *volume = entry.volume;
      volume->mutable_usage_data()->set_ref_count(entry.users.size());
    }
  }
  std::sort(reply.mutable_volumes()->begin(), reply.mutable_volumes()->end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  // Outside the lock: walking big volumes is slow. One removed meanwhile
  // counts 0.
  int64_t total = 0;
  for (v1::Volume& volume : *reply.mutable_volumes()) {
    int64_t size = TreeSize(volume.mountpoint());
    volume.mutable_usage_data()->set_size(size);
    total += size;
  }
  reply.set_total_size(total);
  return reply;
}

absl::StatusOr<v1::Volume> VolumeStore::Acquire(
    const std::string& name, const std::string& container_id) {
  if (container_id.empty()) {
    return absl::InvalidArgumentError(
        "acquiring a volume needs the container's ID");
  }
  if (!name.empty()) BERTH_RETURN_IF_ERROR(ValidateNameFor("create", name));
  absl::MutexLock lock(&mu_);
  auto it = name.empty() ? volumes_.end() : volumes_.find(name);
  if (it == volumes_.end()) {
    StringMap labels;
    if (name.empty()) labels[kAnonymousVolumeLabel] = "";
    BERTH_ASSIGN_OR_RETURN(
        v1::Volume created,
        CreateLocked(name.empty() ? RandomHex(32) : name, labels, {}));
    it = volumes_.find(created.name());
  }
  Entry& entry = it->second;
  if (NeedsMount(entry.volume) && !entry.mounted) {
    BERTH_RETURN_IF_ERROR(MountLocked(entry));
  }
  entry.users.insert(container_id);
  return entry.volume;
}

absl::Status VolumeStore::Release(const std::string& name,
                                  const std::string& container_id) {
  absl::MutexLock lock(&mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    return absl::NotFoundError(OpMessage("get", name, "no such volume"));
  }
  Entry& entry = it->second;
  if (entry.users.erase(container_id) == 0 || !entry.users.empty()) {
    return absl::OkStatus();
  }
  return UnmountLocked(entry);
}

std::vector<std::string> VolumeStore::Users(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return {};
  return {it->second.users.begin(), it->second.users.end()};
}

absl::StatusOr<bool> VolumeStore::CopyUp(const std::string& name,
                                         const std::string& source_dir) {
  std::string data;
  {
    absl::MutexLock lock(&mu_);
    auto it = volumes_.find(name);
    if (it == volumes_.end()) {
      return absl::NotFoundError(OpMessage("get", name, "no such volume"));
    }
    if (it->second.users.empty()) {
      return absl::FailedPreconditionError(OpMessage(
          "copy into volume", name,
          "no container holds it; Acquire it for the container first"));
    }
    data = it->second.volume.mountpoint();
  }
  absl::MutexLock copy_lock(&copy_mu_);
  struct stat source;
  if (lstat(source_dir.c_str(), &source) != 0) {
    if (errno == ENOENT) return false;
    return ErrnoStatus(errno, absl::StrCat("stat ", source_dir));
  }
  if (!S_ISDIR(source.st_mode)) {
    return absl::InvalidArgumentError(
        OpMessage("copy into volume", name,
                  absl::StrCat(source_dir, " is not a directory")));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> entries, ListDir(data));
  bool empty = true;
  for (const std::string& entry : entries) {
    if (absl::StartsWith(entry, kCopyUpPrefix)) {
      // Left by a copy-up that died midway: never part of the content.
      BERTH_RETURN_IF_ERROR(RemoveTree(absl::StrCat(data, "/", entry)));
    } else {
      empty = false;
    }
  }
  if (!empty) return false;
  std::string staging = absl::StrCat(data, "/", kCopyUpPrefix, RandomHex(4));
  absl::Status status = CopyTree(source_dir, staging);
  if (status.ok()) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> copied, ListDir(staging));
    for (const std::string& entry : copied) {
      std::string from = absl::StrCat(staging, "/", entry);
      std::string to = absl::StrCat(data, "/", entry);
      if (rename(from.c_str(), to.c_str()) != 0) {
        status = ErrnoStatus(errno, absl::StrCat("rename ", from, " to ", to));
        break;
      }
    }
  }
  if (status.ok() && rmdir(staging.c_str()) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("remove ", staging));
  }
  // The volume's root looks like the directory it shadows, as in Docker.
  if (status.ok() && chown(data.c_str(), source.st_uid, source.st_gid) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("chown ", data));
  }
  if (status.ok() && chmod(data.c_str(), source.st_mode & 07777) != 0) {
    status = ErrnoStatus(errno, absl::StrCat("chmod ", data));
  }
  if (!status.ok()) {
    RemoveTree(staging).IgnoreError();
    return absl::Status(
        status.code(),
        OpMessage("copy image content into volume", name, status.message()));
  }
  VLOG(1) << "copied " << source_dir << " into volume " << name;
  return true;
}

}  // namespace berth
