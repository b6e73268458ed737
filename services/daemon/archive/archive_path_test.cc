#include "services/daemon/archive/archive_path.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::MkdirOrDie;
using ::berth::testing::ReadTar;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::TarEntry;
using ::berth::testing::WhiteoutOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ArchiveFromRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("root");
    WriteFileOrDie(tmp_.Join("host/secret"), "host secret");
    WriteFileOrDie(root_ + "/etc/passwd", "root:x:0:0\n");
    WriteFileOrDie(root_ + "/etc/hosts", "127.0.0.1 localhost\n");
    MkdirOrDie(root_ + "/var/log/app");
    WriteFileOrDie(root_ + "/var/log/app/out.log", "log");
    SymlinkOrDie("/var/log", root_ + "/logs");
    SymlinkOrDie("/", root_ + "/etc/root");
    SymlinkOrDie("../../../../../..", root_ + "/up");
    SymlinkOrDie(tmp_.Join("host"), root_ + "/hostdir");
  }

  // The names of the entries of the archive of `path`.
  std::vector<std::string> Names(absl::string_view path) {
    std::vector<std::string> names;
    for (const TarEntry& e : Archive(path)) names.push_back(e.name);
    return names;
  }

  std::vector<TarEntry> Archive(absl::string_view path) {
    StringSink sink;
    absl::Status status = ArchiveFromRoot(root_, path, sink);
    EXPECT_TRUE(status.ok()) << path << ": " << status;
    if (!status.ok()) return {};
    return ReadTar(sink.data());
  }

  berth::testing::TempDir tmp_;
  std::string root_;
};

TEST_F(ArchiveFromRootTest, FileIsOneEntryNamedAfterIt) {
  std::vector<TarEntry> entries = Archive("/etc/passwd");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "passwd");
  EXPECT_EQ(entries[0].type, 'f');
  EXPECT_EQ(entries[0].data, "root:x:0:0\n");
  EXPECT_EQ(entries[0].mode, 0644);
}

TEST_F(ArchiveFromRootTest, DirectoryIsItsNameThenItsContents) {
  EXPECT_THAT(Names("/var/log"),
              ElementsAre("log/", "log/app/", "log/app/out.log"));
  EXPECT_THAT(Names("var/log/"),
              ElementsAre("log/", "log/app/", "log/app/out.log"));
}

TEST_F(ArchiveFromRootTest, TrailingDotArchivesTheContents) {
  EXPECT_THAT(Names("/var/log/."),
              ElementsAre("./", "./app/", "./app/out.log"));
  EXPECT_THAT(Names("/logs/."), ElementsAre("./", "./app/", "./app/out.log"));
}

TEST_F(ArchiveFromRootTest, SymlinkIsArchivedAsItself) {
  std::vector<TarEntry> entries = Archive("/logs");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "logs");
  EXPECT_EQ(entries[0].type, 'l');
  EXPECT_EQ(entries[0].data, "/var/log");
}

TEST_F(ArchiveFromRootTest, SymlinkWithTrailingSlashArchivesItsTarget) {
  EXPECT_THAT(Names("/logs/"),
              ElementsAre("logs/", "logs/app/", "logs/app/out.log"));
}

TEST_F(ArchiveFromRootTest, RootIsArchivedAsSlash) {
  std::vector<std::string> names = Names("/");
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "/");
  EXPECT_THAT(names, ::testing::Contains("/etc/passwd"));
  EXPECT_THAT(names, ::testing::Contains("/var/log/app/out.log"));
}

TEST_F(ArchiveFromRootTest, SymlinkToSlashStaysInTheRoot) {
  EXPECT_THAT(Names("/etc/root/etc/passwd"), ElementsAre("passwd"));
  // The container's root, under the link's name; nothing of the host.
  std::vector<TarEntry> entries = Archive("/etc/root/");
  std::vector<std::string> names;
  for (const TarEntry& e : entries) {
    names.push_back(e.name);
    EXPECT_NE(e.data, "host secret") << e.name;
  }
  EXPECT_THAT(names, ::testing::Contains("root/etc/passwd"));
  EXPECT_THAT(names, ::testing::Contains("root/hostdir"));
}

