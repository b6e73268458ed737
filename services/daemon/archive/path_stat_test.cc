#include "services/daemon/archive/path_stat.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/test_tree.h"

namespace berth {
namespace {

using ::berth::testing::MkdirOrDie;
using ::berth::testing::SetMtimeOrDie;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::HasSubstr;

TEST(GoFileModeTest, RegularFileIsJustPermissions) {
  EXPECT_EQ(GoFileMode(S_IFREG | 0644), 0644u);
}

TEST(GoFileModeTest, EachTypeHasGosBit) {
  EXPECT_EQ(GoFileMode(S_IFDIR | 0755), (1u << 31) | 0755);
  EXPECT_EQ(GoFileMode(S_IFLNK | 0777), (1u << 27) | 0777);
  EXPECT_EQ(GoFileMode(S_IFIFO | 0600), (1u << 25) | 0600);
  EXPECT_EQ(GoFileMode(S_IFSOCK | 0755), (1u << 24) | 0755);
  EXPECT_EQ(GoFileMode(S_IFBLK | 0660), (1u << 26) | 0660);
  // Go marks a character device as a device too.
  EXPECT_EQ(GoFileMode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666);
}

TEST(GoFileModeTest, SetuidSetgidAndStickyMoveToGosBits) {
  EXPECT_EQ(GoFileMode(S_IFREG | 04755), (1u << 23) | 0755);
  EXPECT_EQ(GoFileMode(S_IFDIR | 02775), (1u << 31) | (1u << 22) | 0775);
  EXPECT_EQ(GoFileMode(S_IFDIR | 01777), (1u << 31) | (1u << 20) | 0777);
  EXPECT_EQ(GoFileMode(S_IFREG | 07000), (1u << 23) | (1u << 22) | (1u << 20));
}

TEST(GoFileModeTest, ConstantsAreGos) {
  EXPECT_EQ(kGoModeDir, 0x80000000u);
  EXPECT_EQ(kGoModeSymlink, 0x08000000u);
  EXPECT_EQ(kGoModeDevice, 0x04000000u);
  EXPECT_EQ(kGoModeNamedPipe, 0x02000000u);
  EXPECT_EQ(kGoModeSocket, 0x01000000u);
  EXPECT_EQ(kGoModeSetuid, 0x00800000u);
  EXPECT_EQ(kGoModeSetgid, 0x00400000u);
  EXPECT_EQ(kGoModeCharDevice, 0x00200000u);
  EXPECT_EQ(kGoModeSticky, 0x00100000u);
}

TEST(PathStatJsonTest, FieldsInDockersOrderAndFormat) {
  PathStat stat;
  stat.name = "passwd";
  stat.size = 1234;
  stat.mode = 0644;
  stat.mtime_unix_nanos = 1700000000123450000;
  EXPECT_EQ(PathStatJson(stat),
            "{\"name\":\"passwd\",\"size\":1234,\"mode\":420,"
            "\"mtime\":\"2023-11-14T22:13:20.12345Z\",\"linkTarget\":\"\"}");
}

TEST(PathStatJsonTest, StringsAreEscapedTheGoWay) {
  PathStat stat;
  stat.name = "a\"b<c>\n";
  stat.mode = kGoModeSymlink | 0777;
  stat.mtime_unix_nanos = 1600000000000000000;
  stat.link_target = "/x&y";
  EXPECT_EQ(PathStatJson(stat),
            "{\"name\":\"a\\\"b\\u003cc\\u003e\\n\",\"size\":0,"
            "\"mode\":134218239,\"mtime\":\"2020-09-13T12:26:40Z\","
            "\"linkTarget\":\"/x\\u0026y\"}");
}

TEST(PathStatJsonTest, HeaderIsStandardBase64OfTheJson) {
  PathStat stat;
  stat.name = "f";
  stat.mtime_unix_nanos = 0;
  std::string header = PathStatHeaderValue(stat);
  std::string json;
  ASSERT_TRUE(absl::Base64Unescape(header, &json));
  EXPECT_EQ(json, PathStatJson(stat));
  // Standard alphabet, padded: what Go's base64.StdEncoding writes.
  EXPECT_EQ(header.size() % 4, 0u);
  EXPECT_EQ(std::string(kPathStatHeader), "X-Docker-Container-Path-Stat");
}

class StatInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("root");
    WriteFileOrDie(tmp_.Join("host/passwd"), "host passwd, longer than");
    WriteFileOrDie(root_ + "/etc/passwd", "root:x:0:0\n");
    SetMtimeOrDie(root_ + "/etc/passwd", 1600000000);
    MkdirOrDie(root_ + "/var/log", 0750);
    SymlinkOrDie("/var/log", root_ + "/logs");
    SymlinkOrDie("/", root_ + "/etc/root");
    SymlinkOrDie("../../../../../..", root_ + "/up");
    SymlinkOrDie(tmp_.Join("host/passwd"), root_ + "/hostlink");
    SymlinkOrDie("logs/../etc/passwd", root_ + "/chain");
    SymlinkOrDie("/missing/target", root_ + "/dangling");
  }

