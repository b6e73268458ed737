#include "services/shim/shim_config.h"

#include "gtest/gtest.h"

namespace berth::shim {
namespace {

TEST(ShimConfigTest, RoundTripsEveryField) {
  ShimConfig config;
  config.id = "abc";
  config.runtime = "oci";
  config.runc_path = "/usr/sbin/runc";
  config.runc_root = "/run/berth/runc";
  config.tty = true;
  config.open_stdin = true;
  config.stdin_once = true;
  config.log_path = "/var/lib/berth/containers/abc/abc-json.log";
  config.log_max_size = 1 << 20;
  config.log_max_files = 3;
  config.attach_wait = 2;
  absl::StatusOr<ShimConfig> parsed =
      ParseShimConfig(SerializeShimConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, "abc");
  EXPECT_EQ(parsed->runtime, "oci");
  EXPECT_EQ(parsed->runc_path, "/usr/sbin/runc");
  EXPECT_EQ(parsed->runc_root, "/run/berth/runc");
  EXPECT_TRUE(parsed->tty);
  EXPECT_TRUE(parsed->open_stdin);
  EXPECT_TRUE(parsed->stdin_once);
  EXPECT_EQ(parsed->log_path, config.log_path);
  EXPECT_EQ(parsed->log_max_size, 1 << 20);
  EXPECT_EQ(parsed->log_max_files, 3);
  EXPECT_EQ(parsed->attach_wait, 2);
}

TEST(ShimConfigTest, DefaultsWhenAbsent) {
  absl::StatusOr<ShimConfig> parsed =
      ParseShimConfig(R"({"id": "x", "log_path": "/l"})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->runtime, "native");
  EXPECT_EQ(parsed->runc_path, "runc");
  EXPECT_EQ(parsed->runc_root, "");
}

TEST(ShimConfigTest, RejectsUnknownRuntimeAndMissingFields) {
  EXPECT_FALSE(ParseShimConfig(R"({"id": "x", "log_path": "/l", )"
                               R"("runtime": "crun"})")
                   .ok());
  EXPECT_FALSE(ParseShimConfig(R"({"id": "x"})").ok());
  EXPECT_FALSE(ParseShimConfig("[]").ok());
}

}  // namespace
}  // namespace berth::shim
