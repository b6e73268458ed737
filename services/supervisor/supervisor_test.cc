#include "services/supervisor/supervisor.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

std::vector<std::string> Order(std::vector<ServiceSpec> specs) {
  Supervisor supervisor({}, std::move(specs));
  absl::StatusOr<std::vector<std::string>> order = supervisor.BootOrder();
  EXPECT_TRUE(order.ok()) << order.status();
  return order.ok() ? *order : std::vector<std::string>{};
}

TEST(SupervisorTest, BootOrderFollowsStagesAndDeclarations) {
  // Declared out of order on purpose: the order falls out of `after`.
  EXPECT_EQ(
      Order({{"daemon", "berth-daemon", BootStage::kDaemon, {"netd"}, "create"},
             {"gateway",
              "berth-gateway",
              BootStage::kBuiltins,
              {"netd", "engine"},
              "serveapi"},
             {"netd", "berth-netd", BootStage::kBuiltins, {"engine"}, "link"},
             {"engine", "berth-engine", BootStage::kEngine, {}, ""}}),
      (std::vector<std::string>{"engine", "netd", "gateway", "daemon"}));
}

TEST(SupervisorTest, CyclesAndUnknownServicesAreRefused) {
  Supervisor cycle({}, {{"a", "a", BootStage::kBuiltins, {"b"}, ""},
                        {"b", "b", BootStage::kBuiltins, {"a"}, ""}});
  EXPECT_EQ(cycle.BootOrder().status().code(),
            absl::StatusCode::kFailedPrecondition);
  Supervisor unknown({}, {{"a", "a", BootStage::kBuiltins, {"zzz"}, ""}});
  EXPECT_NE(unknown.BootOrder().status().message().find("zzz"),
            std::string::npos);
  Supervisor later({}, {{"a", "a", BootStage::kEngine, {"b"}, ""},
                        {"b", "b", BootStage::kDaemon, {}, ""}});
  EXPECT_EQ(later.BootOrder().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace berth
