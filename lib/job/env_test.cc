#include "lib/job/env.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(EnvTest, StringsAndLastWins) {
  Env env({"A=1", "B=x=y", "A=2", "EMPTY"});
  EXPECT_EQ(env.Get("A"), "2");
  EXPECT_EQ(env.Get("B"), "x=y");
  EXPECT_TRUE(env.Exists("EMPTY"));
  EXPECT_EQ(env.Get("EMPTY"), "");
  EXPECT_FALSE(env.Exists("C"));
  EXPECT_EQ(env.Get("C"), "");
  env.Set("A", "3");
  EXPECT_EQ(env.entries().size(), 3u);
  EXPECT_EQ(env.Get("A"), "3");
}

TEST(EnvTest, KeyIsWholeNameNotPrefix) {
  Env env({"AB=1"});
  EXPECT_FALSE(env.Exists("A"));
}

TEST(EnvTest, Bool) {
  Env env;
  EXPECT_FALSE(env.GetBool("unset"));
  for (const char* falsy : {"", "0", "no", "FALSE", "None"}) {
    env.Set("k", falsy);
    EXPECT_FALSE(env.GetBool("k")) << falsy;
  }
  for (const char* truthy : {"1", "yes", "true", "anything"}) {
    env.Set("k", truthy);
    EXPECT_TRUE(env.GetBool("k")) << truthy;
  }
  env.SetBool("k", false);
  EXPECT_EQ(env.Get("k"), "0");
  EXPECT_FALSE(env.GetBool("k"));
}

TEST(EnvTest, Int) {
  Env env;
  EXPECT_EQ(*env.GetInt("n", 7), 7);
  env.SetInt("n", -42);
  EXPECT_EQ(*env.GetInt("n"), -42);
  env.Set("n", "12x");
  absl::StatusOr<int64_t> bad = env.GetInt("n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("n=12x"), std::string::npos);
}

TEST(EnvTest, List) {
  Env env;
  EXPECT_TRUE(env.GetList("l")->empty());
  env.SetList("l", {"a", "b c", "d,e"});
  EXPECT_EQ(*env.GetList("l"), (std::vector<std::string>{"a", "b c", "d,e"}));
  env.Set("l", "plain");
  EXPECT_EQ(*env.GetList("l"), std::vector<std::string>{"plain"});
  env.Set("l", "[1,2]");
  EXPECT_EQ(env.GetList("l").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EnvTest, Json) {
  Env env;
  EXPECT_TRUE(env.GetJson("j")->is_null());
  env.SetJson("j", {{"Memory", 1024}, {"Tty", true}});
  nlohmann::json j = *env.GetJson("j");
  EXPECT_EQ(j["Memory"], 1024);
  EXPECT_EQ(j["Tty"], true);
  env.Set("j", "{broken");
  EXPECT_EQ(env.GetJson("j").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
