#include "services/daemon/containers/container_names.h"

#include <signal.h>

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "services/daemon/containers/signals.h"

namespace berth {
namespace {

TEST(ContainerNamesTest, DockerRule) {
  for (const char* good : {"web", "/web", "a1", "my_app.v2-x"}) {
    EXPECT_TRUE(ValidateContainerName(good).ok()) << good;
  }
  for (const char* bad : {"", "a", "_x", "-x", "a b", "a/b", "x:y"}) {
    EXPECT_FALSE(ValidateContainerName(bad).ok()) << bad;
  }
  EXPECT_TRUE(ValidateContainerName(RandomContainerName()).ok());
  // The plain names run out after a few hundred; digits keep it going.
  std::set<std::string> names;
  for (int attempt = 0; names.size() < 2000; ++attempt) {
    ASSERT_LT(attempt, 20000);
    names.insert(RandomContainerName(attempt / 200));
  }
}

TEST(RandomIdTest, SixtyFourHexDigitsEachTimeNew) {
  std::string a = RandomId(), b = RandomId();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST(SignalsTest, NamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*ParseSignal("term"), SIGTERM);
  EXPECT_EQ(*ParseSignal("USR1"), SIGUSR1);
  EXPECT_EQ(*ParseSignal("9"), SIGKILL);
  EXPECT_FALSE(ParseSignal("SIGNOPE").ok());
  EXPECT_FALSE(ParseSignal("0").ok());
  EXPECT_FALSE(ParseSignal("65").ok());
}

}  // namespace
}  // namespace berth
