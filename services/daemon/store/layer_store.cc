#include "services/daemon/store/layer_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "nlohmann/json.hpp"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {
namespace {

std::string RandomId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 8; ++i)
    absl::StrAppend(&id, absl::StrFormat("%08x", random()));
  return id;
}

absl::Status CheckDiffId(const Digest& got, const Digest& want) {
  if (got == want) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("layer content does not match its digest: want diff ID ",
                   want.ToString(), ", got ", got.ToString()));
}

nlohmann::json ToJson(const Layer& layer) {
  nlohmann::json out = {{"chain_id", layer.chain_id.ToString()},
                        {"diff_id", layer.diff_id.ToString()},
                        {"cache_id", layer.cache_id},
                        {"size", layer.size},
                        {"blob", layer.blob.ToString()}};
  if (layer.parent) out["parent"] = layer.parent->ToString();
  return out;
}

absl::StatusOr<Layer> FromJson(const std::string& text) {
  nlohmann::json in = nlohmann::json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return absl::DataLossError("layer metadata is not JSON");
  }
  BERTH_ASSIGN_OR_RETURN(Digest chain_id,
                         Digest::Parse(JsonString(in, "chain_id")));
  BERTH_ASSIGN_OR_RETURN(Digest diff_id,
                         Digest::Parse(JsonString(in, "diff_id")));
  BERTH_ASSIGN_OR_RETURN(Digest blob, Digest::Parse(JsonString(in, "blob")));
  std::optional<Digest> parent;
  if (in.contains("parent")) {
    BERTH_ASSIGN_OR_RETURN(parent, Digest::Parse(JsonString(in, "parent")));
  }
  return Layer{chain_id,
               diff_id,
               parent,
               JsonString(in, "cache_id"),
               in["size"].is_number_integer() ? in["size"].get<int64_t>() : 0,
               blob};
}

}  // namespace

std::string LayerStore::MetaPath(const Digest& chain_id) const {
  return absl::StrCat(root_, "/", chain_id.hex(), ".json");
}

std::string LayerStore::MarkerPath(const std::string& cache_id) const {
  return absl::StrCat(root_, "/incomplete/", cache_id);
}

absl::Status LayerStore::Restore() {
  BERTH_RETURN_IF_ERROR(MakeDirs(root_ + "/incomplete", 0700));
  // Work that never finished: its graph-driver layer goes, it was never
  // visible.
  if (DIR* dir = opendir((root_ + "/incomplete").c_str())) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      LOG(INFO) << "removing layer " << name << " left incomplete";
      absl::Status removed = driver_->Remove(name);
      if (!removed.ok()) LOG(WARNING) << removed;
      unlink(MarkerPath(name).c_str());
    }
    closedir(dir);
  }
  absl::MutexLock lock(&mu_);
  DIR* dir = opendir(root_.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, "open " + root_);
  while (dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (!absl::ConsumeSuffix(&name, ".json")) continue;
    absl::StatusOr<std::string> text =
        ReadFile(absl::StrCat(root_, "/", entry->d_name));
    absl::StatusOr<Layer> layer =
        text.ok() ? FromJson(*text) : absl::StatusOr<Layer>(text.status());
    if (!layer.ok()) {
      LOG(WARNING) << "skipping layer " << name << ": " << layer.status();
      continue;
    }
    layers_.insert_or_assign(layer->chain_id, *layer);
  }
  closedir(dir);
  return absl::OkStatus();
}

std::optional<Layer> LayerStore::Get(const Digest& chain_id) const {
  absl::MutexLock lock(&mu_);
  auto it = layers_.find(chain_id);
  if (it == layers_.end()) return std::nullopt;
  return it->second;
}

std::vector<Layer> LayerStore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<Layer> out;
  for (const auto& [id, layer] : layers_) out.push_back(layer);
  return out;
}

absl::StatusOr<std::string> LayerStore::NewLayer(
    const std::optional<Layer>& parent) {
  std::string cache_id = RandomId();
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(MarkerPath(cache_id), ""));
  absl::Status created =
      driver_->Create(cache_id, parent ? parent->cache_id : "");
  if (!created.ok()) {
    Undo(cache_id);
    return created;
  }
  return cache_id;
}

void LayerStore::Undo(const std::string& cache_id) {
  absl::Status removed = driver_->Remove(cache_id);
  if (!removed.ok()) LOG(WARNING) << removed;
  unlink(MarkerPath(cache_id).c_str());
}

absl::StatusOr<ApplyStats> LayerStore::ApplyTo(const std::string& cache_id,
                                               ByteSource& in) {
  ApplyOptions options;
  options.whiteouts = driver_->Format() == LayerFormat::kOverlayUpper
                          ? WhiteoutMode::kOverlay
                          : WhiteoutMode::kApply;
  return ApplyLayer(in, driver_->DiffDir(cache_id), options);
}

absl::StatusOr<Layer> LayerStore::Commit(const Layer& layer,
                                         const std::string& staged_file) {
  auto undo = [&](absl::Status status) {
    Undo(layer.cache_id);
    unlink(staged_file.c_str());
    return status;
  };
  if (std::optional<Layer> existing = Get(layer.chain_id)) {
    // Registered meanwhile by another load: keep that one.
    undo(absl::OkStatus()).IgnoreError();
    return *existing;
  }
  if (absl::Status failed = blobs_->Adopt(staged_file, layer.blob);
      !failed.ok()) {
    return undo(failed);
  }
  if (absl::Status failed =
          WriteFileAtomic(MetaPath(layer.chain_id), ToJson(layer).dump(), 0600);
      !failed.ok()) {
    return undo(failed);
  }
  unlink(MarkerPath(layer.cache_id).c_str());
  absl::MutexLock lock(&mu_);
  layers_.insert_or_assign(layer.chain_id, layer);
  return layer;
}

