// Needs root: changes credentials and capability sets (in forked
// children).
#include <linux/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "services/runtime/capabilities.h"
#include "services/runtime/fork_helper.h"

namespace berth::runtime {
namespace {

using testing::RunInChild;
using testing::StatusHex;

class ApplyCapabilitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
  }
};

TEST_F(ApplyCapabilitiesTest, RootGetsTheSetEverywhereButInheritable) {
  uint64_t mask = CapabilityMask({CAP_CHOWN, CAP_KILL});
  int code = RunInChild([&] {
    if (!ApplyCapabilities({CAP_CHOWN, CAP_KILL}).ok()) return 1;
    if (StatusHex("CapBnd") != mask) return 2;
    if (StatusHex("CapEff") != mask) return 3;
    if (StatusHex("CapPrm") != mask) return 4;
    if (StatusHex("CapInh") != 0) return 5;
    if (StatusHex("CapAmb") != 0) return 6;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST_F(ApplyCapabilitiesTest, NonRootKeepsTheSetInBoundingOnly) {
  uint64_t mask = CapabilityMask(DockerDefaultCapabilities());
  int code = RunInChild([&] {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return 1;
    if (setresgid(1000, 1000, 1000) != 0) return 2;
    if (setresuid(1000, 1000, 1000) != 0) return 3;
    if (!ApplyCapabilities(DockerDefaultCapabilities()).ok()) return 4;
    if (StatusHex("CapBnd") != mask) return 5;
    if (StatusHex("CapEff") != 0) return 6;
    if (StatusHex("CapPrm") != 0) return 7;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST_F(ApplyCapabilitiesTest, DroppedCapabilityIsGone) {
  int code = RunInChild([] {
    if (!ApplyCapabilities({CAP_KILL}).ok()) return 1;
    // Without CAP_CHOWN, root cannot give a file away.
    char path[] = "/tmp/berth-caps-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 2;
    int rc = fchown(fd, 1234, 1234);
    int err = errno;
    close(fd);
    unlink(path);
    return rc == -1 && err == EPERM ? 0 : 3;
  });
  EXPECT_EQ(code, 0);
}

TEST_F(ApplyCapabilitiesTest, RejectsUnknownNumbers) {
  EXPECT_EQ(ApplyCapabilities({99}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime
