#include "services/daemon/images/image_core.h"

#include <fnmatch.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "lib/docker/timestamp.h"
#include "services/daemon/image/reference.h"

namespace berth {
namespace {

constexpr const char* kImageFilters[] = {"dangling", "reference", "label",
                                         "before", "since"};

std::vector<std::string> Values(const v1::ListImagesRequest& request,
                                const std::string& key) {
  auto it = request.filters().find(key);
  if (it == request.filters().end()) return {};
  return {it->second.values().begin(), it->second.values().end()};
}

// Docker matches reference filters like Go's path.Match: '*' stops at '/'.
bool GlobMatch(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace

ImageCore::ImageCore(std::string root, GraphDriver* driver)
    : root_(std::move(root)),
      driver_(driver),
      blobs_(root_ + "/blobs"),
      layers_(root_ + "/layers", driver, &blobs_),
      images_(root_ + "/imagedb", &layers_),
      refs_(root_ + "/repositories.json") {}

absl::Status ImageCore::Restore() {
  BERTH_RETURN_IF_ERROR(blobs_.Init());
  BERTH_RETURN_IF_ERROR(layers_.Restore());
  BERTH_RETURN_IF_ERROR(images_.Restore());
  BERTH_RETURN_IF_ERROR(refs_.Load());
  RemoveUnusedLayers();
  LOG(INFO) << "image store: " << images_.Count() << " image(s), "
            << layers_.List().size() << " layer(s)";
  return absl::OkStatus();
}

void ImageCore::RemoveUnusedLayers() {
  absl::flat_hash_map<Digest, int> users = images_.LayerUsers();
  // Children before parents: a longer chain is never a parent of a
  // shorter one, so repeat until nothing changes.
  bool removed = true;
  while (removed) {
    removed = false;
    std::vector<Layer> layers = layers_.List();
    absl::flat_hash_map<Digest, int> children;
    for (const Layer& layer : layers) {
      if (layer.parent) ++children[*layer.parent];
    }
    for (const Layer& layer : layers) {
      if (users.contains(layer.chain_id) || children.contains(layer.chain_id)) {
        continue;
      }
      LOG(INFO) << "removing unused layer " << layer.chain_id.ToString();
      absl::Status status = layers_.Remove(layer.chain_id);
      if (!status.ok()) {
        LOG(WARNING) << status;
        continue;
      }
      removed = true;
    }
  }
}

absl::StatusOr<Image> ImageCore::Resolve(const std::string& name) {
  // As dockerd: a name first, then an ID or a unique prefix of one.
  absl::StatusOr<Reference> ref = ParseNormalizedNamed(name);
  if (ref.ok()) {
    if (std::optional<Digest> id = refs_.Get(WithDefaultTag(*ref))) {
      if (std::optional<Image> image = images_.Get(*id)) return *image;
    }
  }
  if (LooksLikeImageId(name)) {
    absl::StatusOr<std::string> id = ResolveIdPrefix(name, images_.Ids());
    if (id.ok()) {
      absl::StatusOr<Digest> digest = Digest::Parse("sha256:" + *id);
      if (digest.ok()) {
        if (std::optional<Image> image = images_.Get(*digest)) return *image;
      }
    } else if (id.status().code() != absl::StatusCode::kNotFound) {
      return id.status();
    }
  } else if (!ref.ok()) {
    return ref.status();
  }
  // dockerd names what it looked for: "busybox" is "busybox:latest".
  return absl::NotFoundError(
      absl::StrCat("No such image: ",
                   ref.ok() ? WithDefaultTag(*ref).FamiliarString() : name));
}

v1::ImageSummary ImageCore::Summarize(
    const Image& image, const std::vector<Reference>& refs,
    const absl::flat_hash_map<Digest, int>* users) {
  v1::ImageSummary summary;
  summary.set_id(image.id.ToString());
  if (image.parent) summary.set_parent_id(image.parent->ToString());
  for (const Reference& ref : refs) {
    if (ref.digest) {
      summary.add_repo_digests(ref.FamiliarName() + "@" +
                               ref.digest->ToString());
    } else {
      summary.add_repo_tags(ref.FamiliarString());
    }
  }
  summary.set_created(image.created);
  summary.set_size(images_.Size(image));
  summary.set_shared_size(-1);
  if (users != nullptr) {
    int64_t shared = 0;
    for (const Digest& chain : image.chain_ids) {
      auto it = users->find(chain);
      std::optional<Layer> layer = layers_.Get(chain);
      if (it != users->end() && it->second > 1 && layer) shared += layer->size;
    }
    summary.set_shared_size(shared);
  }
  nlohmann::json labels =
      JsonObject(JsonObject(image.config, "config"), "Labels");
  {
    for (const auto& [key, value] : labels.items()) {
      if (value.is_string()) {
        (*summary.mutable_labels())[key] = value.get<std::string>();
      }
    }
  }
  summary.set_containers(-1);
  return summary;
}

absl::StatusOr<v1::ListImagesReply> ImageCore::List(
    const v1::ListImagesRequest& request) {
  for (const auto& [key, values] : request.filters()) {
    if (std::find(std::begin(kImageFilters), std::end(kImageFilters), key) ==
        std::end(kImageFilters)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "'"));
    }
  }
  std::optional<bool> dangling;
  for (const std::string& value : Values(request, "dangling")) {
    if (value != "true" && value != "false" && value != "1" && value != "0") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter 'dangling=", value, "'"));
    }
    dangling = value == "true" || value == "1";
  }
  std::optional<int64_t> before, since;
  for (const std::string& value : Values(request, "before")) {
    BERTH_ASSIGN_OR_RETURN(Image image, Resolve(value));
    before = image.created;
  }
  for (const std::string& value : Values(request, "since")) {
    BERTH_ASSIGN_OR_RETURN(Image image, Resolve(value));
    since = image.created;
  }
  std::vector<std::string> patterns = Values(request, "reference");
  std::vector<std::string> labels = Values(request, "label");

