#include "services/daemon/archive/write_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::BuildTar;
using ::berth::testing::DescribeTree;
using ::berth::testing::Dir;
using ::berth::testing::File;
using ::berth::testing::Hardlink;
using ::berth::testing::ListXattrs;
using ::berth::testing::ReadFileOrDie;
using ::berth::testing::ReadTar;
using ::berth::testing::Symlink;
using ::berth::testing::TarEntry;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Names(const std::string& tar) {
  std::vector<std::string> names;
  for (const TarEntry& e : ReadTar(tar)) names.push_back(e.name);
  return names;
}

absl::StatusOr<std::string> Write(const std::string& dir, WhiteoutMode mode) {
  StringSink sink;
  absl::Status status = WriteLayerTar(dir, mode, sink);
  if (!status.ok()) return status;
  return sink.Release();
}

absl::Status Apply(const std::string& tar, const std::string& dir,
                   ApplyOptions options = {}) {
  StringSource source(tar);
  return ApplyLayer(source, dir, options).status();
}

class WriteLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = tmp_.Join("a");
    b_ = tmp_.Join("b");
    ASSERT_EQ(mkdir(a_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(b_.c_str(), 0755), 0);
  }

  berth::testing::TempDir tmp_;
  std::string a_;
  std::string b_;
};

TEST_F(WriteLayerTest, RoundTripReproducesTheTree) {
  TarEntry su = File("bin/su", "ELF", 04755);
  su.mtime = 1400000000;
  TarEntry owned = File("home/u/f", std::string(3 << 20, 'x'), 0640);
  owned.uid = 1234;
  owned.gid = 5678;
  owned.xattrs = {{"user.comment", "hello"}, {"trusted.t", "v"}};
  TarEntry home = Dir("home", 0750);
  home.uid = 7;
  home.xattrs = {{"user.dir", "d"}};
  TarEntry link = Symlink("bin/sh", "busybox");
  link.uid = 3;
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = 'p';
  fifo.mode = 0620;
  TarEntry null;
  null.name = "dev/null";
  null.type = 'c';
  null.mode = 0666;
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry long_name =
      File(std::string(150, 'n') + "/" + std::string(200, 'm'), "long");
  ApplyOptions devices;
  devices.allow_devices = true;
  ASSERT_TRUE(
      Apply(BuildTar({Dir("bin"), su, Hardlink("bin/su2", "bin/su"),
                      Hardlink("bin/su3", "bin/su"), home, owned, link, fifo,
                      null, long_name, File("caf\xc3\xa9", "utf8"),
                      File("bin\xff", "binary"), Dir("empty")}),
            a_, devices)
          .ok());

  absl::StatusOr<std::string> tar = Write(a_, WhiteoutMode::kApply);
  ASSERT_TRUE(tar.ok()) << tar.status();
  absl::Status applied = Apply(*tar, b_, devices);
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_EQ(DescribeTree(a_), DescribeTree(b_));
  EXPECT_EQ(DescribeTree(b_).size(), 17u);

  // The second and third names are hardlinks, with no data of their own.
  for (const TarEntry& e : ReadTar(*tar)) {
    if (e.name == "bin/su2" || e.name == "bin/su3") {
      EXPECT_EQ(e.type, 'h');
      EXPECT_EQ(e.data, "bin/su");
    }
  }
}

TEST_F(WriteLayerTest, OutputIsSortedAndDeterministic) {
  ASSERT_TRUE(
      Apply(BuildTar({File("b", "b"), File("a.txt", "a"), File("a/z", "z"),
                      File("a/b", "b"), Symlink("A", "a")}),
            a_)
          .ok());
  absl::StatusOr<std::string> first = Write(a_, WhiteoutMode::kApply);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> second = Write(a_, WhiteoutMode::kApply);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_THAT(Names(*first),
              ElementsAre("A", "a/", "a/b", "a/z", "a.txt", "b"));
  // Two zero blocks end it, with no padding to a record size.
  EXPECT_EQ(first->size() % 512, 0u);
  EXPECT_EQ(first->substr(first->size() - 1024), std::string(1024, '\0'));
  EXPECT_NE(first->substr(first->size() - 1536, 512), std::string(512, '\0'));
}

TEST_F(WriteLayerTest, OverlayWhiteoutsBecomeLayerWhiteouts) {
  ASSERT_EQ(mknod((a_ + "/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(mkdir((a_ + "/etc").c_str(), 0755), 0);
  // Overlay shares one whiteout inode between deletions.
  ASSERT_EQ(link((a_ + "/gone").c_str(), (a_ + "/etc/gone2").c_str()), 0);
  ASSERT_EQ(mkdir((a_ + "/o").c_str(), 0710), 0);
  ASSERT_EQ(setxattr((a_ + "/o").c_str(), "trusted.overlay.opaque", "y", 1, 0),
            0);
  ASSERT_EQ(setxattr((a_ + "/o").c_str(), "user.kept", "1", 1, 0), 0);
  std::ofstream(a_ + "/o/f") << "f";

  absl::StatusOr<std::string> tar = Write(a_, WhiteoutMode::kOverlay);
  ASSERT_TRUE(tar.ok()) << tar.status();
  std::vector<TarEntry> entries = ReadTar(*tar);
  std::vector<std::string> names;
  for (const TarEntry& e : entries) names.push_back(e.name);
  EXPECT_THAT(names, ElementsAre("etc/", "etc/.wh.gone2", ".wh.gone", "o/",
                                 "o/.wh..wh..opq", "o/f"));
  for (const TarEntry& e : entries) {
    if (e.name == "o/") {
      ASSERT_EQ(e.xattrs.size(), 1u);
      EXPECT_EQ(e.xattrs[0].first, "user.kept");
      EXPECT_EQ(e.xattrs[0].second, "1");
    } else if (e.name != "etc/") {
      EXPECT_EQ(e.type, 'f') << e.name;
    }
    if (e.name == "o/.wh..wh..opq") {
      EXPECT_EQ(e.mode, 0710);
      EXPECT_TRUE(e.data.empty());
    }
  }

  // Applied to a fresh upper dir, it is the same upper dir again.
  ApplyOptions overlay;
  overlay.whiteouts = WhiteoutMode::kOverlay;
  ASSERT_TRUE(Apply(*tar, b_, overlay).ok());
  struct stat st;
  ASSERT_EQ(lstat((b_ + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  ASSERT_EQ(lstat((b_ + "/etc/gone2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_THAT(ListXattrs(b_ + "/o"),
              ElementsAre("trusted.overlay.opaque=y", "user.kept=1"));
  EXPECT_EQ(ReadFileOrDie(b_ + "/o/f"), "f");
}

TEST_F(WriteLayerTest, ApplyModeKeepsDevicesAsDevices) {
  ASSERT_EQ(mknod((a_ + "/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  absl::StatusOr<std::string> tar = Write(a_, WhiteoutMode::kApply);
  ASSERT_TRUE(tar.ok()) << tar.status();
  std::vector<TarEntry> entries = ReadTar(*tar);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "gone");
  EXPECT_EQ(entries[0].type, 'c');
}

TEST_F(WriteLayerTest, SymlinksAreNotFollowed) {
  std::ofstream(tmp_.Join("secret")) << "secret";
  ASSERT_EQ(symlink(tmp_.Join("secret").c_str(), (a_ + "/s").c_str()), 0);
  ASSERT_EQ(symlink(tmp_.path().c_str(), (a_ + "/d").c_str()), 0);
  absl::StatusOr<std::string> tar = Write(a_, WhiteoutMode::kApply);
  ASSERT_TRUE(tar.ok()) << tar.status();
  std::vector<TarEntry> entries = ReadTar(*tar);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].type, 'l');
  EXPECT_EQ(entries[1].type, 'l');
}

class FailingSink : public ByteSink {
 public:
  absl::Status Write(absl::string_view) override {
    return absl::ResourceExhaustedError("disk full");
  }
};

TEST_F(WriteLayerTest, SinkErrorsPassThrough) {
  std::ofstream(a_ + "/f") << std::string(5 << 20, 'f');
  FailingSink sink;
  absl::Status status = WriteLayerTar(a_, WhiteoutMode::kApply, sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("disk full"));
}

TEST_F(WriteLayerTest, MissingDirIsNotFound) {
  StringSink sink;
  EXPECT_EQ(WriteLayerTar(tmp_.Join("nope"), WhiteoutMode::kApply, sink).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth
