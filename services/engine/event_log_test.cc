#include "services/engine/event_log.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/engine/event_filter.h"
#include "services/engine/event_stream.h"

namespace berth {
namespace {

v1::Event Make(std::string type, std::string action, std::string id,
               int64_t time_nano = 0) {
  v1::Event event;
  event.set_type(std::move(type));
  event.set_action(std::move(action));
  event.set_id(std::move(id));
  event.set_time_nano(time_nano);
  return event;
}

std::vector<std::string> Collect(EventLog& log, v1::EventsRequest request) {
  std::vector<std::string> ids;
  absl::Status status = StreamEvents(
      log, request,
      [&ids](const v1::Event& e) {
        ids.push_back(e.id());
        return true;
      },
      [] { return false; });
  EXPECT_TRUE(status.ok()) << status;
  return ids;
}

TEST(EventLogTest, HistoryIsBounded) {
  EventLog log(3);
  for (int i = 1; i <= 5; ++i)
    log.Publish(Make("container", "start", std::to_string(i), i));
  std::vector<v1::Event> replay;
  auto sub = log.Subscribe(0, &replay);
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(replay[0].id(), "3");
  EXPECT_EQ(replay[2].id(), "5");
}

TEST(EventLogTest, PublishStampsTime) {
  EventLog log;
  int64_t before = absl::GetCurrentTimeNanos();
  v1::Event event = log.Publish(Make("container", "die", "x"));
  EXPECT_GE(event.time_nano(), before);
  EXPECT_LE(event.time_nano(), absl::GetCurrentTimeNanos());
}

TEST(EventLogTest, SinceUntilReplayEndsAtUntil) {
  EventLog log;
  log.Publish(Make("container", "create", "a", 100));
  log.Publish(Make("container", "start", "b", 200));
  log.Publish(Make("container", "die", "c", 300));
  v1::EventsRequest request;
  request.set_since_nano(150);
  request.set_until_nano(250);
  EXPECT_EQ(Collect(log, request), std::vector<std::string>{"b"});
  request.set_since_nano(0);
  request.set_until_nano(300);
  EXPECT_EQ(Collect(log, request), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(EventLogTest, SinceAfterUntilIsInvalid) {
  EventLog log;
  v1::EventsRequest request;
  request.set_since_nano(10);
  request.set_until_nano(5);
  EXPECT_EQ(StreamEvents(
                log, request, [](const v1::Event&) { return true; },
                [] { return false; })
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EventLogTest, LiveEventsReachSubscriberUntilDeadline) {
  EventLog log;
  v1::EventsRequest request;
  request.set_until_nano(absl::GetCurrentTimeNanos() + 2000000000);
  std::vector<std::string> ids;
  std::thread reader([&] { ids = Collect(log, request); });
  while (log.SubscribersCount() == 0) absl::SleepFor(absl::Milliseconds(1));
  log.Publish(Make("container", "start", "live"));
  reader.join();
  EXPECT_EQ(ids, std::vector<std::string>{"live"});
  EXPECT_EQ(log.SubscribersCount(), 0);
}

TEST(EventLogTest, CloseUnboundedEndsEndlessStreamsOnly) {
  EventLog log;
  v1::EventsRequest endless;  // no until: streams until closed
  v1::EventsRequest bounded;
  bounded.set_until_nano(absl::GetCurrentTimeNanos() + 1000000000);
  std::vector<std::string> bounded_ids;
  std::thread endless_reader([&] { Collect(log, endless); });
  std::thread bounded_reader([&] { bounded_ids = Collect(log, bounded); });
  while (log.SubscribersCount() < 2) absl::SleepFor(absl::Milliseconds(1));
  log.CloseUnbounded();
  endless_reader.join();
  // The bounded stream still gets what happens before its end.
  log.Publish(Make("container", "die", "late"));
  bounded_reader.join();
  EXPECT_EQ(bounded_ids, std::vector<std::string>{"late"});
  EXPECT_EQ(log.SubscribersCount(), 0);
}

v1::EventsRequest WithFilter(std::string key, std::vector<std::string> values) {
  v1::EventsRequest request;
  request.set_since_nano(0);
  request.set_until_nano(1000);
  for (auto& v : values) (*request.mutable_filters())[key].add_values(v);
  return request;
}

TEST(EventFilterTest, DockerFilters) {
  EventLog log;
  v1::Event create = Make("container", "create", "abc123", 1);
  (*create.mutable_attributes())["name"] = "web";
  (*create.mutable_attributes())["image"] = "busybox:latest";
  (*create.mutable_attributes())["tier"] = "front";
  log.Publish(create);
  log.Publish(Make("image", "pull", "busybox:latest", 2));
  log.Publish(Make("container", "exec_start: sh -c true", "def456", 3));
  log.Publish(Make("network", "connect", "net1", 4));

  EXPECT_EQ(Collect(log, WithFilter("type", {"image", "network"})),
            (std::vector<std::string>{"busybox:latest", "net1"}));
  EXPECT_EQ(Collect(log, WithFilter("event", {"exec_start"})),
            std::vector<std::string>{"def456"});
  EXPECT_EQ(Collect(log, WithFilter("container", {"abc"})),
            std::vector<std::string>{"abc123"});
  EXPECT_EQ(Collect(log, WithFilter("container", {"web"})),
            std::vector<std::string>{"abc123"});
  EXPECT_EQ(Collect(log, WithFilter("image", {"busybox"})),
            (std::vector<std::string>{"abc123", "busybox:latest"}));
  EXPECT_EQ(Collect(log, WithFilter("label", {"tier=front"})),
            std::vector<std::string>{"abc123"});
  EXPECT_TRUE(Collect(log, WithFilter("label", {"tier=back"})).empty());
  EXPECT_EQ(Collect(log, WithFilter("label", {"tier"})),
            std::vector<std::string>{"abc123"});
  // Keys combine with AND.
  v1::EventsRequest both = WithFilter("type", {"container"});
  (*both.mutable_filters())["event"].add_values("create");
  EXPECT_EQ(Collect(log, both), std::vector<std::string>{"abc123"});
}

TEST(EventFilterTest, UnknownKeyIsInvalid) {
  google::protobuf::Map<std::string, v1::FilterValues> filters;
  filters["colour"].add_values("red");
  absl::StatusOr<EventFilter> filter = EventFilter::Create(filters);
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(filter.status().message(), "invalid filter 'colour'");
}

}  // namespace
}  // namespace berth
