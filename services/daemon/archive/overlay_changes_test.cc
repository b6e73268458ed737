#include "services/daemon/archive/overlay_changes.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/naive_changes.h"
#include "services/daemon/archive/test_tree.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {
namespace {

using ::berth::testing::ChangeLines;
using ::berth::testing::MkdirOrDie;
using ::berth::testing::OverlayMount;
using ::berth::testing::SetMtimeOrDie;
using ::berth::testing::SetXattrOrDie;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::WhiteoutOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr time_t kTime = 1600000000;

void Shell(const std::string& command) {
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// An image of two layers, `top_` over `base_`, in overlay's notation
// (whiteouts and opaque directories in `top_`), and a container's
// `upper_` dir over them.
class OverlayChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = tmp_.Join("base");
    top_ = tmp_.Join("top");
    upper_ = tmp_.Join("upper");
    MkdirOrDie(base_);
    MkdirOrDie(top_);
    MkdirOrDie(upper_);

    MkdirOrDie(base_ + "/etc");
    WriteFileOrDie(base_ + "/etc/passwd", "root:x:0:0\n");
    WriteFileOrDie(base_ + "/etc/hosts", "127.0.0.1 localhost\n");
    WriteFileOrDie(base_ + "/etc/motd", "hello\n");
    MkdirOrDie(base_ + "/var/cache");
    WriteFileOrDie(base_ + "/var/cache/old", "o");
    MkdirOrDie(base_ + "/srv/www");
    WriteFileOrDie(base_ + "/srv/www/index.html", "<html>");
    MkdirOrDie(base_ + "/opt/app");
    WriteFileOrDie(base_ + "/opt/app/a", "a");
    WriteFileOrDie(base_ + "/opt/app/b", "b");
    SymlinkOrDie("usr/bin", base_ + "/bin");

    // The top layer deletes /etc/motd, empties /var/cache (opaque, with
    // one new file), replaces /srv with a file, and adds /etc/issue.
    MkdirOrDie(top_ + "/etc");
    WhiteoutOrDie(top_ + "/etc/motd");
    WriteFileOrDie(top_ + "/etc/issue", "Debian\n");
    MkdirOrDie(top_ + "/var/cache");
    SetXattrOrDie(top_ + "/var/cache", kOverlayOpaqueXattr, "y");
    WriteFileOrDie(top_ + "/var/cache/new", "n");
    WriteFileOrDie(top_ + "/srv", "a file now");

    for (const std::string& root : {base_, top_}) {
      Shell("find " + root + " -exec touch -h -d @1600000000 {} +");
    }
  }

  std::vector<std::string> Diff() {
    absl::StatusOr<std::vector<Change>> changes =
        OverlayChanges(upper_, {top_, base_});
    EXPECT_TRUE(changes.ok()) << changes.status();
    return changes.ok() ? ChangeLines(*changes) : std::vector<std::string>();
  }

  // A directory of the upper dir as overlay copies it up: same mode,
  // owner and times as the image's.
  void CopyUpDir(const std::string& rel) {
    MkdirOrDie(upper_ + rel);
    SetMtimeOrDie(upper_ + rel, kTime);
  }

  berth::testing::TempDir tmp_;
  std::string base_;
  std::string top_;
  std::string upper_;
};

TEST_F(OverlayChangesTest, EmptyUpperDirHasNoChanges) {
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(OverlayChangesTest, AddedFileReportsItsParentAsModified) {
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/new", "n");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "A /etc/new"));
}

TEST_F(OverlayChangesTest, AddedDirectoryIsAddedWithAllItHolds) {
  WriteFileOrDie(upper_ + "/data/x/y", "y");
  EXPECT_THAT(Diff(), ElementsAre("A /data", "A /data/x", "A /data/x/y"));
}

TEST_F(OverlayChangesTest, WhiteoutIsADeletion) {
  CopyUpDir("/etc");
  WhiteoutOrDie(upper_ + "/etc/hosts");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "D /etc/hosts"));
}

