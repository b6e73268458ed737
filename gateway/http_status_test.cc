#include "gateway/http_status.h"

#include "gateway/http/fake_response_writer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace berth::gateway {
namespace {

TEST(HttpStatusTest, MapsEveryCodeLikeMoby) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 500);
}

TEST(HttpStatusTest, SendsDockerErrorShape) {
  FakeResponseWriter writer;
  SendStatus(writer, absl::NotFoundError("No such container: x"));
  EXPECT_EQ(writer.status, 404);
  EXPECT_EQ(nlohmann::json::parse(writer.body)["message"],
            "No such container: x");
}

}  // namespace
}  // namespace berth::gateway
