#include "services/daemon/containers/container_top.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ParsePsOutputTest, KeepsTheContainersRowsAndJoinsTheCommand) {
  std::string output =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n"
      "root         412     400  0 10:01 ?        00:00:00 sleep 300 now\n"
      "root         413     400  0 10:01 ?        00:00:00 sh\n";
  absl::StatusOr<v1::TopReply> reply = ParsePsOutput(output, {412, 413});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->titles_size(), 8);
  EXPECT_EQ(reply->titles(7), "CMD");
  ASSERT_EQ(reply->processes_size(), 2);
  ASSERT_EQ(reply->processes(0).fields_size(), 8);
  EXPECT_EQ(reply->processes(0).fields(1), "412");
  EXPECT_EQ(reply->processes(0).fields(7), "sleep 300 now");
  EXPECT_EQ(reply->processes(1).fields(7), "sh");
}

TEST(ParsePsOutputTest, NoPidColumnIsAnError) {
  EXPECT_FALSE(ParsePsOutput("USER COMMAND\nroot sh\n", {1}).ok());
}

TEST(ListContainerProcessesTest, RunsTheHostsPs) {
  absl::StatusOr<v1::TopReply> reply =
      ListContainerProcesses({getpid()}, "-o pid,comm");
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->processes_size(), 1);
  EXPECT_EQ(reply->processes(0).fields(0), std::to_string(getpid()));
}

TEST(ListContainerProcessesTest, OptionsPsRefusesAreInvalidArgument) {
  absl::StatusOr<v1::TopReply> reply =
      ListContainerProcesses({1}, "--no-such-option");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(reply.status().message().find("Error running ps"),
            std::string::npos);
}

}  // namespace
}  // namespace berth
