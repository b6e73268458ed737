#include "services/daemon/graphdriver/driver_factory.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/graphdriver/mount_ops.h"
#include "services/daemon/graphdriver/overlay_driver.h"

namespace berth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class DriverFactoryTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // The overlay probe mounts under root_; nothing may be left.
    SystemMountOps ops;
    EXPECT_TRUE(UnmountAllUnder(tmp_.path(), ops).ok());
  }

  bool CanOverlay() { return geteuid() == 0 && OverlaySupported(root_); }

  berth::testing::TempDir tmp_;
  const std::string root_ = tmp_.Join("graph");
};

TEST_F(DriverFactoryTest, VfsRootRefusesOverlay) {
  auto vfs = NewGraphDriver("vfs", root_, {});
  ASSERT_TRUE(vfs.ok()) << vfs.status();
  EXPECT_EQ((*vfs)->Name(), "vfs");
  ASSERT_TRUE((*vfs)->Create("layer", "").ok());
  EXPECT_EQ(ReadFile(root_ + "/driver").value_or(""), "vfs\n");

  auto overlay = NewGraphDriver("overlay", root_, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(overlay.status())) << overlay.status();
  EXPECT_THAT(std::string(overlay.status().message()),
              AllOf(HasSubstr("prior storage driver vfs"), HasSubstr(root_),
                    HasSubstr("--storage-driver=vfs"),
                    HasSubstr("remove the data root to switch to overlay")));

  // The same driver, or none named, reopens it.
  auto again = NewGraphDriver("vfs", root_, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->Exists("layer"));
  auto any = NewGraphDriver("", root_, {});
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ((*any)->Name(), "vfs");
}

TEST_F(DriverFactoryTest, OverlayRootRefusesVfs) {
  if (!CanOverlay()) GTEST_SKIP() << "needs root and overlay";
  auto overlay = NewGraphDriver("overlay2", root_, {});
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  EXPECT_EQ((*overlay)->Name(), "overlay");
  auto vfs = NewGraphDriver("vfs", root_, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(vfs.status())) << vfs.status();
  EXPECT_THAT(
      std::string(vfs.status().message()),
      AllOf(HasSubstr("prior storage driver overlay"),
            HasSubstr("--storage-driver=overlay"), HasSubstr("switch to vfs")));
}

TEST_F(DriverFactoryTest, RootWithoutDriverFileIsRecognizedByItsLayers) {
  ASSERT_TRUE(MakeDirs(root_ + "/vfs/dir/some-layer").ok());
  auto overlay = NewGraphDriver("overlay", root_, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(overlay.status())) << overlay.status();
  auto any = NewGraphDriver("", root_, {});
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ((*any)->Name(), "vfs");
  EXPECT_EQ(ReadFile(root_ + "/driver").value_or(""), "vfs\n");
}

TEST_F(DriverFactoryTest, NewRootDefaultsToOverlayWhereSupported) {
  auto driver = NewGraphDriver("", root_, {});
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_EQ((*driver)->Name(), CanOverlay() ? "overlay" : "vfs");
}

TEST_F(DriverFactoryTest, RefusesUnknownAndMalformedOptions) {
  for (const char* name : {"vfs", "overlay"}) {
    auto driver = NewGraphDriver(name, root_, {"size=10G"});
    EXPECT_TRUE(absl::IsInvalidArgument(driver.status())) << driver.status();
    EXPECT_THAT(std::string(driver.status().message()),
                AllOf(HasSubstr("\"size\""), HasSubstr(name)));
  }
  auto malformed = NewGraphDriver("vfs", root_, {"novalue"});
  EXPECT_TRUE(absl::IsInvalidArgument(malformed.status()));
  EXPECT_THAT(std::string(malformed.status().message()),
              HasSubstr("KEY=VALUE"));
  // A refused start records no driver.
  EXPECT_TRUE(absl::IsNotFound(ReadFile(root_ + "/driver").status()));
}

TEST_F(DriverFactoryTest, RefusesUnknownDriversAndRelativeRoots) {
  auto driver = NewGraphDriver("aufs", root_, {});
  EXPECT_TRUE(absl::IsInvalidArgument(driver.status()));
  EXPECT_THAT(std::string(driver.status().message()), HasSubstr("aufs"));
  EXPECT_TRUE(absl::IsInvalidArgument(
      NewGraphDriver("vfs", "relative/graph", {}).status()));
}

class NoOverlayMountOps : public MountOps {
 public:
  absl::Status Mount(const std::string&, const std::string&, const std::string&,
                     unsigned long, const std::string&) override {
    return absl::NotFoundError("mount overlay: No such device");
  }
  absl::Status Unmount(const std::string&, int) override {
    return absl::InvalidArgumentError("not mounted");
  }
};

TEST_F(DriverFactoryTest, OverlayWithoutKernelSupportIsRefusedClearly) {
  auto driver = NewGraphDriver("overlay", root_, {},
                               std::make_unique<NoOverlayMountOps>());
  EXPECT_TRUE(absl::IsFailedPrecondition(driver.status())) << driver.status();
  EXPECT_THAT(std::string(driver.status().message()),
              AllOf(HasSubstr("overlay cannot be used on " + root_),
                    HasSubstr("--storage-driver=vfs")));
  EXPECT_TRUE(absl::IsNotFound(ReadFile(root_ + "/driver").status()));

  // Picking a driver falls back to vfs.
  auto any =
      NewGraphDriver("", root_, {}, std::make_unique<NoOverlayMountOps>());
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ((*any)->Name(), "vfs");
  // The probe left nothing behind.
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_THAT(entry.path().filename().string(),
                ::testing::AnyOf("vfs", "driver"));
  }
}

}  // namespace
}  // namespace berth
