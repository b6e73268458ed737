#include "services/daemon/archive/apply_layer.h"

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

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/test_tar.h"

namespace berth {
namespace {

namespace fs = std::filesystem;
using ::berth::testing::BuildTar;
using ::berth::testing::Codec;
using ::berth::testing::Compress;
using ::berth::testing::Dir;
using ::berth::testing::File;
using ::berth::testing::Hardlink;
using ::berth::testing::ReadFileOrDie;
using ::berth::testing::Sha256Hex;
using ::berth::testing::Symlink;
using ::berth::testing::TarEntry;
using ::testing::HasSubstr;

void WriteFileOrDie(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

std::string GetXattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name, buf, sizeof(buf));
  return n < 0 ? "<none>" : std::string(buf, n);
}

// target_dir is "root" inside a scratch dir; the rest of the scratch dir
// ("outside", with a victim file) must never change.
class ApplyLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("root");
    outside_ = tmp_.Join("outside");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    WriteFileOrDie(outside_ + "/victim", "original");
    before_ = Outside();
  }

  absl::StatusOr<ApplyStats> Apply(const std::string& tar,
                                   ApplyOptions options = {}) {
    StringSource source(tar);
    return ApplyLayer(source, root_, options);
  }

  std::string At(const std::string& rel) const { return root_ + "/" + rel; }

  // Every path of the scratch dir outside root/, with type and content.
  std::map<std::string, std::string> Outside() const {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(tmp_.path());
         it != fs::recursive_directory_iterator(); ++it) {
      std::string rel = fs::relative(it->path(), tmp_.path()).string();
      if (rel == "root") {
        it.disable_recursion_pending();
        continue;
      }
      fs::file_status status = it->symlink_status();
      std::string value = std::to_string(static_cast<int>(status.type()));
      if (status.type() == fs::file_type::regular) {
        value += ":" + ReadFileOrDie(it->path());
      }
      out[rel] = value;
    }
    return out;
  }

  void ExpectOutsideUntouched() const {
    EXPECT_EQ(Outside(), before_);
    EXPECT_EQ(ReadFileOrDie(outside_ + "/victim"), "original");
  }

  berth::testing::TempDir tmp_;
  std::string root_;
  std::string outside_;
  std::map<std::string, std::string> before_;
};

// --- Hostile input -------------------------------------------------------

TEST_F(ApplyLayerTest, DotDotEscapeIsRefused) {
  absl::StatusOr<ApplyStats> stats = Apply(BuildTar({File("../escape", "x")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("\"../escape\""));
  EXPECT_THAT(stats.status().message(), HasSubstr("climbs out"));
  EXPECT_FALSE(Exists(tmp_.Join("escape")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, NestedDotDotEscapeIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Dir("a"), File("a/../../escape", "x")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("a/../../escape"));
  EXPECT_FALSE(Exists(tmp_.Join("escape")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, DotDotInsideTheTreeIsResolved) {
  ASSERT_TRUE(Apply(BuildTar({Dir("a"), File("a/../b", "x")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("b")), "x");
}

TEST_F(ApplyLayerTest, AbsolutePathLandsInsideTarget) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")}));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFileOrDie(At("etc/passwd")), "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(Lstat(At("etc")).st_mode & 07777, 0755u);
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, WritingThroughSymlinkIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Symlink("link", outside_), File("link/owned", "pwned")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("\"link/owned\""));
  EXPECT_THAT(stats.status().message(), HasSubstr("symlink"));
  EXPECT_FALSE(Exists(outside_ + "/owned"));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, DirectoryThroughSymlinkIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Symlink("link", outside_), Dir("link/sub")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(outside_ + "/sub"));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, SymlinkChainThroughParentIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Dir("x"), Symlink("x/d", ".."), Symlink("d", ".."),
                      File("x/d/d/escape", "pwned")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("symlink"));
  EXPECT_FALSE(Exists(tmp_.Join("escape")));
  EXPECT_FALSE(Exists(At("escape")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, SymlinkToParentThenFileIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Symlink("d", ".."), File("d/escape", "pwned")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(tmp_.Join("escape")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, ParentReplacedBySymlinkMidLayerIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Dir("d"), File("d/f1", "1"), Symlink("d", outside_),
                      File("d/f2", "pwned")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("\"d/f2\""));
  EXPECT_FALSE(Exists(outside_ + "/f2"));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, SymlinkEntriesAreStoredWhateverTheyPointAt) {
  ASSERT_TRUE(
      Apply(BuildTar({Symlink("abs", "/etc/shadow"), Symlink("up", "../../.."),
                      Symlink("out", outside_ + "/victim")}))
          .ok());
  EXPECT_EQ(fs::read_symlink(At("abs")), "/etc/shadow");
  EXPECT_EQ(fs::read_symlink(At("up")), "../../..");
  EXPECT_EQ(fs::read_symlink(At("out")), outside_ + "/victim");
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, HardlinkOutOfTreeIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("f", "x"), Hardlink("h", "../../etc/passwd")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("\"h\""));
  EXPECT_THAT(stats.status().message(), HasSubstr("outside the layer root"));
  EXPECT_FALSE(Exists(At("h")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, HardlinkThroughSymlinkedDirIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Symlink("out", outside_), Hardlink("h", "out/victim")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("symlink"));
  EXPECT_FALSE(Exists(At("h")));
  EXPECT_EQ(Lstat(outside_ + "/victim").st_nlink, 1u);
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, HardlinkToInTreeSymlinkLinksTheSymlinkItself) {
  ASSERT_TRUE(
      Apply(BuildTar({Symlink("s", outside_ + "/victim"), Hardlink("h", "s")}))
          .ok());
  struct stat h = Lstat(At("h"));
  EXPECT_TRUE(S_ISLNK(h.st_mode));
  EXPECT_EQ(h.st_ino, Lstat(At("s")).st_ino);
  EXPECT_EQ(Lstat(outside_ + "/victim").st_nlink, 1u);

  // A later layer writing to that name replaces it, never writes through.
  ASSERT_TRUE(Apply(BuildTar({File("h", "pwned"), File("s", "pwned")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("h")), "pwned");
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, HardlinkToMissingTargetIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Hardlink("h", "nowhere")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("does not exist"));
}

TEST_F(ApplyLayerTest, HardlinkToDirectoryIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({Dir("d"), Hardlink("h", "d")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("is a directory"));
}

TEST_F(ApplyLayerTest, DeviceNodeRefusedByDefault) {
  TarEntry null;
  null.name = "dev/null";
  null.type = 'c';
  null.dev_major = 1;
  null.dev_minor = 3;
  absl::StatusOr<ApplyStats> stats = Apply(BuildTar({null}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("\"dev/null\""));
  EXPECT_THAT(stats.status().message(), HasSubstr("device"));
  EXPECT_FALSE(Exists(At("dev/null")));

  TarEntry loop;
  loop.name = "loop0";
  loop.type = 'b';
  loop.dev_major = 7;
  EXPECT_EQ(Apply(BuildTar({loop})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(At("loop0")));
}

TEST_F(ApplyLayerTest, DeviceNodeAllowedWhenAsked) {
  TarEntry null;
  null.name = "dev/null";
  null.type = 'c';
  null.mode = 0666;
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry loop;
  loop.name = "dev/loop0";
  loop.type = 'b';
  loop.mode = 0660;
  loop.gid = 6;
  loop.dev_major = 7;
  ApplyOptions options;
  options.allow_devices = true;
  ASSERT_TRUE(Apply(BuildTar({null, loop}), options).ok());
  struct stat st = Lstat(At("dev/null"));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  st = Lstat(At("dev/loop0"));
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(7, 0));
  EXPECT_EQ(st.st_gid, 6u);
}

TEST_F(ApplyLayerTest, TruncatedArchiveIsDataLoss) {
  std::string tar = BuildTar({File("big", std::string(100000, 'b'))});
  absl::StatusOr<ApplyStats> stats = Apply(tar.substr(0, 5000));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(stats.status().message(), HasSubstr("unexpected EOF"));
  EXPECT_THAT(stats.status().message(), HasSubstr("\"big\""));
}

TEST_F(ApplyLayerTest, TruncatedHeaderIsDataLoss) {
  std::string tar = BuildTar({File("a", "x"), File("b", "y")});
  // Into the second entry's header.
  absl::StatusOr<ApplyStats> stats = Apply(tar.substr(0, 1024 + 1024 + 100));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kDataLoss)
      << stats.status();
  EXPECT_THAT(stats.status().message(), HasSubstr("unexpected EOF"));
}

TEST_F(ApplyLayerTest, CorruptGzipIsInvalidArgument) {
  std::string gz = Compress(
      BuildTar({File("a", std::string(200000, 'a')), File("b", "bbb")}),
      Codec::kGzip);
  // The first deflate block header (after the 10-byte gzip header) now
  // names the reserved block type.
  gz[10] = '\xff';
  absl::StatusOr<ApplyStats> stats = Apply(gz);
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument)
      << stats.status();
  EXPECT_THAT(stats.status().message(), HasSubstr("corrupt gzip"));
}

TEST_F(ApplyLayerTest, GzipCorruptedMidStreamFails) {
  std::string gz = Compress(
      BuildTar({File("a", std::string(200000, 'a')), File("b", "bbb")}),
      Codec::kGzip);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 32 && i < gz.size(); ++i) {
    gz[i] = '\xff';
  }
  EXPECT_FALSE(Apply(gz).ok());
}

TEST_F(ApplyLayerTest, TruncatedGzipFails) {
  std::string gz = Compress(
      BuildTar({File("a", std::string(200000, 'a')), File("b", "bbb")}),
      Codec::kGzip);
  absl::StatusOr<ApplyStats> stats = Apply(gz.substr(0, gz.size() - 20));
  EXPECT_FALSE(stats.ok());
}

TEST_F(ApplyLayerTest, CorruptGzipHeaderIsInvalidArgument) {
  std::string gz = Compress(BuildTar({File("a", "x")}), Codec::kGzip);
  gz[2] = 0x42;  // unknown compression method
  EXPECT_EQ(Apply(gz).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ApplyLayerTest, GarbageIsInvalidArgument) {
  absl::StatusOr<ApplyStats> stats = Apply(std::string(4096, 'z'));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("malformed layer tar"));
}

TEST_F(ApplyLayerTest, ShortGarbageIsNotATar) {
  absl::StatusOr<ApplyStats> stats = Apply("hello");
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("not a tar"));
}

TEST_F(ApplyLayerTest, XzIsRefusedWithAClearMessage) {
  absl::StatusOr<ApplyStats> stats =
      Apply(std::string("\xfd"
                        "7zXZ\0\0\x04\xe6\xd6\xb4\x46",
                        12));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("xz"));
}

TEST_F(ApplyLayerTest, HostileOverlayXattrsAreDropped) {
  TarEntry d = Dir("d");
  d.xattrs = {{"trusted.overlay.redirect", "/etc"},
              {"trusted.overlay.opaque", "y"},
              {"user.kept", "1"}};
  ASSERT_TRUE(Apply(BuildTar({d})).ok());
  EXPECT_EQ(GetXattr(At("d"), "trusted.overlay.redirect"), "<none>");
  EXPECT_EQ(GetXattr(At("d"), "trusted.overlay.opaque"), "<none>");
  EXPECT_EQ(GetXattr(At("d"), "user.kept"), "1");
}

TEST_F(ApplyLayerTest, RootCannotBecomeAFile) {
  EXPECT_EQ(Apply(BuildTar({File("./", "x")})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ApplyLayerTest, FileUnderAFileIsRefused) {
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("f", "x"), File("f/g", "y")}));
  ASSERT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stats.status().message(), HasSubstr("not a directory"));
}

// --- Content and metadata -----------------------------------------------

TEST_F(ApplyLayerTest, EntriesAndMetadataRoundTrip) {
  TarEntry bin = Dir("bin", 0755);
  bin.mtime = 1500000000;
  bin.mtime_nsec = 123456789;
  TarEntry su = File("bin/su", "ELF...", 04755);
  su.uid = 0;
  su.gid = 0;
  su.mtime = 1400000000;
  su.mtime_nsec = 987654321;
  TarEntry sg = File("bin/sg", "sg", 02711);
  sg.gid = 42;
  TarEntry tmpdir = Dir("tmp", 01777);
  TarEntry owned = File("home/u/f", "data", 0640);
  owned.uid = 1234;
  owned.gid = 5678;
  owned.xattrs = {{"user.comment", "hello"},
                  {"security.capability", std::string("\x01\x00\x00\x02"
                                                      "\x00\x20\x00\x00"
                                                      "\x00\x00\x00\x00"
                                                      "\x00\x00\x00\x00"
                                                      "\x00\x00\x00\x00",
                                                      20)}};
  TarEntry dir_x = Dir("home", 0750);
  dir_x.xattrs = {{"trusted.note", "t"}};
  dir_x.uid = 7;
  TarEntry link = Symlink("bin/sh", "busybox");
  link.uid = 3;
  link.gid = 4;
  link.mtime = 1300000000;
  // The kernel refuses user.* on symlinks: dropped, not an error.
  link.xattrs = {{"trusted.l", "1"}, {"user.l", "2"}};
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = 'p';
  fifo.mode = 0620;
  TarEntry empty = File("empty", "", 0600);

  std::vector<TarEntry> entries = {
      bin,  su,   sg, tmpdir, dir_x, owned, link, Hardlink("bin/su2", "bin/su"),
      fifo, empty};
  std::string tar = BuildTar(entries);
  absl::StatusOr<ApplyStats> stats = Apply(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->size, 6u + 2u + 4u);
  EXPECT_EQ(stats->bytes_in_tar, tar.size());
  EXPECT_EQ(stats->diff_id_hex, Sha256Hex(tar));

  struct stat st = Lstat(At("bin/su"));
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1400000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 987654321);
  EXPECT_EQ(ReadFileOrDie(At("bin/su")), "ELF...");
  EXPECT_EQ(Lstat(At("bin/su2")).st_ino, st.st_ino);
  EXPECT_EQ(st.st_nlink, 2u);
  st = Lstat(At("bin/sg"));
  EXPECT_EQ(st.st_mode & 07777, 02711u);
  EXPECT_EQ(st.st_gid, 42u);
  // Set after bin/su, bin/sg, bin/sh and bin/su2 were created in it.
  st = Lstat(At("bin"));
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(Lstat(At("tmp")).st_mode & 07777, 01777u);
  st = Lstat(At("home"));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(GetXattr(At("home"), "trusted.note"), "t");
  st = Lstat(At("home/u/f"));
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(GetXattr(At("home/u/f"), "user.comment"), "hello");
  EXPECT_EQ(GetXattr(At("home/u/f"), "security.capability").size(), 20u);
  // Implicit parent.
  EXPECT_TRUE(S_ISDIR(Lstat(At("home/u")).st_mode));
  st = Lstat(At("bin/sh"));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 3u);
  EXPECT_EQ(st.st_gid, 4u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1300000000);
  EXPECT_EQ(fs::read_symlink(At("bin/sh")), "busybox");
  EXPECT_EQ(GetXattr(At("bin/sh"), "trusted.l"), "1");
  EXPECT_EQ(GetXattr(At("bin/sh"), "user.l"), "<none>");
  st = Lstat(At("run/fifo"));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_EQ(Lstat(At("empty")).st_size, 0);
}

TEST_F(ApplyLayerTest, RootEntrySetsRootMetadata) {
  TarEntry root = Dir("./", 0750);
  root.mtime = 1234567890;
  ASSERT_TRUE(Apply(BuildTar({root, File("./f", "x")})).ok());
  struct stat st = Lstat(root_);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(ReadFileOrDie(At("f")), "x");
}

TEST_F(ApplyLayerTest, FileReplacesDirectory) {
  WriteFileOrDie(At("x/sub/f"), "lower");
  ASSERT_TRUE(Apply(BuildTar({File("x", "upper")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("x")), "upper");
}

TEST_F(ApplyLayerTest, SymlinkReplacesDirectoryAndFile) {
  WriteFileOrDie(At("x/sub/f"), "lower");
  WriteFileOrDie(At("y"), "lower");
  ASSERT_TRUE(
      Apply(BuildTar({Symlink("x", "target"), Symlink("y", "t2")})).ok());
  EXPECT_EQ(fs::read_symlink(At("x")), "target");
  EXPECT_EQ(fs::read_symlink(At("y")), "t2");
}

TEST_F(ApplyLayerTest, DirectoryMergesIntoDirectory) {
  WriteFileOrDie(At("d/old"), "lower");
  ASSERT_TRUE(Apply(BuildTar({Dir("d", 0700), File("d/new", "upper")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("d/old")), "lower");
  EXPECT_EQ(ReadFileOrDie(At("d/new")), "upper");
  EXPECT_EQ(Lstat(At("d")).st_mode & 07777, 0700u);
}

TEST_F(ApplyLayerTest, FileReplacesFile) {
  WriteFileOrDie(At("f"), "a much longer lower file");
  ASSERT_TRUE(Apply(BuildTar({File("f", "short")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("f")), "short");
}

// --- Whiteouts -----------------------------------------------------------

TEST_F(ApplyLayerTest, WhiteoutsApplyDeletesAndOpaqueClearsLowerContent) {
  WriteFileOrDie(At("gone"), "lower");
  WriteFileOrDie(At("gonedir/x/y"), "lower");
  WriteFileOrDie(At("a/lower"), "lower");
  WriteFileOrDie(At("a/sub/lower2"), "lower");
  WriteFileOrDie(At("kept"), "lower");
  ASSERT_EQ(symlink(outside_.c_str(), At("a/outlink").c_str()), 0);

  ASSERT_TRUE(Apply(BuildTar({File(".wh.gone", ""), File(".wh.gonedir", ""),
                              File(".wh.never-existed", ""), Dir("a"),
                              File("a/.wh..wh..opq", ""), Dir("a/sub"),
                              File("a/sub/new", "n"), File("a/new", "n"),
                              File("nodir/.wh.x", "")}))
                  .ok());
  EXPECT_FALSE(Exists(At("gone")));
  EXPECT_FALSE(Exists(At("gonedir")));
  EXPECT_FALSE(Exists(At("a/lower")));
  EXPECT_FALSE(Exists(At("a/sub/lower2")));
  EXPECT_FALSE(Exists(At("a/outlink")));
  EXPECT_EQ(ReadFileOrDie(At("a/new")), "n");
  EXPECT_EQ(ReadFileOrDie(At("a/sub/new")), "n");
  EXPECT_EQ(ReadFileOrDie(At("kept")), "lower");
  EXPECT_FALSE(Exists(At(".wh.gone")));
  EXPECT_FALSE(Exists(At("a/.wh..wh..opq")));
  EXPECT_FALSE(Exists(At("nodir")));
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, OpaqueAfterNewContentKeepsIt) {
  WriteFileOrDie(At("a/lower"), "lower");
  WriteFileOrDie(At("a/b/lower"), "lower");
  ASSERT_TRUE(Apply(BuildTar({File("a/new", "n"), File("a/b/c/new", "n"),
                              File("a/.wh..wh..opq", "")}))
                  .ok());
  EXPECT_EQ(ReadFileOrDie(At("a/new")), "n");
  EXPECT_EQ(ReadFileOrDie(At("a/b/c/new")), "n");
  EXPECT_FALSE(Exists(At("a/lower")));
  EXPECT_FALSE(Exists(At("a/b/lower")));
}

TEST_F(ApplyLayerTest, WhiteoutThroughSymlinkIsRefused) {
  ASSERT_EQ(symlink(outside_.c_str(), At("link").c_str()), 0);
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("link/.wh.victim", "")}));
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  stats = Apply(BuildTar({File("link/.wh..wh..opq", "")}));
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, MalformedWhiteoutIsRefused) {
  EXPECT_EQ(Apply(BuildTar({File(".wh.", "")})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Apply(BuildTar({File(".wh...", "")})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ApplyLayerTest, OverlayModeMakesCharDevicesAndOpaqueXattr) {
  ApplyOptions options;
  options.whiteouts = WhiteoutMode::kOverlay;
  TarEntry wh = File("etc/.wh.gone", "");
  wh.uid = 5;
  ASSERT_TRUE(Apply(BuildTar({Dir("etc"), wh, Dir("a"),
                              File("a/.wh..wh..opq", ""), File("a/x", "x")}),
                    options)
                  .ok());
  struct stat st = Lstat(At("etc/gone"));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(st.st_uid, 5u);
  EXPECT_FALSE(Exists(At("etc/.wh.gone")));
  EXPECT_EQ(GetXattr(At("a"), "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(Exists(At("a/.wh..wh..opq")));
  EXPECT_EQ(ReadFileOrDie(At("a/x")), "x");
  EXPECT_EQ(GetXattr(At("etc"), "trusted.overlay.opaque"), "<none>");
}

TEST_F(ApplyLayerTest, ZeroZeroCharDeviceNeedsNoPermission) {
  TarEntry wh;
  wh.name = "gone";
  wh.type = 'c';
  wh.mode = 0;
  ASSERT_TRUE(Apply(BuildTar({wh})).ok());
  EXPECT_TRUE(S_ISCHR(Lstat(At("gone")).st_mode));
}

// --- Streams and DiffIDs -------------------------------------------------

TEST_F(ApplyLayerTest, DiffIdIsSha256OfUncompressedTar) {
  std::string tar = BuildTar(
      {Dir("d"), File("d/f", std::string(3 << 20, 'q')), File("g", "g")});
  std::string want = Sha256Hex(tar);
  struct Case {
    const char* name;
    std::string input;
  };
  for (const Case& c :
       {Case{"plain", tar}, Case{"gzip", Compress(tar, Codec::kGzip)},
        Case{"zstd", Compress(tar, Codec::kZstd)}}) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(fs::remove_all(root_) > 0);
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    absl::StatusOr<ApplyStats> stats = Apply(c.input);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->diff_id_hex, want);
    EXPECT_EQ(stats->bytes_in_tar, tar.size());
    EXPECT_EQ(stats->size, (3u << 20) + 1);
    EXPECT_EQ(ReadFileOrDie(At("d/f")), std::string(3 << 20, 'q'));
  }
}

TEST_F(ApplyLayerTest, DiffIdCoversDataAfterTheEndMarker) {
  std::string tar = BuildTar({File("f", "x")}) + std::string(10240, '\0');
  absl::StatusOr<ApplyStats> stats = Apply(tar);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->diff_id_hex, Sha256Hex(tar));
  EXPECT_EQ(stats->bytes_in_tar, tar.size());
}

TEST_F(ApplyLayerTest, EmptyStreamIsAnEmptyLayer) {
  absl::StatusOr<ApplyStats> stats = Apply("");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->diff_id_hex, Sha256Hex(""));
  EXPECT_EQ(stats->bytes_in_tar, 0u);
}

// A source that hands out tiny reads, then fails.
class FlakySource : public ByteSource {
 public:
  FlakySource(std::string data, size_t fail_at)
      : data_(std::move(data)), fail_at_(fail_at) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (pos_ >= fail_at_) return absl::UnavailableError("connection reset");
    size_t count = std::min({n, size_t{7}, data_.size() - pos_});
    memcpy(buf, data_.data() + pos_, count);
    pos_ += count;
    return count;
  }

 private:
  std::string data_;
  size_t fail_at_;
  size_t pos_ = 0;
};

TEST_F(ApplyLayerTest, SmallReadsWork) {
  std::string tar = BuildTar({File("f", std::string(5000, 'f'))});
  FlakySource source(Compress(tar, Codec::kGzip), SIZE_MAX);
  absl::StatusOr<ApplyStats> stats = ApplyLayer(source, root_, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->diff_id_hex, Sha256Hex(tar));
}

TEST_F(ApplyLayerTest, SourceErrorsPassThrough) {
  std::string tar = BuildTar({File("f", std::string(50000, 'f'))});
  for (const std::string& input : {tar, Compress(tar, Codec::kGzip)}) {
    FlakySource source(input, input.size() / 2);
    absl::StatusOr<ApplyStats> stats = ApplyLayer(source, root_, {});
    EXPECT_EQ(stats.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(stats.status().message(), HasSubstr("connection reset"));
  }
}

TEST_F(ApplyLayerTest, MissingTargetIsNotFound) {
  StringSource source(BuildTar({File("f", "x")}));
  EXPECT_EQ(ApplyLayer(source, tmp_.Join("nope"), {}).status().code(),
            absl::StatusCode::kNotFound);
}

// --- Options for docker cp -----------------------------------------------

TEST_F(ApplyLayerTest, ApplyLayerAtWritesIntoAnOpenDirectory) {
  int fd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  StringSource source(BuildTar({File("f", "at")}));
  absl::StatusOr<ApplyStats> stats = ApplyLayerAt(source, fd, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  // The caller's fd stays open.
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  close(fd);
  EXPECT_EQ(ReadFileOrDie(At("f")), "at");
}

TEST_F(ApplyLayerTest, WhiteoutNamesAreFilesWhenNotInterpreted) {
  WriteFileOrDie(At("victim"), "v");
  WriteFileOrDie(At("d/lower"), "l");
  ApplyOptions options;
  options.interpret_whiteouts = false;
  ASSERT_TRUE(Apply(BuildTar({File(".wh.victim", ""), Dir("d"),
                              File("d/.wh..wh..opq", ""),
                              File(".wh..wh.plnk/1", "aufs")}),
                    options)
                  .ok());
  EXPECT_EQ(ReadFileOrDie(At("victim")), "v");
  EXPECT_EQ(ReadFileOrDie(At("d/lower")), "l");
  EXPECT_TRUE(Exists(At(".wh.victim")));
  EXPECT_TRUE(Exists(At("d/.wh..wh..opq")));
  EXPECT_EQ(ReadFileOrDie(At(".wh..wh.plnk/1")), "aufs");
}

TEST_F(ApplyLayerTest, RootEntryIsSkippedWhenAsked) {
  ASSERT_EQ(chmod(root_.c_str(), 0750), 0);
  TarEntry root = Dir("./", 0777);
  root.uid = 42;
  ApplyOptions options;
  options.apply_root_entry = false;
  ASSERT_TRUE(Apply(BuildTar({root, File("f", "f")}), options).ok());
  EXPECT_EQ(Lstat(root_).st_mode & 07777, 0750u);
  EXPECT_EQ(Lstat(root_).st_uid, 0u);
  // By default it sets the target's metadata, as for a layer.
  ASSERT_TRUE(Apply(BuildTar({root})).ok());
  EXPECT_EQ(Lstat(root_).st_mode & 07777, 0777u);
  EXPECT_EQ(Lstat(root_).st_uid, 42u);
}

TEST_F(ApplyLayerTest, NoOverwriteDirNonDirRefusesTypeChanges) {
  WriteFileOrDie(At("d/x"), "x");
  WriteFileOrDie(At("f"), "f");
  ASSERT_EQ(symlink("d", At("l").c_str()), 0);
  ApplyOptions options;
  options.no_overwrite_dir_non_dir = true;
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("d", "file")}), options);
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stats.status().message(),
              HasSubstr("cannot overwrite an existing directory"));
  stats = Apply(BuildTar({Hardlink("d", "f")}), options);
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  stats = Apply(BuildTar({Dir("f")}), options);
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stats.status().message(),
              HasSubstr("cannot overwrite an existing non-directory"));
  // A symlink to a directory is not a directory.
  stats = Apply(BuildTar({Dir("l")}), options);
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFileOrDie(At("d/x")), "x");
  EXPECT_EQ(ReadFileOrDie(At("f")), "f");
}

