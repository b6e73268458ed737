#include "lib/docker/filters.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(FiltersTest, ListAndMapForms) {
  google::protobuf::Map<std::string, v1::FilterValues> filters;
  ASSERT_TRUE(
      ParseDockerFilters(
          R"({"type":["container","image"],"event":{"start":true,"die":false}})",
          &filters)
          .ok());
  ASSERT_EQ(filters["type"].values_size(), 2);
  EXPECT_EQ(filters["type"].values(1), "image");
  ASSERT_EQ(filters["event"].values_size(), 1);
  EXPECT_EQ(filters["event"].values(0), "start");
}

TEST(FiltersTest, EmptyIsNoFilter) {
  google::protobuf::Map<std::string, v1::FilterValues> filters;
  EXPECT_TRUE(ParseDockerFilters("", &filters).ok());
  EXPECT_TRUE(filters.empty());
}

TEST(FiltersTest, Malformed) {
  google::protobuf::Map<std::string, v1::FilterValues> filters;
  for (const char* bad :
       {"{", "[]", R"({"type":"container"})", R"({"type":[1]})"}) {
    EXPECT_EQ(ParseDockerFilters(bad, &filters).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace berth
