#include "services/runtime/user.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth::runtime {
namespace {

class ResolveUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = dir_.Join("rootfs");
    ASSERT_EQ(mkdir(rootfs_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((rootfs_ + "/etc").c_str(), 0755), 0);
    std::ofstream(rootfs_ + "/etc/passwd")
        << "root:x:0:0:root:/root:/bin/sh\n"
           "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
           "# a comment\n"
           "broken line\n"
           "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
           "bob:x:1001:1001::/home/bob:/bin/sh\n"
           "alice:x:2000:2000:dup:/nowhere:/bin/sh\n";
    std::ofstream(rootfs_ + "/etc/group") << "root:x:0:\n"
                                             "wheel:x:10:root,alice\n"
                                             "users:x:100:alice,bob\n"
                                             "alice:x:1000:\n"
                                             "staff:x:50:\n"
                                             "4242:x:77:\n";
  }

  absl::StatusOr<ResolvedUser> Resolve(absl::string_view user) {
    return ResolveUser(rootfs_, user);
  }

  berth::testing::TempDir dir_;
  std::string rootfs_;
};

TEST_F(ResolveUserTest, EmptyIsRootWithItsGroups) {
  absl::StatusOr<ResolvedUser> user = Resolve("");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 0u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_EQ(user->additional_gids, std::vector<uint32_t>{10});
  EXPECT_EQ(user->home, "/root");
}

TEST_F(ResolveUserTest, NameBringsGidHomeAndGroups) {
  absl::StatusOr<ResolvedUser> user = Resolve("alice");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);  // the first entry wins
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_EQ(user->home, "/home/alice");
  EXPECT_EQ(user->additional_gids, (std::vector<uint32_t>{10, 100}));
}

TEST_F(ResolveUserTest, NumericUidUsesItsEntryIfAny) {
  absl::StatusOr<ResolvedUser> bob = Resolve("1001");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->gid, 1001u);
  EXPECT_EQ(bob->additional_gids, std::vector<uint32_t>{100});

  absl::StatusOr<ResolvedUser> nobody = Resolve("4321");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->uid, 4321u);
  EXPECT_EQ(nobody->gid, 0u);
  EXPECT_TRUE(nobody->additional_gids.empty());
  EXPECT_EQ(nobody->home, "/");
}

TEST_F(ResolveUserTest, ExplicitGroupReplacesGidAndSupplementaryGroups) {
  absl::StatusOr<ResolvedUser> user = Resolve("alice:staff");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 50u);
  EXPECT_TRUE(user->additional_gids.empty());

  absl::StatusOr<ResolvedUser> numeric = Resolve("1234:5678");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->uid, 1234u);
  EXPECT_EQ(numeric->gid, 5678u);

  // A group named with digits is looked up by name first, as in Docker.
  absl::StatusOr<ResolvedUser> named_digits = Resolve("0:4242");
  ASSERT_TRUE(named_digits.ok());
  EXPECT_EQ(named_digits->gid, 77u);
}

TEST_F(ResolveUserTest, UnknownNamesUseDockersWording) {
  absl::StatusOr<ResolvedUser> user = Resolve("mallory");
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(user.status().message(),
            "unable to find user mallory: no matching entries in passwd file");
  absl::StatusOr<ResolvedUser> group = Resolve("alice:nogroup");
  EXPECT_EQ(group.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(group.status().message(),
            "unable to find group nogroup: no matching entries in group file");
  EXPECT_EQ(Resolve("alice:").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolveUserTest, MissingFilesAllowNumericOnly) {
  ASSERT_EQ(unlink((rootfs_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(unlink((rootfs_ + "/etc/group").c_str()), 0);
  absl::StatusOr<ResolvedUser> user = Resolve("7:8");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 7u);
  EXPECT_EQ(user->gid, 8u);
  EXPECT_EQ(Resolve("alice").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Resolve("").ok());
}

TEST_F(ResolveUserTest, SymlinkedPasswdCannotLeaveTheRootfs) {
  std::string host = dir_.Join("host-passwd");
  std::ofstream(host) << "hostuser:x:555:555::/:/bin/sh\n";
  ASSERT_EQ(unlink((rootfs_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(symlink(host.c_str(), (rootfs_ + "/etc/passwd").c_str()), 0);
  EXPECT_EQ(Resolve("hostuser").status().code(), absl::StatusCode::kNotFound);

  // Relative climbing is clamped at the rootfs too.
  ASSERT_EQ(unlink((rootfs_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../host-passwd",
                    (rootfs_ + "/etc/passwd").c_str()),
            0);
  EXPECT_EQ(Resolve("hostuser").status().code(), absl::StatusCode::kNotFound);

  // The same name inside the rootfs is what counts.
  std::ofstream(rootfs_ + "/host-passwd") << "hostuser:x:9:9::/:/bin/sh\n";
  absl::StatusOr<ResolvedUser> inside = Resolve("hostuser");
  ASSERT_TRUE(inside.ok()) << inside.status();
  EXPECT_EQ(inside->uid, 9u);
}

TEST(ParsePasswdTest, SkipsMalformedLines) {
  std::vector<PasswdEntry> entries =
      ParsePasswd("a:x:1:2:gecos:/home/a:/bin/sh\nb:x:notanumber:1\nc:x:3\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "a");
  EXPECT_EQ(entries[0].home, "/home/a");
  std::vector<GroupEntry> groups = ParseGroup("g:x:5:a,b\nh:x:-1:\n");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].members, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace berth::runtime