  v1::ListImagesReply reply;
  absl::flat_hash_map<Digest, std::vector<Reference>> all_refs =
      refs_.ByImage();
  const std::vector<Reference> none;
  for (const std::shared_ptr<const Image>& listed : images_.List()) {
    const Image& image = *listed;
    if (before && image.created >= *before) continue;
    if (since && image.created <= *since) continue;
    auto found = all_refs.find(image.id);
    const std::vector<Reference>& refs =
        found == all_refs.end() ? none : found->second;
    v1::ImageSummary summary = Summarize(image, refs, nullptr);
    bool untagged = summary.repo_tags().empty();
    if (dangling && *dangling != untagged) continue;
    if (!patterns.empty()) {
      bool any = false;
      for (const Reference& ref : refs) {
        for (const std::string& pattern : patterns) {
          any = any || GlobMatch(pattern, ref.FamiliarName()) ||
                GlobMatch(pattern, ref.FamiliarString());
        }
      }
      if (!any) continue;
    }
    bool labels_match = true;
    for (const std::string& label : labels) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(label, absl::MaxSplits('=', 1));
      auto it = summary.labels().find(kv.first);
      labels_match =
          labels_match && it != summary.labels().end() &&
          (label.find('=') == std::string::npos || it->second == kv.second);
    }
    if (!labels_match) continue;
    if (!request.digests()) summary.clear_repo_digests();
    *reply.add_images() = std::move(summary);
  }
  std::sort(reply.mutable_images()->begin(), reply.mutable_images()->end(),
            [](const v1::ImageSummary& a, const v1::ImageSummary& b) {
              return a.created() != b.created() ? a.created() > b.created()
                                                : a.id() < b.id();
            });
  return reply;
}

absl::StatusOr<v1::ImageDetail> ImageCore::Inspect(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Image image, Resolve(name));
  v1::ImageDetail detail;
  *detail.mutable_summary() = Summarize(image, refs_.RefsOf(image.id), nullptr);
  detail.set_config_json(image.config_json);
  detail.set_graph_driver(driver_->Name());
  if (!image.chain_ids.empty()) {
    if (std::optional<Layer> top = layers_.Get(image.chain_ids.back())) {
      (*detail.mutable_graph_driver_data())["UpperDir"] =
          driver_->DiffDir(top->cache_id);
    }
  }
  for (const Digest& diff_id : image.diff_ids) {
    detail.add_layers(diff_id.ToString());
  }
  if (std::optional<absl::Time> tagged = refs_.LastTagTime(image.id)) {
    detail.set_last_tag_time(
        absl::FormatTime(absl::RFC3339_full, *tagged, absl::UTCTimeZone()));
  }
  return detail;
}

