#include "gateway/http/request.h"

#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

TEST(RequestTest, HeaderLookupIgnoresCase) {
  Request req;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Registry-Auth", "abc"},
                 {"x-registry-auth", "second"}};
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("X-REGISTRY-AUTH"), "abc");
  EXPECT_TRUE(req.HasHeader("x-Registry-Auth"));
  EXPECT_EQ(req.Header("Accept"), "");
  EXPECT_FALSE(req.HasHeader("Accept"));
}

TEST(RequestTest, QueryFirstValueOrDefault) {
  Request req;
  ParseQueryString("a=1&a=2&empty=&bare", &req.query);
  EXPECT_EQ(req.Query("a"), "1");
  EXPECT_EQ(req.query["a"], (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(req.Query("empty", "dflt"), "");
  EXPECT_TRUE(req.HasQuery("bare"));
  EXPECT_EQ(req.Query("bare"), "");
  EXPECT_EQ(req.Query("missing", "dflt"), "dflt");
  EXPECT_FALSE(req.HasQuery("missing"));
}

TEST(RequestTest, QueryBoolFollowsDocker) {
  Request req;
  ParseQueryString(
      "one=1&t=true&T=True&yes=yes&zero=0&f=false&F=FALSE&e=&no=no&none=none"
      "&sp=%20true%20",
      &req.query);
  EXPECT_TRUE(req.QueryBool("one"));
  EXPECT_TRUE(req.QueryBool("t"));
  EXPECT_TRUE(req.QueryBool("T"));
  EXPECT_TRUE(req.QueryBool("yes"));
  EXPECT_TRUE(req.QueryBool("sp"));
  EXPECT_FALSE(req.QueryBool("zero"));
  EXPECT_FALSE(req.QueryBool("f"));
  EXPECT_FALSE(req.QueryBool("F"));
  EXPECT_FALSE(req.QueryBool("e"));
  EXPECT_FALSE(req.QueryBool("no"));
  EXPECT_FALSE(req.QueryBool("none"));
  EXPECT_FALSE(req.QueryBool("absent"));
}

TEST(RequestTest, QueryIsUrlDecoded) {
  absl::flat_hash_map<std::string, std::vector<std::string>> query;
  ParseQueryString(
      "filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D&t=a+b%2Bc&"
      "bad=%zz&k%20ey=v",
      &query);
  EXPECT_EQ(query["filters"][0], R"({"label":{"a=b":true}})");
  EXPECT_EQ(query["t"][0], "a b+c");
  EXPECT_FALSE(query.contains("bad"));
  EXPECT_EQ(query["k ey"][0], "v");
}

TEST(RequestTest, UrlDecode) {
  std::string out;
  EXPECT_TRUE(UrlDecode("a%2Fb+c%3a", false, &out));
  EXPECT_EQ(out, "a/b+c:");
  EXPECT_TRUE(UrlDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(UrlDecode("%", false, &out));
  EXPECT_FALSE(UrlDecode("%4", false, &out));
  EXPECT_FALSE(UrlDecode("%g0", false, &out));
}

TEST(RequestTest, Param) {
  Request req;
  req.params["id"] = "abc";
  EXPECT_EQ(req.Param("id"), "abc");
  EXPECT_EQ(req.Param("name"), "");
}

}  // namespace
}  // namespace berth::gateway
