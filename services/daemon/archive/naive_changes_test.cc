#include "services/daemon/archive/naive_changes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::ChangeLines;
using ::berth::testing::MkdirOrDie;
using ::berth::testing::SetMtimeOrDie;
using ::berth::testing::SetXattrOrDie;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// `old_` is the image, `new_` the container: a copy of it, then changed.
class NaiveChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_ = tmp_.Join("old");
    new_ = tmp_.Join("new");
    for (const std::string& root : {old_, new_}) {
      MkdirOrDie(root + "/etc");
      WriteFileOrDie(root + "/etc/passwd", "root:x:0:0\n");
      WriteFileOrDie(root + "/etc/hosts", "127.0.0.1 localhost\n");
      MkdirOrDie(root + "/usr/local/bin");
      WriteFileOrDie(root + "/usr/local/bin/tool", "#!/bin/sh\n", 0755);
      SymlinkOrDie("usr/bin", root + "/bin");
      MkdirOrDie(root + "/tmp", 01777);
      for (const char* path :
           {"/bin", "/etc/passwd", "/etc/hosts", "/usr/local/bin/tool", "/etc",
            "/usr/local/bin", "/usr/local", "/usr", "/tmp"}) {
        SetMtimeOrDie(root + path, 1600000000);
      }
    }
  }

  std::vector<std::string> Diff() {
    absl::StatusOr<std::vector<Change>> changes = NaiveChanges(new_, old_);
    EXPECT_TRUE(changes.ok()) << changes.status();
    return changes.ok() ? ChangeLines(*changes) : std::vector<std::string>();
  }

  berth::testing::TempDir tmp_;
  std::string old_;
  std::string new_;
};

TEST_F(NaiveChangesTest, IdenticalTreesHaveNoChanges) {
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(NaiveChangesTest, AddedFileReportsItsParentAsModifiedFirst) {
  WriteFileOrDie(new_ + "/tmp/x", "x");
  EXPECT_THAT(Diff(), ElementsAre("C /tmp", "A /tmp/x"));
}

TEST_F(NaiveChangesTest, EveryAncestorOfAChangeIsModified) {
  WriteFileOrDie(new_ + "/usr/local/bin/new", "n");
  EXPECT_THAT(Diff(), ElementsAre("C /usr", "C /usr/local", "C /usr/local/bin",
                                  "A /usr/local/bin/new"));
}

TEST_F(NaiveChangesTest, EverythingInAnAddedDirectoryIsAdded) {
  WriteFileOrDie(new_ + "/opt/app/lib/a.so", "a");
  WriteFileOrDie(new_ + "/opt/app/README", "r");
  EXPECT_THAT(Diff(), ElementsAre("A /opt", "A /opt/app", "A /opt/app/README",
                                  "A /opt/app/lib", "A /opt/app/lib/a.so"));
}

TEST_F(NaiveChangesTest, DeletedDirectoryIsOneDeletion) {
  ASSERT_EQ(system(("rm -rf " + new_ + "/usr/local").c_str()), 0);
  EXPECT_THAT(Diff(), ElementsAre("C /usr", "D /usr/local"));
}

TEST_F(NaiveChangesTest, ContentChangeIsSeenBySizeOrMtime) {
  WriteFileOrDie(new_ + "/etc/passwd", "root:x:0:0\nu:x:1:1\n");
  SetMtimeOrDie(new_ + "/etc/passwd", 1600000000);
  // Same size, other mtime.
  WriteFileOrDie(new_ + "/etc/hosts", "127.0.0.2 localhost\n");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "C /etc/hosts", "C /etc/passwd"));
}

TEST_F(NaiveChangesTest, SameSizeAndMtimeIsUnchanged) {
  // Docker does not read contents: a rewrite that keeps both is invisible.
  WriteFileOrDie(new_ + "/etc/hosts", "127.0.0.2 localhost\n");
  SetMtimeOrDie(new_ + "/etc/hosts", 1600000000);
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(NaiveChangesTest, WholeSecondMtimeMatchesAnyNanoseconds) {
  // A file restored from a tar has whole seconds; the same second with
  // nanoseconds on the other side is no change.
  struct timespec times[2] = {{1600000000, 123456789}, {1600000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (new_ + "/etc/hosts").c_str(), times, 0), 0);
  EXPECT_THAT(Diff(), IsEmpty());
  ASSERT_EQ(utimensat(AT_FDCWD, (old_ + "/etc/hosts").c_str(), times, 0), 0);
  times[1].tv_nsec = 5;
  ASSERT_EQ(utimensat(AT_FDCWD, (new_ + "/etc/hosts").c_str(), times, 0), 0);
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "C /etc/hosts"));
}

