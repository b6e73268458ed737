// RuncDriver against real runc is covered by shim_test; here only what
// needs no runc.
#include "services/shim/runc_driver.h"

#include "gtest/gtest.h"

namespace berth::shim {
namespace {

TEST(RuncDriverTest, StateRootDefaultsToTheExecRootsRuncDirectory) {
  ShimConfig config;
  EXPECT_EQ(RuncDriver::StateRoot("/run/berth/containers/abc", config),
            "/run/berth/runc");
  EXPECT_EQ(RuncDriver::StateRoot("/run/berth/containers/abc/", config),
            "/run/berth/runc");
  config.runc_root = "/somewhere/else";
  EXPECT_EQ(RuncDriver::StateRoot("/run/berth/containers/abc", config),
            "/somewhere/else");
}

}  // namespace
}  // namespace berth::shim