absl::StatusOr<v1::HistoryReply> ImageCore::History(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(Image image, Resolve(name));
  std::vector<v1::HistoryItem> items;
  size_t layer = 0;
  nlohmann::json history = JsonArray(image.config, "history");
  auto layer_size = [&](size_t index) -> int64_t {
    if (index >= image.chain_ids.size()) return 0;
    std::optional<Layer> found = layers_.Get(image.chain_ids[index]);
    return found ? found->size : 0;
  };
  if (!history.empty()) {
    for (const nlohmann::json& entry : history) {
      v1::HistoryItem item;
      item.set_id("<missing>");
      absl::StatusOr<int64_t> nanos =
          ParseDockerTimestamp(JsonString(entry, "created"));
      if (nanos.ok()) item.set_created(*nanos / 1000000000);
      item.set_created_by(JsonString(entry, "created_by"));
      item.set_comment(JsonString(entry, "comment"));
      if (!(entry.is_object() && entry.contains("empty_layer") &&
            entry["empty_layer"] == true)) {
        item.set_size(layer_size(layer++));
      }
      items.push_back(item);
    }
  } else {
    for (size_t i = 0; i < image.diff_ids.size(); ++i) {
      v1::HistoryItem item;
      item.set_id("<missing>");
      item.set_created(image.created);
      item.set_size(layer_size(i));
      items.push_back(item);
    }
  }
  v1::HistoryReply reply;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    *reply.add_items() = *it;
  }
  if (reply.items_size() > 0) {
    v1::HistoryItem* top = reply.mutable_items(0);
    top->set_id(image.id.ToString());
    for (const Reference& ref : refs_.RefsOf(image.id)) {
      if (!ref.digest) top->add_tags(ref.FamiliarString());
    }
  }
  return reply;
}

absl::Status ImageCore::TagImage(const Reference& ref, const Digest& id,
                                 const ProgressSink& progress) {
  BERTH_ASSIGN_OR_RETURN(std::optional<Digest> previous, refs_.Add(ref, id));
  if (previous && progress) {
    v1::ProgressMessage message;
    message.set_stream(
        absl::StrCat("The image ", ref.FamiliarString(),
                     " already exists, renaming the old one with ID ",
                     previous->ToString(), " to empty string\n"));
    progress(message);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::TagReply> ImageCore::Tag(const v1::TagRequest& request) {
  absl::MutexLock lock(&write_mu_);
  BERTH_ASSIGN_OR_RETURN(Image image, Resolve(request.source()));
  std::string target = request.repo();
  if (target.empty()) {
    return absl::InvalidArgumentError(
        "repository name must have at least one component");
  }
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(target));
  if (ref.digest) {
    return absl::InvalidArgumentError(
        "refusing to create a tag with a digest reference");
  }
  if (!request.tag().empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, ParseNormalizedNamed(absl::StrCat(
                                    ref.Name(), ":", request.tag())));
  }
  ref = WithDefaultTag(ref);
  BERTH_RETURN_IF_ERROR(TagImage(ref, image.id, nullptr));
  v1::TagReply reply;
  reply.set_reference(ref.FamiliarString());
  return reply;
}

