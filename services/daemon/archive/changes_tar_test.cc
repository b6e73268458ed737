#include "services/daemon/archive/changes_tar.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/naive_changes.h"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::DescribeTree;
using ::berth::testing::MkdirOrDie;
using ::berth::testing::ReadTar;
using ::berth::testing::SetMtimeOrDie;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::TarEntry;
using ::berth::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Shell(const std::string& command) {
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A vfs image layer `old_` and its container `new_`, a full copy.
class ChangesTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_ = tmp_.Join("old");
    new_ = tmp_.Join("new");
    WriteFileOrDie(old_ + "/etc/passwd", "root:x:0:0\n");
    WriteFileOrDie(old_ + "/etc/hosts", "127.0.0.1 localhost\n");
    WriteFileOrDie(old_ + "/usr/share/doc/a/README", "a");
    WriteFileOrDie(old_ + "/usr/share/doc/b/README", "b");
    SymlinkOrDie("usr/bin", old_ + "/bin");
    Shell("find " + old_ + " -exec touch -h -d @1600000000 {} +");
    Shell("cp -a " + old_ + " " + new_);
  }

  std::string ChangesTar() {
    absl::StatusOr<std::vector<Change>> changes = NaiveChanges(new_, old_);
    EXPECT_TRUE(changes.ok()) << changes.status();
    if (!changes.ok()) return "";
    StringSink sink;
    absl::Status status = WriteChangesTar(new_, *changes, sink);
    EXPECT_TRUE(status.ok()) << status;
    return sink.Release();
  }

  std::vector<std::string> Names(const std::string& tar) {
    std::vector<std::string> names;
    for (const TarEntry& e : ReadTar(tar)) names.push_back(e.name);
    return names;
  }

  berth::testing::TempDir tmp_;
  std::string old_;
  std::string new_;
};

TEST_F(ChangesTarTest, AppliedOnTheImageItReproducesTheContainer) {
  Shell("cd " + new_ +
        " && echo more >> etc/passwd"
        " && rm etc/hosts"
        " && rm -rf usr/share/doc/a"
        " && mkdir -p opt/app && echo run > opt/app/run.sh"
        " && chmod 700 usr/share"
        " && ln etc/passwd etc/passwd-"
        " && rm bin && ln -s usr/local/bin bin");
  std::string tar = ChangesTar();

  // Apply it as the layer it is, on a copy of the image.
  std::string applied = tmp_.Join("applied");
  Shell("cp -a " + old_ + " " + applied);
  StringSource source(tar);
  absl::StatusOr<ApplyStats> stats = ApplyLayer(source, applied, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(DescribeTree(applied), DescribeTree(new_));
}

TEST_F(ChangesTarTest, EntriesAreSortedByPathWithWhiteoutsInPlace) {
  WriteFileOrDie(new_ + "/etc.d", "sorts between /etc and /etc/...");
  WriteFileOrDie(new_ + "/etc/group", "g");
  ASSERT_EQ(unlink((new_ + "/etc/hosts").c_str()), 0);
  // Byte order of the changed paths ("/etc" < "/etc.d" < "/etc/group" <
  // "/etc/hosts"), as Go sorts strings; a whiteout takes its path's place.
  EXPECT_THAT(Names(ChangesTar()),
              ElementsAre("etc/", "etc.d", "etc/group", "etc/.wh.hosts"));
}

TEST_F(ChangesTarTest, DeletionIsAnEmptyWhiteoutFileWithTheParentsMtime) {
  ASSERT_EQ(system(("rm -rf " + new_ + "/usr/share/doc/b").c_str()), 0);
  SetMtimeOrDie(new_ + "/usr/share/doc", 1700000000);
  std::vector<TarEntry> entries = ReadTar(ChangesTar());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "usr/");
  EXPECT_EQ(entries[1].name, "usr/share/");
  EXPECT_EQ(entries[2].name, "usr/share/doc/");
  const TarEntry& wh = entries[3];
  EXPECT_EQ(wh.name, "usr/share/doc/.wh.b");
  EXPECT_EQ(wh.type, 'f');
  EXPECT_TRUE(wh.data.empty());
  EXPECT_EQ(wh.mode, 0600);
  EXPECT_EQ(wh.uid, 0);
  EXPECT_EQ(wh.mtime, 1700000000);
}

TEST_F(ChangesTarTest, ModifiedDirectoryIsItsEntryAlone) {
  ASSERT_EQ(chmod((new_ + "/usr/share/doc").c_str(), 0700), 0);
  std::vector<TarEntry> entries = ReadTar(ChangesTar());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].name, "usr/share/doc/");
  EXPECT_EQ(entries[2].type, 'd');
  EXPECT_EQ(entries[2].mode, 0700);
}

TEST_F(ChangesTarTest, VanishedPathsAreLeftOut) {
  std::vector<Change> changes = {{"/gone", ChangeKind::kAdded},
                                 {"/gone/below", ChangeKind::kAdded},
                                 {"/etc/passwd", ChangeKind::kModified}};
  StringSink sink;
  ASSERT_TRUE(WriteChangesTar(new_, changes, sink).ok());
  EXPECT_THAT(Names(sink.data()), ElementsAre("etc/passwd"));
}

TEST_F(ChangesTarTest, NothingIsReadThroughASymlink) {
  // The container swapped a directory for a link to the host after the
  // changes were listed: what is behind the link stays out.
  WriteFileOrDie(tmp_.Join("host/secret"), "host secret");
  Shell("rm -rf " + new_ + "/usr/share/doc");
  SymlinkOrDie(tmp_.Join("host"), new_ + "/usr/share/doc");
  std::vector<Change> changes = {{"/usr/share/doc/secret", ChangeKind::kAdded}};
  StringSink sink;
  ASSERT_TRUE(WriteChangesTar(new_, changes, sink).ok());
  EXPECT_TRUE(ReadTar(sink.data()).empty());
}

TEST_F(ChangesTarTest, PathsMustBeCleanAndAbsolute) {
  for (const char* path :
       {"etc/passwd", "/", "/etc/../etc/passwd", "/etc//x", "/etc/./x", ""}) {
    StringSink sink;
    absl::Status status =
        WriteChangesTar(new_, {{path, ChangeKind::kAdded}}, sink);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(status.message(), HasSubstr("clean absolute path"));
  }
}

}  // namespace
}  // namespace berth
