#include "services/daemon/archive/extract_path.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/archive_path.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::BuildTar;
using ::berth::testing::Codec;
using ::berth::testing::Compress;
using ::berth::testing::DescribeTree;
using ::berth::testing::Dir;
using ::berth::testing::File;
using ::berth::testing::Hardlink;
using ::berth::testing::MkdirOrDie;
using ::berth::testing::ReadFileOrDie;
using ::berth::testing::SetMtimeOrDie;
using ::berth::testing::SetXattrOrDie;
using ::berth::testing::Symlink;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::TarEntry;
using ::berth::testing::WriteFileOrDie;
using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

// A container root in a scratch dir whose other content ("host", with a
// victim file) must never change, whatever the archive says.
class ExtractToRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("root");
    host_ = tmp_.Join("host");
    WriteFileOrDie(host_ + "/victim", "original");
    MkdirOrDie(root_ + "/dest", 0750);
    SetMtimeOrDie(root_ + "/dest", 1500000000);
    WriteFileOrDie(root_ + "/etc/passwd", "root:x:0:0\n");
    SymlinkOrDie("/dest", root_ + "/destlink");
    SymlinkOrDie("/", root_ + "/etc/root");
    SymlinkOrDie("../../../../../..", root_ + "/up");
    SymlinkOrDie(host_, root_ + "/hostlink");
    host_before_ = DescribeTree(host_);
  }

  void TearDown() override { EXPECT_EQ(DescribeTree(host_), host_before_); }

  absl::Status Extract(absl::string_view path, const std::string& tar,
                       ExtractOptions options = {}) {
    StringSource source(tar);
    return ExtractToRoot(root_, path, source, options);
  }

  std::string At(const std::string& rel) const { return root_ + "/" + rel; }

  berth::testing::TempDir tmp_;
  std::string root_;
  std::string host_;
  std::map<std::string, std::string> host_before_;
};

TEST_F(ExtractToRootTest, ExtractsIntoTheDirectory) {
  TarEntry owned = File("app/run.sh", "#!/bin/sh\n", 0755);
  owned.uid = 1000;
  owned.gid = 100;
  absl::Status status = Extract("/dest", BuildTar({Dir("app"), owned}));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ReadFileOrDie(At("dest/app/run.sh")), "#!/bin/sh\n");
  struct stat st = Lstat(At("dest/app/run.sh"));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 100u);
}