TEST_F(OverlayChangesTest, WhiteoutOfADirectoryIsOneDeletion) {
  WhiteoutOrDie(upper_ + "/opt");
  EXPECT_THAT(Diff(), ElementsAre("D /opt"));
}

TEST_F(OverlayChangesTest, WhiteoutOfWhatTheImageLacksIsNothing) {
  CopyUpDir("/etc");
  // /etc/motd is deleted by the top layer already.
  WhiteoutOrDie(upper_ + "/etc/motd");
  WhiteoutOrDie(upper_ + "/etc/never");
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(OverlayChangesTest, OpaqueDirectoryDeletesWhatItNoLongerHolds) {
  // rm -rf /opt/app; mkdir /opt/app; touch /opt/app/new /opt/app/b
  CopyUpDir("/opt");
  CopyUpDir("/opt/app");
  SetXattrOrDie(upper_ + "/opt/app", kOverlayOpaqueXattr, "y");
  WriteFileOrDie(upper_ + "/opt/app/new", "n");
  WriteFileOrDie(upper_ + "/opt/app/b", "b");
  // dockerd compares its mounted views, where /opt/app is a directory in
  // both: not itself changed, but a lost "a", a changed "b" (its mtime)
  // and a new "new".
  EXPECT_THAT(Diff(), ElementsAre("C /opt", "C /opt/app", "D /opt/app/a",
                                  "C /opt/app/b", "A /opt/app/new"));
}

TEST_F(OverlayChangesTest, OpaqueDirectoryWithSameEntryIsUnchanged) {
  CopyUpDir("/opt");
  CopyUpDir("/opt/app");
  SetXattrOrDie(upper_ + "/opt/app", kOverlayOpaqueXattr, "y");
  WriteFileOrDie(upper_ + "/opt/app/a", "a");
  WriteFileOrDie(upper_ + "/opt/app/b", "b");
  SetMtimeOrDie(upper_ + "/opt/app/a", kTime);
  SetMtimeOrDie(upper_ + "/opt/app/b", kTime);
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(OverlayChangesTest, OpaqueDirectoryOverNothingIsJustAdded) {
  MkdirOrDie(upper_ + "/fresh");
  SetXattrOrDie(upper_ + "/fresh", kOverlayOpaqueXattr, "y");
  WriteFileOrDie(upper_ + "/fresh/f", "f");
  EXPECT_THAT(Diff(), ElementsAre("A /fresh", "A /fresh/f"));
}

TEST_F(OverlayChangesTest, WhatALowerWhiteoutHidesIsAddedAgain) {
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/motd", "back\n");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "A /etc/motd"));
}

TEST_F(OverlayChangesTest, WhatALowerOpaqueDirectoryHidesIsAddedAgain) {
  CopyUpDir("/var");
  CopyUpDir("/var/cache");
  WriteFileOrDie(upper_ + "/var/cache/old", "o");
  WhiteoutOrDie(upper_ + "/var/cache/new");
  EXPECT_THAT(Diff(), ElementsAre("C /var", "C /var/cache", "D /var/cache/new",
                                  "A /var/cache/old"));
}

TEST_F(OverlayChangesTest, LowerFileHidesTheDirectoryBelowIt) {
  // /srv is a file in the image: a directory there is a type change, and
  // all in it is new, whatever the base layer had.
  MkdirOrDie(upper_ + "/srv/www");
  WriteFileOrDie(upper_ + "/srv/www/index.html", "<html>");
  SetMtimeOrDie(upper_ + "/srv/www/index.html", kTime);
  EXPECT_THAT(Diff(),
              ElementsAre("C /srv", "A /srv/www", "A /srv/www/index.html"));
}

TEST_F(OverlayChangesTest, CopiedUpFileWithoutChangesIsUnchanged) {
  // Opened for writing, not written: overlay copied it up as it was.
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/passwd", "root:x:0:0\n");
  SetMtimeOrDie(upper_ + "/etc/passwd", kTime);
  EXPECT_THAT(Diff(), IsEmpty());
}

TEST_F(OverlayChangesTest, ModifiedFileReportsItsParentAsModified) {
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/passwd", "root:x:0:0\nu:x:1:1\n");
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "C /etc/passwd"));
}

TEST_F(OverlayChangesTest, MetadataChangesAreModifications) {
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/hosts", "127.0.0.1 localhost\n", 0600);
  SetMtimeOrDie(upper_ + "/etc/hosts", kTime);
  CopyUpDir("/opt");
  ASSERT_EQ(chown((upper_ + "/opt").c_str(), 1000, 1000), 0);
  SymlinkOrDie("usr/bin", upper_ + "/bin");
  SetMtimeOrDie(upper_ + "/bin", kTime);
  ASSERT_EQ(lchown((upper_ + "/bin").c_str(), 5, 5), 0);
  EXPECT_THAT(Diff(),
              ElementsAre("C /bin", "C /etc", "C /etc/hosts", "C /opt"));
}

TEST_F(OverlayChangesTest, CapabilityXattrIsAModification) {
  CopyUpDir("/etc");
  WriteFileOrDie(upper_ + "/etc/passwd", "root:x:0:0\n");
  SetMtimeOrDie(upper_ + "/etc/passwd", kTime);
  SetXattrOrDie(upper_ + "/etc/passwd", "security.capability",
                std::string("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
                            "\x00\x00\x00\x00\x00\x00\x00\x00",
                            20));
  EXPECT_THAT(Diff(), ElementsAre("C /etc", "C /etc/passwd"));
}

TEST_F(OverlayChangesTest, NoLowerDirsMeansEverythingIsAdded) {
  WriteFileOrDie(upper_ + "/a/b", "b");
  absl::StatusOr<std::vector<Change>> changes = OverlayChanges(upper_, {});
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_THAT(ChangeLines(*changes), ElementsAre("A /a", "A /a/b"));
}

TEST_F(OverlayChangesTest, MissingDirsAreErrors) {
  EXPECT_EQ(OverlayChanges(tmp_.Join("nope"), {top_}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(OverlayChanges(upper_, {tmp_.Join("nope")}).status().code(),
            absl::StatusCode::kNotFound);
}

// The real thing: a container changes its files through an overlay
// mount, and OverlayChanges on its upper dir must say what dockerd says,
// i.e. NaiveChanges of the mounted container against the mounted image.
TEST_F(OverlayChangesTest, MatchesNaiveChangesOfTheMountedViews) {
  std::string work = tmp_.Join("work");
  std::string merged = tmp_.Join("merged");
  std::string image = tmp_.Join("image");
  MkdirOrDie(work);
  OverlayMount container(merged, {top_, base_}, upper_, work);
  if (!container.ok()) GTEST_SKIP() << container.error();
  OverlayMount image_view(image, {top_, base_});
  ASSERT_TRUE(image_view.ok()) << image_view.error();

  Shell("cd " + merged +
        " && echo more >> etc/passwd"
        " && rm etc/hosts"
        " && mv etc/issue etc/issue.net"
        " && echo back > etc/motd"
        " && rm -rf opt/app && mkdir opt/app && echo n > opt/app/new"
        " && rm -rf var"
        " && mkdir -p data/x && echo y > data/x/y"
        " && chmod 700 srv"
        " && rm bin && mkdir bin && touch bin/sh"
        " && touch tmpfile && rm tmpfile");

  absl::StatusOr<std::vector<Change>> naive = NaiveChanges(merged, image);
  ASSERT_TRUE(naive.ok()) << naive.status();
  absl::StatusOr<std::vector<Change>> overlay =
      OverlayChanges(upper_, {top_, base_});
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  EXPECT_EQ(ChangeLines(*overlay), ChangeLines(*naive));
  EXPECT_THAT(
      ChangeLines(*overlay),
      ElementsAre("C /bin", "A /bin/sh", "A /data", "A /data/x", "A /data/x/y",
                  "C /etc", "D /etc/hosts", "D /etc/issue", "A /etc/issue.net",
                  "A /etc/motd", "C /etc/passwd", "C /opt", "C /opt/app",
                  "D /opt/app/a", "D /opt/app/b", "A /opt/app/new", "C /srv",
                  "D /var"));
}

}  // namespace
}  // namespace berth