TEST_F(ApplyLayerTest, OwnerOverrideAppliesToEveryEntry) {
  TarEntry file = File("d/f", "f");
  file.uid = 1000;
  TarEntry fifo;
  fifo.name = "d/p";
  fifo.type = 'p';
  fifo.uid = 5;
  ApplyOptions options;
  options.owner = FileOwner{12, 34};
  ASSERT_TRUE(
      Apply(BuildTar({Dir("d"), file, fifo, Symlink("d/l", "f")}), options)
          .ok());
  for (const char* rel : {"d", "d/f", "d/p", "d/l"}) {
    EXPECT_EQ(Lstat(At(rel)).st_uid, 12u) << rel;
    EXPECT_EQ(Lstat(At(rel)).st_gid, 34u) << rel;
  }
}

TEST_F(ApplyLayerTest, NounNamesTheInputInMessages) {
  ApplyOptions options;
  options.noun = "archive";
  absl::StatusOr<ApplyStats> stats =
      Apply(BuildTar({File("../x", "x")}), options);
  EXPECT_THAT(stats.status().message(), HasSubstr("archive entry"));
  EXPECT_THAT(stats.status().message(), HasSubstr("the archive root"));
  stats = Apply(std::string(1024, 'x'), options);
  EXPECT_THAT(stats.status().message(), HasSubstr("archive"));
  EXPECT_THAT(stats.status().message(), ::testing::Not(HasSubstr("layer")));
}

}  // namespace
}  // namespace berth
