// ImageCore on a real vfs driver in a temp dir: loads, shared layers and
// their reference counts, removal down to an empty store, and recovery
// from interrupted work; commits of a container's changes. On the overlay
// driver (root): loads that apply large layers while they stream in.
#include "services/daemon/images/image_core.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/graphdriver/driver_factory.h"

namespace berth {
namespace {

using ::berth::testing::TempDir;

struct TestImage {
  std::string tag;
  std::vector<std::string> layers;  // layer tars
};

std::string ConfigFor(const TestImage& image) {
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const std::string& layer : image.layers) {
    diff_ids.push_back("sha256:" + testing::Sha256Hex(layer));
  }
  return nlohmann::json{
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2023-11-14T22:13:20Z"},
      {"config", {{"Labels", {{"tag", image.tag}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
      .dump();
}

// The entries of a docker-save archive of `images`.
std::vector<testing::TarEntry> SaveEntries(
    const std::vector<TestImage>& images) {
  std::vector<testing::TarEntry> entries;
  nlohmann::json manifest = nlohmann::json::array();
  for (const TestImage& image : images) {
    std::string config = ConfigFor(image);
    std::string config_name = testing::Sha256Hex(config) + ".json";
    entries.push_back(testing::File(config_name, config));
    nlohmann::json layers = nlohmann::json::array();
    for (const std::string& layer : image.layers) {
      std::string name = testing::Sha256Hex(layer) + "/layer.tar";
      entries.push_back(testing::File(name, layer));
      layers.push_back(name);
    }
    manifest.push_back({{"Config", config_name},
                        {"RepoTags", {image.tag}},
                        {"Layers", layers}});
  }
  entries.push_back(testing::File("manifest.json", manifest.dump()));
  return entries;
}

std::string SaveArchive(const std::vector<TestImage>& images) {
  return testing::BuildTar(SaveEntries(images));
}

int CountEntries(const std::string& dir) {
  std::error_code error;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, error);
       !error && it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

class ImageCoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  virtual std::string DriverName() const { return "vfs"; }

  void Open() {
    core_.reset();
    absl::StatusOr<std::unique_ptr<GraphDriver>> driver =
        NewGraphDriver(DriverName(), tmp_.Join("graph"), {});
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    core_ = std::make_unique<ImageCore>(tmp_.Join("image"), driver_.get());
    ASSERT_TRUE(core_->Restore().ok());
  }

  absl::Status Load(const std::string& archive) {
    StringSource source(archive);
    return core_->Load(source, nullptr);
  }

  TempDir tmp_;
  std::unique_ptr<GraphDriver> driver_;
  std::unique_ptr<ImageCore> core_;
};

const std::string& BaseLayer() {
  static const std::string* layer = new std::string(testing::BuildTar(
      {testing::Dir("etc"), testing::File("etc/base", "base")}));
  return *layer;
}

std::string TopLayer(const std::string& name) {
  return testing::BuildTar({testing::File(name, name + "-content")});
}

TEST_F(ImageCoreTest, SharedLayerIsStoredOnceAndGoesWithTheLastUser) {
  ASSERT_TRUE(Load(SaveArchive({{"one:1", {BaseLayer(), TopLayer("a")}},
                                {"two:1", {BaseLayer(), TopLayer("b")}}}))
                  .ok());
  absl::StatusOr<v1::DiskUsageReply> usage = core_->DiskUsage();
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->images_size(), 2);
  // "base" (4 bytes) once, plus "a-content" and "b-content".
  EXPECT_EQ(usage->layers_size(), 4 + 9 + 9);
  for (const v1::ImageSummary& image : usage->images()) {
    EXPECT_EQ(image.shared_size(), 4) << image.id();
    EXPECT_EQ(image.size(), 4 + 9);
  }
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 3);

  v1::RemoveImageRequest remove;
  remove.set_name("one:1");
  absl::StatusOr<v1::RemoveImageReply> removed = core_->Remove(remove);
  ASSERT_TRUE(removed.ok()) << removed.status();
  // Untagged, the image, and only its own top layer.
  ASSERT_EQ(removed->items_size(), 3);
  EXPECT_EQ(removed->items(0).untagged(), "one:1");
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 2);
  absl::StatusOr<v1::ImageDetail> two = core_->Inspect("two:1");
  ASSERT_TRUE(two.ok());

  remove.set_name("two:1");
  removed = core_->Remove(remove);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->items_size(), 4);  // untag, image, top, base
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/sha256")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/imagedb/sha256")), 0);
}

TEST_F(ImageCoreTest, OneLayerTarOnTwoParents) {
  std::string other_base = testing::BuildTar({testing::File("other", "o")});
  ASSERT_TRUE(Load(SaveArchive({{"one:1", {BaseLayer(), TopLayer("t")}},
                                {"two:1", {other_base, TopLayer("t")}}}))
                  .ok());
  EXPECT_TRUE(core_->Resolve("one:1").ok());
  EXPECT_TRUE(core_->Resolve("two:1").ok());
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 4);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
}

TEST_F(ImageCoreTest, TagsAndRemovalByName) {
  ASSERT_TRUE(Load(SaveArchive({{"one:1", {BaseLayer()}}})).ok());
  v1::TagRequest tag;
  tag.set_source("one:1");
  tag.set_repo("localhost:5000/x/y");
  tag.set_tag("v2");
  absl::StatusOr<v1::TagReply> tagged = core_->Tag(tag);
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->reference(), "localhost:5000/x/y:v2");
  // Two names: removing by ID needs force; by name it only untags.
  absl::StatusOr<Image> image = core_->Resolve("one:1");
  ASSERT_TRUE(image.ok());
  v1::RemoveImageRequest remove;
  remove.set_name(image->id.hex().substr(0, 12));
  EXPECT_EQ(core_->Remove(remove).status().code(), absl::StatusCode::kAborted);
  remove.set_name("one:1");
  absl::StatusOr<v1::RemoveImageReply> removed = core_->Remove(remove);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->items_size(), 1);
  EXPECT_TRUE(core_->Resolve("localhost:5000/x/y:v2").ok());
  EXPECT_EQ(core_->Resolve("one:1").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ImageCoreTest, DiffIdMismatchLeavesNothing) {
  TestImage image{"bad:1", {BaseLayer()}};
  std::string config = ConfigFor(image);
  // The config names another layer than the archive holds.
  std::string wrong = ConfigFor({"bad:1", {TopLayer("other")}});
  std::string config_name = testing::Sha256Hex(wrong) + ".json";
  std::string layer_name = testing::Sha256Hex(BaseLayer()) + "/layer.tar";
  std::string archive = testing::BuildTar(
      {testing::File(config_name, wrong),
       testing::File(layer_name, BaseLayer()),
       testing::File("manifest.json",
                     nlohmann::json::array({{{"Config", config_name},
                                             {"RepoTags", {"bad:1"}},
                                             {"Layers", {layer_name}}}})
                         .dump())});
  absl::Status status = Load(archive);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/sha256")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
}

TEST_F(ImageCoreTest, RestoreUndoesInterruptedWork) {
  ASSERT_TRUE(Load(SaveArchive({{"keep:1", {BaseLayer()}}})).ok());
  // What a crash mid-load leaves: a layer being applied, a staged file.
  ASSERT_TRUE(driver_->Create("half", "").ok());
  ASSERT_TRUE(
      WriteFileAtomic(tmp_.Join("image/layers/incomplete/half"), "").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("image/blobs/tmp/load-x"), "x").ok());
  Open();
  EXPECT_FALSE(driver_->Exists("half"));
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 1);
  EXPECT_TRUE(core_->Resolve("keep:1").ok());
}

// What the container half hands over for a container of `base:1` that
// ran `sh -c "touch /new"`.
ImageCommit CommitOf(const std::string& parent_id) {
  ImageCommit commit;
  commit.parent_id = parent_id;
  commit.container_id = std::string(64, 'c');
  commit.container_config = {{"Hostname", "cccccccccccc"},
                             {"Env", {"PATH=/bin", "FROM_RUN=1"}},
                             {"Cmd", {"sh", "-c", "touch /new"}},
                             {"Entrypoint", nullptr},
                             {"Image", "base:1"},
                             {"Labels", {{"run", "yes"}}}};
  return commit;
}

LayerWriter WriteString(std::string tar) {
  return [tar](ByteSink& out) { return out.Write(tar); };
}

TEST_F(ImageCoreTest, CommitAddsTheLayerOnTheContainersImage) {
  ASSERT_TRUE(Load(SaveArchive({{"base:1", {BaseLayer()}}})).ok());
  absl::StatusOr<Image> base = core_->Resolve("base:1");
  ASSERT_TRUE(base.ok());
  ImageCommit commit = CommitOf(base->id.ToString());
  commit.changes = {"CMD [\"cat\", \"/new\"]", "ENV ADDED=2"};
  commit.comment = "a message";
  commit.author = "someone <a@b.c>";
  commit.repo = "newimg";
  commit.tag = "v1";
  std::string layer = TopLayer("new");
  absl::StatusOr<std::string> id = core_->Commit(commit, WriteString(layer));
  ASSERT_TRUE(id.ok()) << id.status();

  absl::StatusOr<Image> image = core_->Resolve("newimg:v1");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id.ToString(), *id);
  ASSERT_TRUE(image->parent.has_value());
  EXPECT_EQ(*image->parent, base->id);
  ASSERT_EQ(image->diff_ids.size(), 2u);
  EXPECT_EQ(image->diff_ids[0], base->diff_ids[0]);
  EXPECT_EQ(image->diff_ids[1].ToString(),
            "sha256:" + testing::Sha256Hex(layer));
  const nlohmann::json& config = image->config;
  // The container's config, the --change lines on top.
  EXPECT_EQ(config["config"]["Cmd"], nlohmann::json({"cat", "/new"}));
  EXPECT_EQ(config["config"]["Env"],
            nlohmann::json({"PATH=/bin", "FROM_RUN=1", "ADDED=2"}));
  EXPECT_EQ(config["config"]["Hostname"], "cccccccccccc");
  EXPECT_EQ(config["config"]["Labels"]["run"], "yes");
  EXPECT_EQ(config["container"], commit.container_id);
  EXPECT_EQ(config["container_config"], commit.container_config);
  EXPECT_EQ(config["author"], "someone <a@b.c>");
  EXPECT_FALSE(config.contains("comment"));
  const nlohmann::json& entry = config["history"].back();
  EXPECT_EQ(entry["comment"], "a message");
  EXPECT_EQ(entry["author"], "someone <a@b.c>");
  EXPECT_EQ(entry["created_by"], "sh -c touch /new");
  EXPECT_FALSE(entry.contains("empty_layer"));
  absl::StatusOr<v1::HistoryReply> history = core_->History("newimg:v1");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->items(0).comment(), "a message");
  EXPECT_EQ(history->items(0).id(), *id);
  // The layer is stored on the base's: the new image's view has both.
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 2);
  absl::StatusOr<std::string> top = core_->TopLayerId(*image);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(ReadFile(driver_->DiffDir(*top) + "/etc/base").value_or(""),
            "base");
  EXPECT_EQ(ReadFile(driver_->DiffDir(*top) + "/new").value_or(""),
            "new-content");
}

TEST_F(ImageCoreTest, CommitBodyConfigGetsTheContainersDefaults) {
  ASSERT_TRUE(Load(SaveArchive({{"base:1", {BaseLayer()}}})).ok());
  absl::StatusOr<Image> base = core_->Resolve("base:1");
  ASSERT_TRUE(base.ok());
  ImageCommit commit = CommitOf(base->id.ToString());
  commit.config = {{"Env", {"PATH=/usr/bin"}},
                   {"WorkingDir", "/srv"},
                   {"HostConfig", {{"Privileged", true}}}};
  absl::StatusOr<std::string> id =
      core_->Commit(commit, WriteString(TopLayer("x")));
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<Image> image = core_->Resolve(*id);
  ASSERT_TRUE(image.ok());
  const nlohmann::json& config = image->config["config"];
  // The body's PATH wins; what it lacks comes from the container.
  EXPECT_EQ(config["Env"], nlohmann::json({"PATH=/usr/bin", "FROM_RUN=1"}));
  EXPECT_EQ(config["WorkingDir"], "/srv");
  EXPECT_EQ(config["Cmd"], nlohmann::json({"sh", "-c", "touch /new"}));
  EXPECT_EQ(config["Labels"]["run"], "yes");
  EXPECT_FALSE(config.contains("HostConfig"));
  EXPECT_FALSE(config.contains("Hostname"));
  // No repo: untagged.
  absl::StatusOr<v1::ImageDetail> detail = core_->Inspect(*id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->summary().repo_tags_size(), 0);
  EXPECT_EQ(detail->summary().parent_id(), base->id.ToString());
}

