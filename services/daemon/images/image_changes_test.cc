#include "services/daemon/images/image_changes.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ImageChangesTest, EveryInstruction) {
  nlohmann::json config = nlohmann::json::object();
  ASSERT_TRUE(
      ApplyImageChanges(
          {"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /init --flag",
           "ENV A=1 B=\"two words\"", "ENV LEGACY some value", "ENV A=3",
           "EXPOSE 80 53/udp", "LABEL tier=front owner=\"me and you\"",
           "USER 1000:1000", "WORKDIR /srv", "VOLUME [\"/data\", \"/logs\"]",
           "STOPSIGNAL SIGINT"},
          config)
          .ok());
  EXPECT_EQ(config["Cmd"], nlohmann::json({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(config["Entrypoint"],
            nlohmann::json({"/bin/sh", "-c", "/init --flag"}));
  EXPECT_EQ(config["Env"],
            nlohmann::json({"A=3", "B=two words", "LEGACY=some value"}));
  EXPECT_TRUE(config["ExposedPorts"].contains("80/tcp"));
  EXPECT_TRUE(config["ExposedPorts"].contains("53/udp"));
  EXPECT_EQ(config["Labels"]["owner"], "me and you");
  EXPECT_EQ(config["User"], "1000:1000");
  EXPECT_EQ(config["WorkingDir"], "/srv");
  EXPECT_TRUE(config["Volumes"].contains("/logs"));
  EXPECT_EQ(config["StopSignal"], "SIGINT");
}

TEST(ImageChangesTest, UnknownInstructionIsRefused) {
  nlohmann::json config;
  absl::Status status = ApplyImageChanges({"RUN rm -rf /"}, config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "RUN is not a valid change command");
}

TEST(ImageChangesTest, MissingArguments) {
  nlohmann::json config;
  EXPECT_FALSE(ApplyImageChanges({"USER"}, config).ok());
  EXPECT_FALSE(ApplyImageChanges({"ENV"}, config).ok());
  EXPECT_FALSE(ApplyImageChanges({"LABEL =x"}, config).ok());
}

}  // namespace
}  // namespace berth
