#include "services/daemon/volumes/volume_store.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path) << contents;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> Names(const std::vector<v1::Volume>& volumes) {
  std::vector<std::string> names;
  for (const v1::Volume& volume : volumes) names.push_back(volume.name());
  return names;
}

VolumeFilters Filters(
    std::initializer_list<std::pair<std::string, std::string>> pairs) {
  VolumeFilters filters;
  for (const auto& [key, value] : pairs) filters[key].add_values(value);
  return filters;
}

bool Mounted(const std::string& path) {
  absl::StatusOr<bool> mounted = IsMountPoint(path);
  return mounted.ok() && *mounted;
}

class VolumeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("volumes");
    store_ = std::make_unique<VolumeStore>(root_);
    ASSERT_TRUE(store_->Restore().ok());
  }

  void TearDown() override {
    // TempDir's recursive delete would follow a mount left by a failed
    // test into its source.
    SystemMountOps ops;
    UnmountAllUnder(tmp_.path(), ops).IgnoreError();
  }

  // A new store over the same directory, as after a daemon restart.
  void Restart() {
    store_ = std::make_unique<VolumeStore>(root_);
    ASSERT_TRUE(store_->Restore().ok());
  }

  static bool IsRoot() { return geteuid() == 0; }

  testing::TempDir tmp_;
  std::string root_;
  std::unique_ptr<VolumeStore> store_;
};

TEST_F(VolumeStoreTest, CreatesALocalVolume) {
  absl::StatusOr<v1::Volume> volume =
      store_->Create("data", "", {{"team", "a"}}, {});
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_EQ(volume->name(), "data");
  EXPECT_EQ(volume->driver(), "local");
  EXPECT_EQ(volume->scope(), "local");
  EXPECT_EQ(volume->mountpoint(), root_ + "/data/_data");
  EXPECT_THAT(
      volume->created_at(),
      MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
  EXPECT_EQ(volume->labels().at("team"), "a");
  EXPECT_FALSE(volume->labels().contains(kAnonymousVolumeLabel));
  struct stat st;
  ASSERT_EQ(stat(volume->mountpoint().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  absl::StatusOr<v1::Volume> inspected = store_->Inspect("data");
  ASSERT_TRUE(inspected.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*inspected, *volume));
  EXPECT_TRUE(store_->Create("other", "local", {}, {}).ok());
}

TEST_F(VolumeStoreTest, AnEmptyNameMakesAnAnonymousVolume) {
  absl::StatusOr<v1::Volume> volume = store_->Create("", "", {{"x", "1"}}, {});
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_THAT(volume->name(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(volume->labels().at(kAnonymousVolumeLabel), "");
  EXPECT_EQ(volume->labels().at("x"), "1");
  absl::StatusOr<v1::Volume> second = store_->Create("", "", {}, {});
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->name(), volume->name());
}

TEST_F(VolumeStoreTest, CreatingAnExistingNameReturnsIt) {
  StringMap opts = {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}};
  absl::StatusOr<v1::Volume> first =
      store_->Create("v1", "", {{"a", "1"}}, opts);
  ASSERT_TRUE(first.ok()) << first.status();
  // Labels are not changed, as in Docker; no options or the same ones are
  // no conflict.
  absl::StatusOr<v1::Volume> again =
      store_->Create("v1", "local", {{"b", "2"}}, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*again, *first));
  EXPECT_TRUE(store_->Create("v1", "", {}, opts).ok());
  opts["o"] = "size=2m";
  absl::Status conflict = store_->Create("v1", "", {}, opts).status();
  EXPECT_TRUE(absl::IsAborted(conflict)) << conflict;
  EXPECT_THAT(conflict.message(),
              HasSubstr("create v1: volume name must be unique"));
}

TEST_F(VolumeStoreTest, RefusesBadNamesDriversAndOptions) {
  for (const char* name :
       {"a", "-ab", "_ab", ".ab", "a/b", "..", "a b", "a:b"}) {
    absl::Status status = store_->Create(name, "", {}, {}).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << name << ": " << status;
    EXPECT_THAT(
        status.message(),
        HasSubstr("includes invalid characters for a local volume name, "
                  "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed"));
  }
  EXPECT_TRUE(store_->Create("ab", "", {}, {}).ok());
  EXPECT_TRUE(store_->Create("a.b_c-9", "", {}, {}).ok());

  absl::Status status = store_->Create("vv", "nfs-plugin", {}, {}).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("plugin \"nfs-plugin\" not found"));

  status = store_->Create("vv", "", {}, {{"foo", "bar"}}).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("create vv: invalid option: \"foo\""));
  status = store_->Create("vv", "", {}, {{"type", "tmpfs"}}).status();
  EXPECT_THAT(status.message(),
              HasSubstr("missing required option: \"device\""));
  status = store_->Create("vv", "", {}, {{"o", "size=1m"}, {"device", "x"}})
               .status();
  EXPECT_THAT(status.message(), HasSubstr("missing required option: \"type\""));
  status = store_->Create("vv", "", {}, {{"size", "10m"}}).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("no quota support"));
  // Nothing was made by the refusals.
  absl::StatusOr<std::vector<v1::Volume>> all = store_->List({});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(Names(*all), ElementsAre("a.b_c-9", "ab"));
}