TEST_F(ImageCoreTest, CommitOfNoChangesAddsNoLayer) {
  ASSERT_TRUE(Load(SaveArchive({{"base:1", {BaseLayer()}}})).ok());
  absl::StatusOr<Image> base = core_->Resolve("base:1");
  ASSERT_TRUE(base.ok());
  // A tar without entries: its two zero blocks.
  absl::StatusOr<std::string> id = core_->Commit(
      CommitOf(base->id.ToString()), WriteString(std::string(1024, '\0')));
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<Image> image = core_->Resolve(*id);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->diff_ids, base->diff_ids);
  EXPECT_EQ(image->config["history"].back()["empty_layer"], true);
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 1);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
}

TEST_F(ImageCoreTest, CommitErrorsLeaveNothing) {
  ASSERT_TRUE(Load(SaveArchive({{"base:1", {BaseLayer()}}})).ok());
  absl::StatusOr<Image> base = core_->Resolve("base:1");
  ASSERT_TRUE(base.ok());
  bool written = false;
  LayerWriter track = [&written](ByteSink& out) {
    written = true;
    return out.Write(std::string(1024, '\0'));
  };
  ImageCommit commit = CommitOf(base->id.ToString());
  commit.repo = "x@sha256:" + std::string(64, 'a');
  EXPECT_EQ(core_->Commit(commit, track).status().code(),
            absl::StatusCode::kInvalidArgument);
  commit = CommitOf(base->id.ToString());
  commit.changes = {"RUN true"};
  EXPECT_EQ(core_->Commit(commit, track).status().code(),
            absl::StatusCode::kInvalidArgument);
  commit = CommitOf("sha256:" + std::string(64, 'f'));
  EXPECT_EQ(core_->Commit(commit, track).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(written) << "the layer was written for a bad request";
  // The container side failing midway: its error, nothing staged.
  absl::Status status =
      core_
          ->Commit(CommitOf(base->id.ToString()),
                   [](ByteSink& out) {
                     (void)out.Write("partial");
                     return absl::DataLossError("the tree changed");
                   })
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("graph/vfs/dir")), 1);
  absl::StatusOr<v1::ListImagesReply> list =
      core_->List(v1::ListImagesRequest());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->images_size(), 1);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

// Large enough to be applied as it streams in (see image_load.cc).
std::string BigLayer(const std::string& name) {
  std::string content(3 << 19, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  return testing::BuildTar({testing::Dir("big"),
                            testing::File("big/" + name, content),
                            testing::File(".wh.gone", "")});
}

class ImageCoreOverlayTest : public ImageCoreTest {
 protected:
  std::string DriverName() const override { return "overlay"; }

  // Layers in the driver, the "l" dir of short links aside.
  int LayerCount() const {
    return CountEntries(tmp_.Join("graph/overlay")) - 1;
  }
  // Nothing half done: no staged file, no incomplete layer.
  void ExpectNoLeftovers() {
    EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/tmp")), 0);
    EXPECT_EQ(CountEntries(tmp_.Join("image/layers/incomplete")), 0);
  }
};

TEST_F(ImageCoreOverlayTest, StreamedLayersAreChainedAsTheManifestSays) {
  ASSERT_TRUE(
      Load(SaveArchive(
               {{"big:1", {BigLayer("a"), BigLayer("b"), TopLayer("c")}}}))
          .ok());
  absl::StatusOr<Image> image = core_->Resolve("big:1");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(LayerCount(), 3);
  ExpectNoLeftovers();
  // The top layer sees both streamed layers below it, nearest first.
  std::vector<std::string> dirs;
  for (const auto& entry :
       std::filesystem::directory_iterator(tmp_.Join("graph/overlay"))) {
    if (entry.path().filename() != "l") dirs.push_back(entry.path());
  }
  int with_two_lowers = 0;
  for (const std::string& dir : dirs) {
    std::string id = std::filesystem::path(dir).filename();
    absl::StatusOr<std::vector<std::string>> lowers = driver_->LowerDirs(id);
    ASSERT_TRUE(lowers.ok()) << lowers.status();
    if (lowers->size() != 2) continue;
    ++with_two_lowers;
    EXPECT_TRUE(std::filesystem::exists((*lowers)[0] + "/big/b"));
    EXPECT_TRUE(std::filesystem::exists((*lowers)[1] + "/big/a"));
    // The whiteout became an overlay one.
    struct stat st;
    ASSERT_EQ(lstat(((*lowers)[0] + "/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }
  EXPECT_EQ(with_two_lowers, 1);

  // The layer tars were kept as they came: save gives back their digests.
  for (const std::string& layer : {BigLayer("a"), BigLayer("b")}) {
    EXPECT_TRUE(std::filesystem::exists(
        tmp_.Join("image/blobs/sha256/" + testing::Sha256Hex(layer))));
  }

  v1::RemoveImageRequest remove;
  remove.set_name("big:1");
  ASSERT_TRUE(core_->Remove(remove).ok());
  EXPECT_EQ(LayerCount(), 0);
}

TEST_F(ImageCoreOverlayTest, OneStreamedLayerTarOnTwoParents) {
  ASSERT_TRUE(Load(SaveArchive({{"one:1", {BaseLayer(), BigLayer("t")}},
                                {"two:1", {TopLayer("o"), BigLayer("t")}}}))
                  .ok());
  EXPECT_TRUE(core_->Resolve("one:1").ok());
  EXPECT_TRUE(core_->Resolve("two:1").ok());
  EXPECT_EQ(LayerCount(), 4);
  ExpectNoLeftovers();
}

TEST_F(ImageCoreOverlayTest, AStreamedLayerOfTheWrongDiffIdLeavesNothing) {
  std::string wrong = ConfigFor({"bad:1", {TopLayer("other")}});
  std::string config_name = testing::Sha256Hex(wrong) + ".json";
  std::string layer_name = testing::Sha256Hex(BigLayer("a")) + "/layer.tar";
  absl::Status status = Load(testing::BuildTar(
      {testing::File(layer_name, BigLayer("a")),
       testing::File(config_name, wrong),
       testing::File("manifest.json",
                     nlohmann::json::array({{{"Config", config_name},
                                             {"RepoTags", {"bad:1"}},
                                             {"Layers", {layer_name}}}})
                         .dump())}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(LayerCount(), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/sha256")), 0);
  ExpectNoLeftovers();
}

TEST_F(ImageCoreOverlayTest, BigFilesThatAreNoLayersAreOnlyStaged) {
  // A large blob that is no tar, and a streamed layer no manifest names.
  std::string noise(2 << 20, 'x');
  std::vector<testing::TarEntry> entries = {
      testing::File("blobs/sha256/" + testing::Sha256Hex(noise), noise),
      testing::File("unused/layer.tar", BigLayer("u"))};
  for (testing::TarEntry& entry : SaveEntries({{"one:1", {BaseLayer()}}})) {
    entries.push_back(std::move(entry));
  }
  ASSERT_TRUE(Load(testing::BuildTar(entries)).ok());
  EXPECT_TRUE(core_->Resolve("one:1").ok());
  EXPECT_EQ(LayerCount(), 1);
  ExpectNoLeftovers();
}

TEST_F(ImageCoreOverlayTest, ATruncatedStreamedLayerLeavesNothing) {
  std::string archive = SaveArchive({{"cut:1", {BigLayer("a")}}});
  absl::Status status = Load(archive.substr(0, 1 << 20));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(LayerCount(), 0);
  EXPECT_EQ(CountEntries(tmp_.Join("image/blobs/sha256")), 0);
  ExpectNoLeftovers();
}

}  // namespace
}  // namespace berth
