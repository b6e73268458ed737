#include "services/daemon/containers/container_mounts.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ResolveMountsTest, BindsNamedAndAnonymousVolumes) {
  v1::HostConfig host;
  host.add_binds("/srv/data:/data:ro");
  host.add_binds("cache:/cache:nocopy");
  v1::MountPoint* mount = host.add_mounts();
  mount->set_type("volume");
  mount->set_destination("/anon");
  mount = host.add_mounts();
  mount->set_type("tmpfs");
  mount->set_destination("/scratch");
  absl::StatusOr<std::vector<v1::MountPoint>> mounts =
      ResolveMounts(host, {"/var/lib/db"});
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 4u);
  EXPECT_EQ((*mounts)[0].type(), "bind");
  EXPECT_EQ((*mounts)[0].source(), "/srv/data");
  EXPECT_TRUE((*mounts)[0].read_only());
  EXPECT_EQ((*mounts)[1].type(), "volume");
  EXPECT_EQ((*mounts)[1].name(), "cache");
  EXPECT_TRUE((*mounts)[1].no_copy());
  EXPECT_FALSE((*mounts)[1].anonymous());
  EXPECT_EQ((*mounts)[2].destination(), "/anon");
  EXPECT_TRUE((*mounts)[2].anonymous());
  EXPECT_EQ((*mounts)[3].destination(), "/var/lib/db");
  EXPECT_TRUE((*mounts)[3].anonymous());
}

TEST(ResolveMountsTest, AnImageVolumeUnderAUserMountIsCovered) {
  v1::HostConfig host;
  host.add_binds("named:/data");
  absl::StatusOr<std::vector<v1::MountPoint>> mounts =
      ResolveMounts(host, {"/data"});
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 1u);
  EXPECT_EQ((*mounts)[0].name(), "named");
}

TEST(ResolveMountsTest, RefusesWhatDockerRefuses) {
  for (const char* bind : {"/a", "/a:rel", "/a:/b:bogus", "a:b:c:d", ":/b"}) {
    v1::HostConfig host;
    host.add_binds(bind);
    EXPECT_EQ(ResolveMounts(host, {}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bind;
  }
  v1::HostConfig twice;
  twice.add_binds("/a:/x");
  twice.add_binds("v:/x");
  absl::Status status = ResolveMounts(twice, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("Duplicate mount point: /x"),
            std::string::npos);
  v1::HostConfig bind_without_source;
  bind_without_source.add_mounts()->set_type("bind");
  bind_without_source.mutable_mounts(0)->set_destination("/x");
  EXPECT_FALSE(ResolveMounts(bind_without_source, {}).ok());
}

}  // namespace
}  // namespace berth