TEST_F(VolumeStoreTest, AVolumeInUseCannotBeRemoved) {
  ASSERT_TRUE(store_->Create("vv", "", {}, {}).ok());
  absl::StatusOr<v1::Volume> acquired = store_->Acquire("vv", "c2");
  ASSERT_TRUE(acquired.ok()) << acquired.status();
  EXPECT_EQ(acquired->mountpoint(), root_ + "/vv/_data");
  ASSERT_TRUE(store_->Acquire("vv", "c1").ok());
  ASSERT_TRUE(store_->Acquire("vv", "c1").ok());  // Once per container.
  EXPECT_THAT(store_->Users("vv"), ElementsAre("c1", "c2"));

  for (bool force : {false, true}) {
    absl::Status status = store_->Remove("vv", force);
    EXPECT_TRUE(absl::IsAborted(status)) << status;
    EXPECT_EQ(status.message(), "remove vv: volume is in use - [c1, c2]");
  }
  ASSERT_TRUE(store_->Release("vv", "c1").ok());
  ASSERT_TRUE(store_->Release("vv", "c1").ok());  // Twice is fine.
  EXPECT_TRUE(absl::IsAborted(store_->Remove("vv", false)));
  ASSERT_TRUE(store_->Release("vv", "c2").ok());
  WriteFile(root_ + "/vv/_data/file", "data");
  ASSERT_TRUE(store_->Remove("vv", false).ok());
  EXPECT_FALSE(Exists(root_ + "/vv"));

  absl::Status status = store_->Inspect("vv").status();
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_EQ(status.message(), "get vv: no such volume");
  status = store_->Remove("vv", false);
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_EQ(status.message(), "get vv: no such volume");
  EXPECT_TRUE(store_->Remove("vv", true).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Release("vv", "c1")));
  // Nothing is left behind: no trash, no temporary directories.
  absl::StatusOr<std::vector<v1::Volume>> all = store_->List({});
  EXPECT_THAT(Names(*all), IsEmpty());
  EXPECT_EQ(rmdir(root_.c_str()), 0) << "the volumes directory is not empty";
}