TEST_F(ArchiveFromRootTest, DotDotSymlinkStaysInTheRoot) {
  EXPECT_THAT(Names("/up/etc/hosts"), ElementsAre("hosts"));
  EXPECT_THAT(Names("/../../../etc/hosts"), ElementsAre("hosts"));
  std::vector<std::string> names = Names("/up/");
  EXPECT_THAT(names, ::testing::Contains("up/etc/passwd"));
}

TEST_F(ArchiveFromRootTest, AbsoluteSymlinkOutsideFindsNothing) {
  // hostdir names a host directory; in the container it does not exist.
  StringSink sink;
  absl::Status status = ArchiveFromRoot(root_, "/hostdir/secret", sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(sink.data().empty());
  EXPECT_EQ(ArchiveFromRoot(root_, "/hostdir/", sink).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ArchiveFromRootTest, SymlinksInsideTheTreeAreNotFollowed) {
  std::vector<TarEntry> entries = Archive("/etc");
  std::vector<std::string> names;
  for (const TarEntry& e : entries) {
    names.push_back(e.name);
    if (e.name == "etc/root") {
      EXPECT_EQ(e.type, 'l');
      EXPECT_EQ(e.data, "/");
    }
  }
  EXPECT_THAT(names,
              ElementsAre("etc/", "etc/hosts", "etc/passwd", "etc/root"));
}

TEST_F(ArchiveFromRootTest, WhiteoutsAreNotConverted) {
  WhiteoutOrDie(root_ + "/d/gone");
  WriteFileOrDie(root_ + "/d/.wh.kept", "");
  std::vector<TarEntry> entries = Archive("/d");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].name, "d/.wh.kept");
  EXPECT_EQ(entries[1].type, 'f');
  EXPECT_EQ(entries[2].name, "d/gone");
  EXPECT_EQ(entries[2].type, 'c');
}

TEST_F(ArchiveFromRootTest, HardlinksUseTheRebasedName) {
  ASSERT_EQ(
      link((root_ + "/etc/passwd").c_str(), (root_ + "/etc/passwd-").c_str()),
      0);
  std::vector<TarEntry> entries = Archive("/etc/.");
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[3].name, "./passwd-");
  EXPECT_EQ(entries[3].type, 'h');
  EXPECT_EQ(entries[3].data, "./passwd");
}

TEST_F(ArchiveFromRootTest, StatComesBeforeTheFirstByte) {
  StringSink sink;
  PathStat seen;
  size_t bytes_before = 1;
  absl::Status status =
      ArchiveFromRoot(root_, "/logs", sink, [&](const PathStat& stat) {
        seen = stat;
        bytes_before = sink.data().size();
        return absl::OkStatus();
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(bytes_before, 0u);
  EXPECT_EQ(seen.name, "logs");
  EXPECT_EQ(seen.link_target, "/var/log");
  EXPECT_EQ(seen.mode, kGoModeSymlink | 0777);
}

TEST_F(ArchiveFromRootTest, StatCallbackErrorStopsTheArchive) {
  StringSink sink;
  absl::Status status = ArchiveFromRoot(
      root_, "/etc", sink,
      [](const PathStat&) { return absl::CancelledError("client went away"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(sink.data().empty());
}

TEST_F(ArchiveFromRootTest, MissingPathIsNotFoundNamingIt) {
  StringSink sink;
  absl::Status status = ArchiveFromRoot(root_, "/etc/shadow", sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/etc/shadow"));
}

TEST_F(ArchiveFromRootTest, FileWithTrailingSlashIsInvalid) {
  StringSink sink;
  EXPECT_EQ(ArchiveFromRoot(root_, "/etc/passwd/", sink).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