  PathStat Stat(absl::string_view path) {
    absl::StatusOr<PathStat> stat = StatInRoot(root_, path);
    EXPECT_TRUE(stat.ok()) << path << ": " << stat.status();
    return stat.ok() ? *stat : PathStat();
  }

  berth::testing::TempDir tmp_;
  std::string root_;
};

TEST_F(StatInRootTest, RegularFile) {
  PathStat stat = Stat("/etc/passwd");
  EXPECT_EQ(stat.name, "passwd");
  EXPECT_EQ(stat.size, 11);
  EXPECT_EQ(stat.mode, 0644u);
  EXPECT_EQ(stat.mtime_unix_nanos, 1600000000000000000);
  EXPECT_EQ(stat.link_target, "");
}

TEST_F(StatInRootTest, Directory) {
  PathStat stat = Stat("var/log");
  EXPECT_EQ(stat.name, "log");
  EXPECT_EQ(stat.mode, kGoModeDir | 0750);
}

TEST_F(StatInRootTest, SymlinkIsNotFollowedButItsTargetIsResolved) {
  PathStat stat = Stat("/logs");
  EXPECT_EQ(stat.name, "logs");
  EXPECT_EQ(stat.mode, kGoModeSymlink | 0777);
  EXPECT_EQ(stat.size, 8);  // the length of "/var/log"
  EXPECT_EQ(stat.link_target, "/var/log");
}

TEST_F(StatInRootTest, LinkTargetIsFullyResolvedInTheContainer) {
  // "logs/../etc/passwd": ".." applies to where logs led (/var/log), as
  // the kernel resolves it.
  EXPECT_EQ(Stat("/chain").link_target, "/var/etc/passwd");
  EXPECT_EQ(Stat("/dangling").link_target, "/missing/target");
  // A host path is a path in the container like any other.
  EXPECT_EQ(Stat("/hostlink").link_target, tmp_.Join("host/passwd"));
}

TEST_F(StatInRootTest, TrailingSlashFollowsTheSymlink) {
  PathStat stat = Stat("/logs/");
  EXPECT_EQ(stat.name, "logs");
  EXPECT_EQ(stat.mode, kGoModeDir | 0750);
  EXPECT_EQ(stat.link_target, "");
}

TEST_F(StatInRootTest, TrailingDotIsNamedDot) {
  PathStat stat = Stat("/logs/.");
  EXPECT_EQ(stat.name, ".");
  EXPECT_EQ(stat.mode, kGoModeDir | 0750);
}

TEST_F(StatInRootTest, RootIsNamedSlash) {
  PathStat stat = Stat("/");
  EXPECT_EQ(stat.name, "/");
  EXPECT_EQ(stat.mode & kGoModeDir, kGoModeDir);
}

TEST_F(StatInRootTest, EscapingSymlinksStayInTheRoot) {
  EXPECT_EQ(Stat("/etc/root/etc/passwd").size, 11);
  EXPECT_EQ(Stat("/up/etc/passwd").size, 11);
  EXPECT_EQ(Stat("/../../etc/passwd").size, 11);
  // Through a link to a host file: the container has no such file.
  absl::StatusOr<PathStat> host = StatInRoot(root_, "/hostlink/");
  EXPECT_FALSE(host.ok());
}

TEST_F(StatInRootTest, SocketsAndFifosHaveTheirBits) {
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(Stat("/fifo").mode, kGoModeNamedPipe | 0600);
  ASSERT_EQ(mknod((root_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(chmod((root_ + "/null").c_str(), 0666), 0);
  EXPECT_EQ(Stat("/null").mode, kGoModeDevice | kGoModeCharDevice | 0666);
}

TEST_F(StatInRootTest, MissingPathIsNotFoundNamingIt) {
  absl::StatusOr<PathStat> stat = StatInRoot(root_, "/etc/shadow");
  EXPECT_EQ(stat.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(stat.status().message(), HasSubstr("/etc/shadow"));
  EXPECT_EQ(StatInRoot(root_, "/nope/x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StatInRootTest, PathThroughAFileIsInvalid) {
  EXPECT_EQ(StatInRoot(root_, "/etc/passwd/x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatInRoot(root_, "/etc/passwd/").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StatInRootTest, EmptyPathIsInvalid) {
  EXPECT_EQ(StatInRoot(root_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