TEST_F(ExtractToRootTest, CompressedArchivesAreAccepted) {
  std::string tar = BuildTar({File("z", "zipped")});
  ASSERT_TRUE(Extract("/dest", Compress(tar, Codec::kGzip)).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/z")), "zipped");
}

TEST_F(ExtractToRootTest, DestinationSymlinkIsFollowedInsideTheRoot) {
  ASSERT_TRUE(Extract("/destlink", BuildTar({File("f", "via link")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/f")), "via link");
  ASSERT_TRUE(Extract("/etc/root/dest", BuildTar({File("g", "g")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/g")), "g");
  ASSERT_TRUE(Extract("/up/dest", BuildTar({File("h", "h")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/h")), "h");
  ASSERT_TRUE(Extract("/../../dest/", BuildTar({File("i", "i")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/i")), "i");
}

TEST_F(ExtractToRootTest, DestinationLinkToTheHostIsNotFound) {
  absl::Status status = Extract("/hostlink", BuildTar({File("victim", "x")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/hostlink"));
}

TEST_F(ExtractToRootTest, MissingDestinationIsNotFoundNamingIt) {
  absl::Status status = Extract("/nope", BuildTar({File("f", "f")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/nope"));
}

TEST_F(ExtractToRootTest, FileDestinationIsNotADirectory) {
  absl::Status status = Extract("/etc/passwd", BuildTar({File("f", "f")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a directory"));
  EXPECT_EQ(ReadFileOrDie(At("etc/passwd")), "root:x:0:0\n");
}

TEST_F(ExtractToRootTest, EntriesCannotClimbOut) {
  std::vector<std::string> names = {"../etc/evil", "a/../../evil",
                                    "../../host/victim",
                                    "../../../../../../" + host_ + "/victim"};
  for (const std::string& name : names) {
    absl::Status status = Extract("/dest", BuildTar({File(name, "pwned")}));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(status.message(), HasSubstr("climbs out of the archive root"))
        << name;
  }
  EXPECT_FALSE(Exists(At("etc/evil")));
  EXPECT_FALSE(Exists(At("evil")));
}

TEST_F(ExtractToRootTest, AbsoluteEntryNamesLandInTheDestination) {
  ASSERT_TRUE(Extract("/dest", BuildTar({File("/abs", "a")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/abs")), "a");
}

TEST_F(ExtractToRootTest, NothingIsWrittenThroughASymlinkInTheArchive) {
  // The archive plants a link to the host, then writes below it.
  absl::Status status = Extract(
      "/dest", BuildTar({Symlink("esc", host_), File("esc/victim", "pwned")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("symlink"));
  status = Extract("/dest", BuildTar({Symlink("up2", "../../../.."),
                                      File("up2/x", "pwned")}));
  EXPECT_FALSE(status.ok());
  // A hardlink to outside is refused too.
  status = Extract("/dest", BuildTar({Hardlink("h", "../etc/passwd")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ExtractToRootTest, NothingIsWrittenThroughAnExistingSymlink) {
  SymlinkOrDie(host_, At("dest/existing"));
  absl::Status status =
      Extract("/dest", BuildTar({File("existing/victim", "pwned")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ExtractToRootTest, WhiteoutNamesAreOrdinaryFiles) {
  WriteFileOrDie(At("dest/kept"), "kept");
  ASSERT_TRUE(Extract("/dest", BuildTar({File(".wh.kept", "w"),
                                         File(".wh..wh..opq", "o")}))
                  .ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/kept")), "kept");
  EXPECT_EQ(ReadFileOrDie(At("dest/.wh.kept")), "w");
  EXPECT_EQ(ReadFileOrDie(At("dest/.wh..wh..opq")), "o");
}

TEST_F(ExtractToRootTest, RootEntryLeavesTheDestinationAsItWas) {
  TarEntry root = Dir("./", 0777);
  root.uid = 1234;
  root.mtime = 1700000000;
  ASSERT_TRUE(Extract("/dest", BuildTar({root, File("./f", "f")})).ok());
  struct stat st = Lstat(At("dest"));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(ReadFileOrDie(At("dest/f")), "f");
}

TEST_F(ExtractToRootTest, NoOverwriteDirNonDirRefusesFileOverDirectory) {
  MkdirOrDie(At("dest/sub"));
  ExtractOptions options;
  options.no_overwrite_dir_non_dir = true;
  absl::Status status = Extract("/dest", BuildTar({File("sub", "f")}), options);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("\"sub\""));
  EXPECT_THAT(status.message(), HasSubstr("directory"));
  EXPECT_TRUE(S_ISDIR(Lstat(At("dest/sub")).st_mode));
}

TEST_F(ExtractToRootTest, NoOverwriteDirNonDirRefusesDirectoryOverFile) {
  WriteFileOrDie(At("dest/f"), "f");
  ExtractOptions options;
  options.no_overwrite_dir_non_dir = true;
  absl::Status status = Extract("/dest", BuildTar({Dir("f")}), options);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFileOrDie(At("dest/f")), "f");
}

TEST_F(ExtractToRootTest, NoOverwriteDirNonDirStillMergesAndReplaces) {
  MkdirOrDie(At("dest/sub"));
  WriteFileOrDie(At("dest/sub/old"), "old");
  WriteFileOrDie(At("dest/f"), "old");
  ExtractOptions options;
  options.no_overwrite_dir_non_dir = true;
  ASSERT_TRUE(
      Extract("/dest",
              BuildTar({Dir("sub"), File("sub/new", "n"), File("f", "new")}),
              options)
          .ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/sub/old")), "old");
  EXPECT_EQ(ReadFileOrDie(At("dest/sub/new")), "n");
  EXPECT_EQ(ReadFileOrDie(At("dest/f")), "new");
}

TEST_F(ExtractToRootTest, WithoutNoOverwriteAFileReplacesADirectory) {
  WriteFileOrDie(At("dest/sub/old"), "old");
  ASSERT_TRUE(Extract("/dest", BuildTar({File("sub", "now a file")})).ok());
  EXPECT_EQ(ReadFileOrDie(At("dest/sub")), "now a file");
}

TEST_F(ExtractToRootTest, CopyUidGidOwnsEverythingByTheGivenUser) {
  TarEntry file = File("d/f", "f");
  file.uid = 1000;
  file.gid = 1000;
  TarEntry dir = Dir("d");
  dir.uid = 7;
  ExtractOptions options;
  options.copy_uid_gid = true;
  options.uid = 33;
  options.gid = 44;
  ASSERT_TRUE(
      Extract("/dest", BuildTar({dir, file, Symlink("d/l", "f")}), options)
          .ok());
  for (const char* rel : {"dest/d", "dest/d/f", "dest/d/l"}) {
    struct stat st = Lstat(At(rel));
    EXPECT_EQ(st.st_uid, 33u) << rel;
    EXPECT_EQ(st.st_gid, 44u) << rel;
  }
}

TEST_F(ExtractToRootTest, DevicesAreRefusedUnlessAllowed) {
  TarEntry null;
  null.name = "null";
  null.type = 'c';
  null.mode = 0666;
  null.dev_major = 1;
  null.dev_minor = 3;
  absl::Status status = Extract("/dest", BuildTar({null}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("device nodes are not allowed"));
  ExtractOptions options;
  options.allow_devices = true;
  ASSERT_TRUE(Extract("/dest", BuildTar({null}), options).ok());
  EXPECT_EQ(Lstat(At("dest/null")).st_rdev, makedev(1, 3));
}

TEST_F(ExtractToRootTest, MalformedArchiveSaysArchive) {
  absl::Status status = Extract("/dest", std::string(700, 'x'));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("archive"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("layer")));
}

TEST_F(ExtractToRootTest, ReadOnlyFilesystemIsPermissionDenied) {
  std::string ro = At("ro");
  MkdirOrDie(ro);
  if (system(("mount -t tmpfs -o ro tmpfs " + ro).c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a read-only tmpfs here";
  }
  absl::Status status = Extract("/ro", BuildTar({File("f", "f")}));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("read-only"));
  ASSERT_EQ(system(("umount " + ro).c_str()), 0);
}

// docker cp out, then docker cp in elsewhere: the same tree.
TEST_F(ExtractToRootTest, RoundTripThroughArchiveFromRootReproducesTheTree) {
  std::string src = At("src");
  WriteFileOrDie(src + "/bin/tool", "ELF", 04755);
  ASSERT_EQ(chown((src + "/bin/tool").c_str(), 0, 50), 0);
  ASSERT_EQ(chmod((src + "/bin/tool").c_str(), 04755), 0);
  ASSERT_EQ(link((src + "/bin/tool").c_str(), (src + "/bin/tool2").c_str()), 0);
  WriteFileOrDie(src + "/home/u/notes", std::string(300000, 'n'), 0600);
  ASSERT_EQ(chown((src + "/home/u/notes").c_str(), 1000, 1000), 0);
  ASSERT_EQ(chown((src + "/home/u").c_str(), 1000, 1000), 0);
  SetXattrOrDie(src + "/home/u/notes", "user.tag", "blue");
  SymlinkOrDie("../bin/tool", src + "/home/link");
  SymlinkOrDie("/", src + "/home/rootlink");
  ASSERT_EQ(mkfifo((src + "/home/fifo").c_str(), 0640), 0);
  WriteFileOrDie(src + "/.wh.plain", "not a whiteout");
  MkdirOrDie(src + "/empty", 0700);
  for (const char* rel : {"/bin/tool", "/home/u/notes", "/home/u", "/home",
                          "/bin", "/empty", "/.wh.plain", "/home/fifo"}) {
    SetMtimeOrDie(src + rel, 1600000000);
  }

  StringSink archive;
  ASSERT_TRUE(ArchiveFromRoot(root_, "/src/.", archive).ok());
  MkdirOrDie(At("copy"));
  StringSource in(archive.data());
  absl::Status status = ExtractToRoot(root_, "/copy", in, {});
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(DescribeTree(At("copy")), DescribeTree(src));
  EXPECT_EQ(DescribeTree(src).size(), 11u);

  // And the directory itself, by name, into another directory.
  StringSink named;
  ASSERT_TRUE(ArchiveFromRoot(root_, "/src", named).ok());
  MkdirOrDie(At("into"));
  StringSource in2(named.data());
  ASSERT_TRUE(ExtractToRoot(root_, "/into", in2, {}).ok());
  EXPECT_EQ(DescribeTree(At("into/src")), DescribeTree(src));
}

}  // namespace
}  // namespace berth