TEST_F(VolumeStoreTest, AcquireCreatesMissingVolumes) {
  absl::StatusOr<v1::Volume> named = store_->Acquire("fresh", "c1");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->name(), "fresh");
  EXPECT_FALSE(named->labels().contains(kAnonymousVolumeLabel));
  EXPECT_TRUE(Exists(named->mountpoint()));

  absl::StatusOr<v1::Volume> anonymous = store_->Acquire("", "c1");
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_THAT(anonymous->name(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_TRUE(anonymous->labels().contains(kAnonymousVolumeLabel));
  EXPECT_THAT(store_->Users(anonymous->name()), ElementsAre("c1"));

  EXPECT_TRUE(absl::IsInvalidArgument(store_->Acquire("a/b", "c1").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Acquire("ok", "").status()));
}

TEST_F(VolumeStoreTest, ListFilters) {
  ASSERT_TRUE(
      store_->Create("web-data", "", {{"app", "web"}, {"tier", "1"}}, {}).ok());
  ASSERT_TRUE(store_->Create("db-data", "", {{"app", "db"}}, {}).ok());
  ASSERT_TRUE(store_->Create("cache", "", {}, {}).ok());
  ASSERT_TRUE(store_->Acquire("db-data", "c1").ok());

  auto list = [this](VolumeFilters filters) {
    absl::StatusOr<std::vector<v1::Volume>> volumes = store_->List(filters);
    EXPECT_TRUE(volumes.ok()) << volumes.status();
    return volumes.ok() ? Names(*volumes) : std::vector<std::string>{};
  };
  EXPECT_THAT(list({}), ElementsAre("cache", "db-data", "web-data"));
  EXPECT_THAT(list(Filters({{"dangling", "true"}})),
              ElementsAre("cache", "web-data"));
  EXPECT_THAT(list(Filters({{"dangling", "0"}})), ElementsAre("db-data"));
  EXPECT_THAT(list(Filters({{"name", "data"}})),
              ElementsAre("db-data", "web-data"));
  EXPECT_THAT(list(Filters({{"name", "^c"}})), ElementsAre("cache"));
  EXPECT_THAT(list(Filters({{"label", "app"}})),
              ElementsAre("db-data", "web-data"));
  EXPECT_THAT(list(Filters({{"label", "app=web"}})), ElementsAre("web-data"));
  VolumeFilters both = Filters({{"label", "app"}, {"label", "tier=1"}});
  EXPECT_THAT(list(both), ElementsAre("web-data"));
  VolumeFilters names = Filters({{"name", "cache"}, {"name", "web"}});
  EXPECT_THAT(list(names), ElementsAre("cache", "web-data"));
  EXPECT_THAT(list(Filters({{"driver", "local"}})),
              ElementsAre("cache", "db-data", "web-data"));
  EXPECT_THAT(list(Filters({{"driver", "nfs"}})), IsEmpty());

  absl::Status status = store_->List(Filters({{"bogus", "1"}})).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "invalid filter 'bogus'");
  status = store_->List(Filters({{"dangling", "maybe"}})).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("invalid filter 'dangling=maybe'"));
}

TEST_F(VolumeStoreTest, PruneTakesUnusedAnonymousVolumesUnlessAll) {
  absl::StatusOr<v1::Volume> unused = store_->Create("", "", {}, {});
  ASSERT_TRUE(unused.ok());
  WriteFile(unused->mountpoint() + "/f", std::string(1000, 'x'));
  absl::StatusOr<v1::Volume> used = store_->Acquire("", "c1");
  ASSERT_TRUE(used.ok());
  ASSERT_TRUE(store_->Create("named", "", {}, {}).ok());
  WriteFile(root_ + "/named/_data/g", std::string(24, 'y'));
  ASSERT_TRUE(store_->Create("kept", "", {{"keep", "yes"}}, {}).ok());
  ASSERT_TRUE(store_->Acquire("busy", "c1").ok());

  absl::StatusOr<v1::PruneVolumesReply> reply = store_->Prune({});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(reply->volumes_deleted(), ElementsAre(unused->name()));
  EXPECT_EQ(reply->space_reclaimed(), 1000u);
  EXPECT_FALSE(Exists(root_ + "/" + unused->name()));

  // all=true: named ones too, but never one in use; label! spares.
  reply = store_->Prune(Filters({{"all", "true"}, {"label!", "keep"}}));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(reply->volumes_deleted(), ElementsAre("named"));
  EXPECT_EQ(reply->space_reclaimed(), 24u);
  reply = store_->Prune(Filters({{"all", "1"}, {"label", "keep=no"}}));
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(reply->volumes_deleted(), IsEmpty());
  reply = store_->Prune(Filters({{"all", "True"}, {"label", "keep=yes"}}));
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(reply->volumes_deleted(), ElementsAre("kept"));

  absl::StatusOr<std::vector<v1::Volume>> left = store_->List({});
  EXPECT_THAT(Names(*left), UnorderedElementsAre("busy", used->name()));

  absl::Status status = store_->Prune(Filters({{"all", "yes"}})).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("invalid filter 'all=yes'"));
  status = store_->Prune(Filters({{"dangling", "true"}})).status();
  EXPECT_EQ(status.message(), "invalid filter 'dangling'");
}

