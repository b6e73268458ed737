#include "lib/job/handler_registry.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

HandlerSpec Spec(std::string name, std::vector<std::string> deps = {}) {
  return HandlerSpec{std::move(name),
                     [](Job& job) {
                       job.Stdout().Write(job.name());
                       return absl::OkStatus();
                     },
                     std::move(deps)};
}

TEST(HandlerRegistryTest, DoubleRegistrationIsRefused) {
  HandlerRegistry registry;
  ASSERT_TRUE(registry.Register("engine", Spec("version")).ok());
  absl::Status again = registry.Register("engine", Spec("version"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<uint64_t> other =
      registry.RegisterService("daemon", {Spec("create"), Spec("version")});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(other.status().message().find("engine"), std::string::npos);
  // All or nothing: "create" was not added either.
  EXPECT_EQ(registry.Lookup("create").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(HandlerRegistryTest, DuplicateWithinOneRegistrationIsRefused) {
  HandlerRegistry registry;
  EXPECT_EQ(registry.RegisterService("daemon", {Spec("start"), Spec("start")})
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(HandlerRegistryTest, UnknownJobIsNotFound) {
  HandlerRegistry registry;
  absl::StatusOr<Handler> handler = registry.Lookup("nope");
  EXPECT_EQ(handler.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(handler.status().message(), "no such job: nope");
}

TEST(HandlerRegistryTest, CommandsListsEveryNameSorted) {
  HandlerRegistry registry;
  ASSERT_TRUE(registry.Register("engine", Spec("version")).ok());
  ASSERT_TRUE(registry.Register("engine", Spec("commands")).ok());
  ASSERT_TRUE(
      registry.RegisterService("gateway", {Spec("serveapi", {"version"})})
          .ok());
  std::vector<CommandInfo> commands = registry.Commands();
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0].name, "commands");
  EXPECT_EQ(commands[1].name, "serveapi");
  EXPECT_EQ(commands[1].service, "gateway");
  EXPECT_EQ(commands[1].depends_on, std::vector<std::string>{"version"});
  EXPECT_EQ(commands[2].name, "version");
}

TEST(HandlerRegistryTest, ServiceReRegistrationReplacesItsOwnSet) {
  HandlerRegistry registry;
  absl::StatusOr<uint64_t> first =
      registry.RegisterService("netd", {Spec("link"), Spec("allocate_port")});
  ASSERT_TRUE(first.ok());
  absl::StatusOr<uint64_t> second =
      registry.RegisterService("netd", {Spec("link")});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(registry.Lookup("allocate_port").status().code(),
            absl::StatusCode::kNotFound);
  // The old registration going away must not take the new one with it.
  registry.Unregister("netd", *first);
  EXPECT_TRUE(registry.Lookup("link").ok());
  registry.Unregister("netd", *second);
  EXPECT_EQ(registry.Lookup("link").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(HandlerRegistryTest, MissingDependencyIsNamed) {
  HandlerRegistry registry;
  ASSERT_TRUE(
      registry
          .RegisterService("daemon", {Spec("create", {"allocate_interface"})})
          .ok());
  absl::StatusOr<Handler> handler = registry.Lookup("create");
  EXPECT_EQ(handler.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(handler.status().message().find("allocate_interface"),
            std::string::npos);
  ASSERT_TRUE(registry.Register("netd", Spec("allocate_interface")).ok());
  EXPECT_TRUE(registry.Lookup("create").ok());
}

}  // namespace
}  // namespace berth
