#include "lib/job/dispatcher.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace berth {
namespace {

absl::Status RunNamed(Dispatcher& dispatcher, const std::string& name,
                      std::string* out = nullptr) {
  StringOutput stdout_sink, stderr_sink;
  StringInput no_input;
  Job job(name, {}, Env(), &stdout_sink, &stderr_sink, &no_input);
  absl::Status status = dispatcher.Run(job);
  if (out != nullptr) *out = stdout_sink.data();
  return status;
}

TEST(DispatcherTest, RunsHandlerWithArgsAndEnv) {
  HandlerRegistry registry;
  ASSERT_TRUE(registry
                  .Register("engine", {"echo",
                                       [](Job& job) {
                                         for (const auto& arg : job.args())
                                           job.Stdout().Write(arg);
                                         job.Stdout().Write(
                                             job.env().Get("SUFFIX"));
                                         return absl::OkStatus();
                                       }})
                  .ok());
  Dispatcher dispatcher(&registry);
  StringOutput out, err;
  StringInput in;
  Job job("echo", {"a", "b"}, Env({"SUFFIX=!"}), &out, &err, &in);
  ASSERT_TRUE(dispatcher.Run(job).ok());
  EXPECT_EQ(out.data(), "ab!");
}

TEST(DispatcherTest, UnknownJobIsNotFound) {
  HandlerRegistry registry;
  Dispatcher dispatcher(&registry);
  EXPECT_EQ(RunNamed(dispatcher, "missing").code(),
            absl::StatusCode::kNotFound);
}

TEST(DispatcherTest, ShutdownLetsRunningJobFinishAndRefusesNewOnes) {
  HandlerRegistry registry;
  absl::Notification started, release;
  std::atomic<bool> finished{false};
  ASSERT_TRUE(registry
                  .Register("engine", {"slow",
                                       [&](Job&) {
                                         started.Notify();
                                         release.WaitForNotification();
                                         finished = true;
                                         return absl::OkStatus();
                                       }})
                  .ok());
  ASSERT_TRUE(
      registry
          .Register("engine", {"quick", [](Job&) { return absl::OkStatus(); }})
          .ok());
  std::atomic<bool> handler_ran{false};
  Dispatcher dispatcher(&registry);
  dispatcher.OnShutdown([&] {
    // Shutdown handlers run only after running jobs are done.
    EXPECT_TRUE(finished.load());
    handler_ran = true;
  });

  absl::Status slow_status;
  std::thread job_thread([&] { slow_status = RunNamed(dispatcher, "slow"); });
  started.WaitForNotification();

  ShutdownResult result;
  std::thread shutdown_thread([&] { result = dispatcher.Shutdown(); });
  while (!dispatcher.ShuttingDown()) absl::SleepFor(absl::Milliseconds(1));

  absl::Status refused = RunNamed(dispatcher, "quick");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(handler_ran.load());

  release.Notify();
  job_thread.join();
  shutdown_thread.join();
  EXPECT_TRUE(slow_status.ok());
  EXPECT_TRUE(handler_ran.load());
  EXPECT_EQ(result.abandoned_jobs, 0);
  EXPECT_FALSE(result.handlers_timed_out);
}

TEST(DispatcherTest, CapHoldsWithJobAndHandlerThatNeverReturn) {
  HandlerRegistry registry;
  // Both are released at the end only so the test exits cleanly.
  auto release = std::make_shared<absl::Notification>();
  absl::Notification started;
  ASSERT_TRUE(registry
                  .Register("engine", {"stuck",
                                       [&started, release](Job&) {
                                         started.Notify();
                                         release->WaitForNotification();
                                         return absl::OkStatus();
                                       }})
                  .ok());
  DispatcherConfig config;
  config.job_wait = absl::Milliseconds(300);
  config.handler_wait = absl::Milliseconds(600);
  Dispatcher dispatcher(&registry, config);
  std::atomic<int> quick_handlers{0};
  dispatcher.OnShutdown([release] { release->WaitForNotification(); });
  dispatcher.OnShutdown([&quick_handlers] { ++quick_handlers; });

  std::thread job_thread([&] { RunNamed(dispatcher, "stuck").IgnoreError(); });
  started.WaitForNotification();
  absl::Time start = absl::Now();
  ShutdownResult result = dispatcher.Shutdown();
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(result.abandoned_jobs, 1);
  EXPECT_TRUE(result.handlers_timed_out);
  EXPECT_EQ(quick_handlers.load(), 1);
  EXPECT_GE(took, config.job_wait + config.handler_wait);
  // Bounded: nothing waits for the stuck job or handler beyond the caps.
  EXPECT_LT(took, config.job_wait + config.handler_wait + absl::Seconds(2));
  // A second shutdown returns at once.
  EXPECT_EQ(dispatcher.Shutdown().abandoned_jobs, 0);
  release->Notify();
  job_thread.join();
}

}  // namespace
}  // namespace berth