TEST_F(VolumeStoreTest, DiskUsageCountsBytesAndUsers) {
  ASSERT_TRUE(store_->Create("aa", "", {}, {}).ok());
  ASSERT_TRUE(store_->Acquire("bb", "c1").ok());
  ASSERT_TRUE(store_->Acquire("bb", "c2").ok());
  WriteFile(root_ + "/aa/_data/f", std::string(100, 'x'));
  ASSERT_EQ(mkdir((root_ + "/bb/_data/d").c_str(), 0755), 0);
  WriteFile(root_ + "/bb/_data/d/f", std::string(30, 'x'));
  ASSERT_EQ(
      link((root_ + "/bb/_data/d/f").c_str(), (root_ + "/bb/_data/h").c_str()),
      0);

  absl::StatusOr<v1::VolumeDiskUsageReply> usage = store_->DiskUsage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  ASSERT_EQ(usage->volumes_size(), 2);
  EXPECT_EQ(usage->volumes(0).name(), "aa");
  EXPECT_EQ(usage->volumes(0).usage_data().size(), 100);
  EXPECT_EQ(usage->volumes(0).usage_data().ref_count(), 0);
  EXPECT_EQ(usage->volumes(1).usage_data().size(), 30);  // Hardlinks once.
  EXPECT_EQ(usage->volumes(1).usage_data().ref_count(), 2);
  EXPECT_EQ(usage->total_size(), 130);
}

TEST_F(VolumeStoreTest, VolumesSurviveARestart) {
  absl::StatusOr<v1::Volume> labelled =
      store_->Create("labelled", "", {{"k", "v"}, {"empty", ""}}, {});
  ASSERT_TRUE(labelled.ok());
  absl::StatusOr<v1::Volume> withopts = store_->Create(
      "withopts", "", {},
      {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}});
  ASSERT_TRUE(withopts.ok());
  absl::StatusOr<v1::Volume> anonymous = store_->Create("", "", {}, {});
  ASSERT_TRUE(anonymous.ok());
  WriteFile(labelled->mountpoint() + "/kept", "still here");
  // What interrupted work leaves, and a directory someone put there.
  ASSERT_EQ(mkdir((root_ + "/.tmp-half-1234").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/.trash-gone-5678").c_str(), 0755), 0);
  WriteFile(root_ + "/.trash-gone-5678/x", "x");
  ASSERT_EQ(mkdir((root_ + "/foreign").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/broken").c_str(), 0755), 0);
  WriteFile(root_ + "/broken/volume.json", "{not json");

  Restart();
  for (const v1::Volume& before : {*labelled, *withopts, *anonymous}) {
    absl::StatusOr<v1::Volume> after = store_->Inspect(before.name());
    ASSERT_TRUE(after.ok()) << before.name() << ": " << after.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*after, before))
        << after->DebugString() << " vs " << before.DebugString();
  }
  EXPECT_FALSE(Exists(root_ + "/.tmp-half-1234"));
  EXPECT_FALSE(Exists(root_ + "/.trash-gone-5678"));
  absl::StatusOr<v1::Volume> foreign = store_->Inspect("foreign");
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  EXPECT_TRUE(Exists(root_ + "/foreign/_data"));
  EXPECT_FALSE(foreign->created_at().empty());
  // Unreadable metadata hides the volume but keeps its data, and its
  // name is not reused on top of it.
  EXPECT_TRUE(absl::IsNotFound(store_->Inspect("broken").status()));
  EXPECT_TRUE(Exists(root_ + "/broken/volume.json"));
  absl::Status status = store_->Create("broken", "", {}, {}).status();
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("could not be loaded"));
  std::ifstream kept(labelled->mountpoint() + "/kept");
  std::string text;
  std::getline(kept, text);
  EXPECT_EQ(text, "still here");
  // Anonymous stays anonymous: prune still takes it.
  absl::StatusOr<v1::PruneVolumesReply> pruned = store_->Prune({});
  ASSERT_TRUE(pruned.ok());
  EXPECT_THAT(pruned->volumes_deleted(), ElementsAre(anonymous->name()));
}

TEST_F(VolumeStoreTest, CopyUpKeepsOwnersModesLinksAndXattrs) {
  if (!IsRoot()) GTEST_SKIP() << "needs root for foreign owners";
  std::string src = tmp_.Join("image-dir");
  ASSERT_EQ(mkdir(src.c_str(), 0700), 0);
  ASSERT_EQ(chmod(src.c_str(), 0750), 0);
  ASSERT_EQ(chown(src.c_str(), 42, 43), 0);
  WriteFile(src + "/file", "content");
  ASSERT_EQ(chmod((src + "/file").c_str(), 04711), 0);  // chown clears setuid
  ASSERT_EQ(chown((src + "/file").c_str(), 1234, 5678), 0);
  ASSERT_EQ(chmod((src + "/file").c_str(), 04711), 0);
  ASSERT_EQ(setxattr((src + "/file").c_str(), "user.origin", "image", 5, 0), 0);
  ASSERT_EQ(mkdir((src + "/sticky").c_str(), 0755), 0);
  ASSERT_EQ(chmod((src + "/sticky").c_str(), 01777), 0);
  ASSERT_EQ(symlink("../file", (src + "/sticky/link").c_str()), 0);
  ASSERT_EQ(lchown((src + "/sticky/link").c_str(), 7, 8), 0);
  ASSERT_EQ(link((src + "/file").c_str(), (src + "/hard").c_str()), 0);

  ASSERT_TRUE(store_->Create("vv", "", {}, {}).ok());
  absl::StatusOr<bool> copied = store_->CopyUp("vv", src);
  EXPECT_TRUE(absl::IsFailedPrecondition(copied.status())) << copied.status();
  absl::StatusOr<v1::Volume> volume = store_->Acquire("vv", "c1");
  ASSERT_TRUE(volume.ok());
  copied = store_->CopyUp("vv", src);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_TRUE(*copied);

  const std::string data = volume->mountpoint();
  struct stat st;
  ASSERT_EQ(lstat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_gid, 43u);
  ASSERT_EQ(lstat((data + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04711u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_nlink, 2u);
  struct stat hard;
  ASSERT_EQ(lstat((data + "/hard").c_str(), &hard), 0);
  EXPECT_EQ(hard.st_ino, st.st_ino);
  char value[16] = {};
  EXPECT_EQ(
      getxattr((data + "/file").c_str(), "user.origin", value, sizeof(value)),
      5);
  EXPECT_STREQ(value, "image");
  ASSERT_EQ(lstat((data + "/sticky").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(lstat((data + "/sticky/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 7u);
  char target[32] = {};
  ASSERT_GT(readlink((data + "/sticky/link").c_str(), target, sizeof(target)),
            0);
  EXPECT_STREQ(target, "../file");
  // Only the copied entries: no staging directory left.
  absl::StatusOr<v1::VolumeDiskUsageReply> usage = store_->DiskUsage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->volumes(0).usage_data().size(), 7 + 7);  // file + link

  // A volume with content is left alone; so is a missing source.
  copied = store_->CopyUp("vv", src);
  ASSERT_TRUE(copied.ok());
  EXPECT_FALSE(*copied);
  ASSERT_TRUE(store_->Acquire("ww", "c1").ok());
  copied = store_->CopyUp("ww", tmp_.Join("missing"));
  ASSERT_TRUE(copied.ok());
  EXPECT_FALSE(*copied);
  EXPECT_TRUE(absl::IsNotFound(store_->CopyUp("nope", src).status()));
}

TEST_F(VolumeStoreTest, TmpfsVolumeIsMountedWhileUsed) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to mount";
  absl::StatusOr<v1::Volume> volume = store_->Create(
      "scratch", "", {},
      {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,mode=0710"}});
  ASSERT_TRUE(volume.ok()) << volume.status();
  const std::string data = volume->mountpoint();
  EXPECT_FALSE(Mounted(data));
  ASSERT_TRUE(store_->Acquire("scratch", "c1").ok());
  EXPECT_TRUE(Mounted(data));
  struct stat st;
  ASSERT_EQ(stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);  // The tmpfs root, not the dir.
  WriteFile(data + "/in-tmpfs", "x");
  ASSERT_TRUE(store_->Acquire("scratch", "c2").ok());
  ASSERT_TRUE(store_->Release("scratch", "c1").ok());
  EXPECT_TRUE(Mounted(data));
  ASSERT_TRUE(store_->Release("scratch", "c2").ok());
  EXPECT_FALSE(Mounted(data));
  EXPECT_FALSE(Exists(data + "/in-tmpfs"));

  // A restart adopts the mount; acquiring again does not stack another.
  ASSERT_TRUE(store_->Acquire("scratch", "c1").ok());
  WriteFile(data + "/in-tmpfs", "x");
  Restart();
  EXPECT_TRUE(Mounted(data));
  ASSERT_TRUE(store_->Acquire("scratch", "c1").ok());
  absl::StatusOr<std::vector<std::string>> points = ListMountPoints();
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(std::count(points->begin(), points->end(), data), 1);
  EXPECT_TRUE(Exists(data + "/in-tmpfs"));
  ASSERT_TRUE(store_->Release("scratch", "c1").ok());
  EXPECT_FALSE(Mounted(data));
  ASSERT_TRUE(store_->Remove("scratch", false).ok());
}

TEST_F(VolumeStoreTest, AMountFailureIsReportedAndNothingIsHeld) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to mount";
  ASSERT_TRUE(store_
                  ->Create("bad", "", {},
                           {{"type", "none"},
                            {"o", "bind"},
                            {"device", tmp_.Join("no-such-dir")}})
                  .ok());
  absl::Status status = store_->Acquire("bad", "c1").status();
  EXPECT_TRUE(absl::IsInternal(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("failed to mount local volume bad"));
  EXPECT_THAT(status.message(), HasSubstr("No such file or directory"));
  EXPECT_THAT(store_->Users("bad"), IsEmpty());
  EXPECT_TRUE(store_->Remove("bad", false).ok());
}

TEST_F(VolumeStoreTest, RemovingABindVolumeKeepsItsSource) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to mount";
  std::string src = tmp_.Join("host-dir");
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  WriteFile(src + "/precious", "keep me");
  ASSERT_TRUE(store_
                  ->Create("bound", "", {},
                           {{"type", "none"}, {"o", "bind"}, {"device", src}})
                  .ok());
  absl::StatusOr<v1::Volume> volume = store_->Acquire("bound", "c1");
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_TRUE(Exists(volume->mountpoint() + "/precious"));
  ASSERT_TRUE(store_->Release("bound", "c1").ok());
  ASSERT_TRUE(store_->Remove("bound", false).ok());
  EXPECT_TRUE(Exists(src + "/precious"));

  // Even a mount the store does not know about (made behind its back) is
  // never deleted through.
  ASSERT_TRUE(store_->Create("plain", "", {}, {}).ok());
  std::string data = root_ + "/plain/_data";
  ASSERT_EQ(mount(src.c_str(), data.c_str(), nullptr, MS_BIND, nullptr), 0);
  EXPECT_TRUE(store_->Remove("plain", false).ok());
  EXPECT_TRUE(Exists(src + "/precious"));
}

}  // namespace
}  // namespace berth