absl::StatusOr<Layer> LayerStore::Register(
    const std::string& staged_file, const std::optional<Digest>& parent,
    const std::optional<Digest>& expected_diff_id) {
  std::optional<Layer> parent_layer;
  if (parent) {
    parent_layer = Get(*parent);
    if (!parent_layer) {
      return absl::FailedPreconditionError(
          absl::StrCat("parent layer ", parent->ToString(), " is missing"));
    }
  }
  if (expected_diff_id) {
    Digest chain =
        parent ? ChainId({*parent, *expected_diff_id}) : *expected_diff_id;
    if (std::optional<Layer> existing = Get(chain)) {
      unlink(staged_file.c_str());
      return *existing;
    }
  }

  absl::StatusOr<std::string> cache_id = NewLayer(parent_layer);
  if (!cache_id.ok()) {
    unlink(staged_file.c_str());
    return cache_id.status();
  }
  auto undo = [&](absl::Status status) {
    Undo(*cache_id);
    unlink(staged_file.c_str());
    return status;
  };
  int fd = open(staged_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undo(ErrnoStatus(errno, "open " + staged_file));
  FdSource file(fd);
  absl::StatusOr<ApplyStats> stats = ApplyTo(*cache_id, file);
  close(fd);
  if (!stats.ok()) return undo(stats.status());
  absl::StatusOr<Digest> diff_id =
      Digest::Parse(absl::StrCat("sha256:", stats->diff_id_hex));
  absl::StatusOr<Digest> blob =
      Digest::Parse(absl::StrCat("sha256:", stats->blob_hex));
  if (!diff_id.ok()) return undo(diff_id.status());
  if (!blob.ok()) return undo(blob.status());
  if (expected_diff_id) {
    if (absl::Status failed = CheckDiffId(*diff_id, *expected_diff_id);
        !failed.ok()) {
      return undo(failed);
    }
  }
  return Commit(
      Layer{parent ? ChainId({*parent, *diff_id}) : *diff_id, *diff_id, parent,
            *cache_id, static_cast<int64_t>(stats->size), *blob},
      staged_file);
}

bool LayerStore::CanApplyDetached() const {
  return driver_->Format() == LayerFormat::kOverlayUpper;
}

absl::StatusOr<DetachedLayer> LayerStore::ApplyDetached(ByteSource& in) {
  if (!CanApplyDetached()) {
    return absl::UnimplementedError(absl::StrCat(
        "the ", driver_->Name(), " driver applies a layer on its parent"));
  }
  BERTH_ASSIGN_OR_RETURN(std::string cache_id, NewLayer(std::nullopt));
  absl::StatusOr<ApplyStats> stats = ApplyTo(cache_id, in);
  absl::StatusOr<Digest> diff_id =
      stats.ok() ? Digest::Parse(absl::StrCat("sha256:", stats->diff_id_hex))
                 : absl::StatusOr<Digest>(stats.status());
  absl::StatusOr<Digest> blob =
      diff_id.ok() ? Digest::Parse(absl::StrCat("sha256:", stats->blob_hex))
                   : absl::StatusOr<Digest>(diff_id.status());
  if (!blob.ok()) {
    Undo(cache_id);
    return blob.status();
  }
  return DetachedLayer{cache_id, *diff_id, *blob,
                       static_cast<int64_t>(stats->size)};
}

absl::StatusOr<Layer> LayerStore::Attach(const DetachedLayer& layer,
                                         const std::optional<Digest>& parent,
                                         const Digest& expected_diff_id,
                                         const std::string& staged_file) {
  auto undo = [&](absl::Status status) {
    Undo(layer.cache_id);
    unlink(staged_file.c_str());
    return status;
  };
  if (absl::Status failed = CheckDiffId(layer.diff_id, expected_diff_id);
      !failed.ok()) {
    return undo(failed);
  }
  if (parent) {
    std::optional<Layer> parent_layer = Get(*parent);
    if (!parent_layer) {
      return undo(absl::FailedPreconditionError(
          absl::StrCat("parent layer ", parent->ToString(), " is missing")));
    }
    if (absl::Status failed =
            driver_->SetParent(layer.cache_id, parent_layer->cache_id);
        !failed.ok()) {
      return undo(failed);
    }
  }
  return Commit(
      Layer{parent ? ChainId({*parent, layer.diff_id}) : layer.diff_id,
            layer.diff_id, parent, layer.cache_id, layer.size, layer.blob},
      staged_file);
}

void LayerStore::Discard(const DetachedLayer& layer) { Undo(layer.cache_id); }

absl::Status LayerStore::Remove(const Digest& chain_id) {
  std::optional<Layer> layer = Get(chain_id);
  if (!layer) return absl::OkStatus();
  // Invisible first, then the content: a crash in between leaves only
  // garbage, never a layer without its files.
  if (unlink(MetaPath(chain_id).c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "remove layer " + chain_id.ToString());
  }
  {
    absl::MutexLock lock(&mu_);
    layers_.erase(chain_id);
  }
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(MarkerPath(layer->cache_id), ""));
  BERTH_RETURN_IF_ERROR(driver_->Remove(layer->cache_id));
  unlink(MarkerPath(layer->cache_id).c_str());
  // The same tar may sit under another parent (same blob, other chain).
  for (const Layer& other : List()) {
    if (other.blob == layer->blob) return absl::OkStatus();
  }
  return blobs_->Delete(layer->blob);
}

}  // namespace berth