TEST_F(NaiveChangesTest, DirectoryMtimeAloneIsNoChange) {
  SetMtimeOrDie(new_ + "/etc", 1700000000);
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(NaiveChangesTest, ModeOwnerAndGroupAreChanges) {
  ASSERT_EQ(chmod((new_ + "/etc/hosts").c_str(), 0600), 0);
  ASSERT_EQ(lchown((new_ + "/usr/local/bin/tool").c_str(), 1000, -1), 0);
  ASSERT_EQ(lchown((new_ + "/tmp").c_str(), -1, 50), 0);
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "C /etc/hosts", "C /tmp", "C /usr",
                                  "C /usr/local", "C /usr/local/bin",
                                  "C /usr/local/bin/tool"));
}

TEST_F(NaiveChangesTest, ModifiedDirectoryIsReportedOnceBeforeItsContents) {
  ASSERT_EQ(chmod((new_ + "/etc").c_str(), 0700), 0);
  WriteFileOrDie(new_ + "/etc/new", "n");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "A /etc/new"));
}

TEST_F(NaiveChangesTest, CapabilityXattrIsAChange) {
  // A version 2 capability set: cap_net_bind_service, effective.
  std::string cap(
      "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00",
      20);
  SetXattrOrDie(new_ + "/usr/local/bin/tool", "security.capability", cap);
  EXPECT_THAT(Diff(), ElementsAre("C /usr", "C /usr/local", "C /usr/local/bin",
                                  "C /usr/local/bin/tool"));
}

TEST_F(NaiveChangesTest, OtherXattrsAreNoChange) {
  SetXattrOrDie(new_ + "/etc/hosts", "user.note", "x");
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(NaiveChangesTest, TypeChangesAreModifications) {
  // File to directory: its contents are all added.
  ASSERT_EQ(unlink((new_ + "/etc/hosts").c_str()), 0);
  WriteFileOrDie(new_ + "/etc/hosts/inner", "i");
  // Directory to file: what it held is not listed.
  ASSERT_EQ(system(("rm -rf " + new_ + "/usr/local").c_str()), 0);
  WriteFileOrDie(new_ + "/usr/local", "now a file");
  // A symlink with a new target: its size (the target's length) differs.
  ASSERT_EQ(unlink((new_ + "/bin").c_str()), 0);
  SymlinkOrDie("usr/local/bin", new_ + "/bin");
  EXPECT_THAT(Diff(),
              ElementsAre("C /bin", "C /etc", "C /etc/hosts",
                          "A /etc/hosts/inner", "C /usr", "C /usr/local"));
}

TEST_F(NaiveChangesTest, DeletionsInterleaveInNameOrder) {
  ASSERT_EQ(unlink((new_ + "/etc/hosts").c_str()), 0);
  WriteFileOrDie(new_ + "/etc/group", "g");
  WriteFileOrDie(new_ + "/etc/shadow", "s");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "A /etc/group", "D /etc/hosts",
                                  "A /etc/shadow"));
}

TEST_F(NaiveChangesTest, SymlinksAreComparedNotFollowed) {
  // bin -> usr/bin: what is behind it is not looked at through it.
  WriteFileOrDie(new_ + "/usr/bin/ls", "elf");
  EXPECT_THAT(Diff(), ElementsAre("C /usr", "A /usr/bin", "A /usr/bin/ls"));
}

TEST_F(NaiveChangesTest, SameInodeIsUnchanged) {
  // A hardlinked copy shares inodes with its source: nothing to compare,
  // even where the stat would say otherwise (it cannot).
  ASSERT_EQ(unlink((new_ + "/etc/hosts").c_str()), 0);
  ASSERT_EQ(link((old_ + "/etc/hosts").c_str(), (new_ + "/etc/hosts").c_str()),
            0);
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(NaiveChangesTest, NoOldDirMeansEverythingIsAdded) {
  absl::StatusOr<std::vector<Change>> changes = NaiveChanges(new_, "");
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_THAT(ChangeLines(*changes),
              ElementsAre("A /bin", "A /etc", "A /etc/hosts", "A /etc/passwd",
                          "A /tmp", "A /usr", "A /usr/local",
                          "A /usr/local/bin", "A /usr/local/bin/tool"));
}

TEST_F(NaiveChangesTest, KindsAreNumberedAsTheApiSendsThem) {
  EXPECT_EQ(static_cast<int>(ChangeKind::kModified), 0);
  EXPECT_EQ(static_cast<int>(ChangeKind::kAdded), 1);
  EXPECT_EQ(static_cast<int>(ChangeKind::kDeleted), 2);
}

TEST_F(NaiveChangesTest, MissingDirIsAnError) {
  EXPECT_EQ(NaiveChanges(tmp_.Join("nope"), old_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(NaiveChanges(new_, tmp_.Join("nope")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth
