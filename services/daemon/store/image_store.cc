#include "services/daemon/store/image_store.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "lib/docker/timestamp.h"

namespace berth {

absl::StatusOr<Image> ParseImageConfig(std::string config_json) {
  Image image{.id = Sha256Of(config_json)};
  image.config = nlohmann::json::parse(config_json, nullptr, false);
  if (image.config.is_discarded() || !image.config.is_object()) {
    return absl::InvalidArgumentError("the image config is not a JSON object");
  }
  nlohmann::json rootfs = JsonObject(image.config, "rootfs");
  if (JsonString(rootfs, "type") != "layers" ||
      !rootfs["diff_ids"].is_array()) {
    return absl::InvalidArgumentError(
        "the image config has no rootfs of type \"layers\"");
  }
  for (const nlohmann::json& diff_id : rootfs["diff_ids"]) {
    if (!diff_id.is_string()) {
      return absl::InvalidArgumentError(
          "a diff ID in the config is not a string");
    }
    BERTH_ASSIGN_OR_RETURN(Digest digest,
                           Digest::Parse(diff_id.get<std::string>()));
    image.diff_ids.push_back(digest);
    image.chain_ids.push_back(image.chain_ids.empty()
                                  ? digest
                                  : ChainId({image.chain_ids.back(), digest}));
  }
  if (std::string text = JsonString(image.config, "created"); !text.empty()) {
    absl::StatusOr<int64_t> created = ParseDockerTimestamp(text);
    if (created.ok()) image.created = *created / 1000000000;
  }
  image.config_json = std::move(config_json);
  return image;
}

absl::Status ImageStore::Restore() {
  BERTH_RETURN_IF_ERROR(MakeDirs(root_ + "/sha256", 0700));
  std::string dir_path = root_ + "/sha256";
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, "open " + dir_path);
  absl::MutexLock lock(&mu_);
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = absl::StrCat(dir_path, "/", name);
    absl::StatusOr<std::string> text = ReadFile(path);
    absl::StatusOr<Image> image = text.ok()
                                      ? ParseImageConfig(*text)
                                      : absl::StatusOr<Image>(text.status());
    if (!image.ok() || image->id.hex() != name) {
      LOG(WARNING) << "skipping image " << name << ": "
                   << (image.ok() ? "content does not match its name"
                                  : image.status().ToString());
      continue;
    }
    bool complete = true;
    for (const Digest& chain : image->chain_ids) {
      complete = complete && layers_->Get(chain).has_value();
    }
    if (!complete) {
      LOG(WARNING) << "skipping image " << name << ": a layer is missing";
      continue;
    }
    absl::StatusOr<std::string> parent = ReadFile(path + ".parent");
    if (parent.ok()) {
      absl::StatusOr<Digest> digest = Digest::Parse(*parent);
      if (digest.ok()) image->parent = *digest;
    }
    Digest id = image->id;
    images_.insert_or_assign(id,
                             std::make_shared<const Image>(*std::move(image)));
  }
  closedir(dir);
  return absl::OkStatus();
}

absl::StatusOr<Image> ImageStore::Create(std::string config_json,
                                         std::optional<Digest> parent) {
  BERTH_ASSIGN_OR_RETURN(Image image, ParseImageConfig(std::move(config_json)));
  for (const Digest& chain : image.chain_ids) {
    if (!layers_->Get(chain)) {
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", chain.ToString(), " of image ",
                       image.id.ToString(), " is missing"));
    }
  }
  image.parent = parent;
  std::string path = absl::StrCat(root_, "/sha256/", image.id.hex());
  if (parent) {
    BERTH_RETURN_IF_ERROR(
        WriteFileAtomic(path + ".parent", parent->ToString(), 0600));
  }
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, image.config_json, 0600));
  absl::MutexLock lock(&mu_);
  images_.insert_or_assign(image.id, std::make_shared<const Image>(image));
  return image;
}

std::optional<Image> ImageStore::Get(const Digest& id) const {
  absl::MutexLock lock(&mu_);
  auto it = images_.find(id);
  if (it == images_.end()) return std::nullopt;
  return *it->second;
}

std::vector<std::string> ImageStore::Ids() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(images_.size());
  for (const auto& [id, image] : images_) out.push_back(id.hex());
  return out;
}

size_t ImageStore::Count() const {
  absl::MutexLock lock(&mu_);
  return images_.size();
}

std::vector<std::shared_ptr<const Image>> ImageStore::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const Image>> out;
  out.reserve(images_.size());
  for (const auto& [id, image] : images_) out.push_back(image);
  return out;
}

absl::Status ImageStore::Delete(const Digest& id) {
  std::string path = absl::StrCat(root_, "/sha256/", id.hex());
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "remove image " + id.ToString());
  }
  unlink((path + ".parent").c_str());
  absl::MutexLock lock(&mu_);
  images_.erase(id);
  return absl::OkStatus();
}

int64_t ImageStore::Size(const Image& image) const {
  int64_t size = 0;
  for (const Digest& chain : image.chain_ids) {
    if (std::optional<Layer> layer = layers_->Get(chain)) size += layer->size;
  }
  return size;
}

absl::flat_hash_map<Digest, int> ImageStore::LayerUsers() const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<Digest, int> users;
  for (const auto& [id, image] : images_) {
    for (const Digest& chain : image->chain_ids) ++users[chain];
  }
  return users;
}

}  // namespace berth