absl::Status ImageCore::PruneLayers(const Image& image,
                                    v1::RemoveImageReply* reply) {
  absl::flat_hash_map<Digest, int> users = images_.LayerUsers();
  for (auto it = image.chain_ids.rbegin(); it != image.chain_ids.rend(); ++it) {
    if (users.contains(*it)) break;
    bool has_children = false;
    for (const Layer& layer : layers_.List()) {
      has_children = has_children || (layer.parent && *layer.parent == *it);
    }
    if (has_children) break;
    BERTH_RETURN_IF_ERROR(layers_.Remove(*it));
    reply->add_items()->set_deleted(it->ToString());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::RemoveImageReply> ImageCore::Remove(
    const v1::RemoveImageRequest& request) {
  absl::MutexLock lock(&write_mu_);
  BERTH_ASSIGN_OR_RETURN(Image image, Resolve(request.name()));
  std::vector<Reference> refs = refs_.RefsOf(image.id);
  v1::RemoveImageReply reply;

  absl::StatusOr<Reference> named = ParseNormalizedNamed(request.name());
  bool by_name = named.ok() && refs_.Get(WithDefaultTag(*named)) == image.id;
  // An image a container uses is never deleted, and losing its last name
  // needs force; checked before anything changes.
  std::string container =
      container_user_ ? container_user_(image.id) : std::string();
  bool last_name = !by_name || refs.size() <= 1;
  if (!container.empty() && last_name && !request.force()) {
    return absl::AbortedError(
        absl::StrCat("conflict: unable to ",
                     by_name ? absl::StrCat("remove repository reference \"",
                                            request.name(), "\"")
                             : absl::StrCat("delete ", image.id.Short()),
                     " (must force) - container ", container,
                     " is using its referenced image ", image.id.Short()));
  }
  // By name: untag that name; the image goes only with its last name.
  if (by_name) {
    Reference ref = WithDefaultTag(*named);
    BERTH_RETURN_IF_ERROR(refs_.Delete(ref));
    reply.add_items()->set_untagged(ref.FamiliarString());
    if (refs.size() > 1) return reply;
    refs.clear();
  }
  if (!container.empty()) {
    // Forced: the names go, the image stays for its containers.
    for (const Reference& ref : refs) {
      BERTH_RETURN_IF_ERROR(refs_.Delete(ref));
      reply.add_items()->set_untagged(ref.FamiliarString());
    }
    return reply;
  }
  // By ID: every name goes with it, which needs force when there are
  // several.
  if (refs.size() > 1 && !request.force()) {
    return absl::AbortedError(absl::StrCat(
        "conflict: unable to delete ", image.id.Short(),
        " (must be forced) - image is referenced in multiple repositories"));
  }
  for (const Reference& ref : refs) {
    BERTH_RETURN_IF_ERROR(refs_.Delete(ref));
    reply.add_items()->set_untagged(ref.digest ? ref.FamiliarName() + "@" +
                                                     ref.digest->ToString()
                                               : ref.FamiliarString());
  }
  BERTH_RETURN_IF_ERROR(images_.Delete(image.id));
  reply.add_items()->set_deleted(image.id.ToString());
  BERTH_RETURN_IF_ERROR(PruneLayers(image, &reply));
  return reply;
}

absl::StatusOr<std::string> ImageCore::TopLayerId(const Image& image) {
  if (image.chain_ids.empty()) return std::string();
  std::optional<Layer> layer = layers_.Get(image.chain_ids.back());
  if (!layer) {
    return absl::InternalError(
        absl::StrCat("image ", image.id.Short(), " lacks its top layer"));
  }
  return layer->cache_id;
}

v1::StoreInfoReply ImageCore::StoreInfo() {
  v1::StoreInfoReply reply;
  reply.set_images(images_.Count());
  reply.set_driver(driver_->Name());
  for (const auto& [key, value] : driver_->Status()) {
    v1::KeyValue* row = reply.add_driver_status();
    row->set_key(key);
    row->set_value(value);
  }
  return reply;
}

absl::StatusOr<v1::DiskUsageReply> ImageCore::DiskUsage() {
  v1::DiskUsageReply reply;
  absl::flat_hash_map<Digest, int> users = images_.LayerUsers();
  for (const Layer& layer : layers_.List()) {
    reply.set_layers_size(reply.layers_size() + layer.size);
  }
  absl::flat_hash_map<Digest, std::vector<Reference>> all_refs =
      refs_.ByImage();
  for (const std::shared_ptr<const Image>& image : images_.List()) {
    v1::ImageSummary summary = Summarize(*image, all_refs[image->id], &users);
    summary.set_containers(0);
    *reply.add_images() = std::move(summary);
  }
  return reply;
}

}  // namespace berth
