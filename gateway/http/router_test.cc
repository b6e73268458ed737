#include "gateway/http/router.h"

#include <stdexcept>
#include <string>

#include "gateway/http/api_version.h"
#include "gateway/http/fake_response_writer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace berth::gateway {
namespace {

// Each handler answers with its own name and the params it saw.
Handler Named(std::string name) {
  return [name](Request& req, ResponseWriter& w) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [key, value] : req.params) params[key] = value;
    w.SendJson(200, {{"route", name}, {"params", params}});
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(RouterConfig{"1.24", "1.47"}) {
    Add("GET", "/_ping", "ping");
    Add("HEAD", "/_ping", "ping-head");
    Add("GET", "/containers/json", "containers-list");
    Add("GET", "/containers/{id}/json", "container-inspect");
    Add("DELETE", "/containers/{id}", "container-delete");
    Add("POST", "/containers/{id}/start", "container-start");
    Add("GET", "/images/json", "images-list");
    Add("GET", "/images/{name*}/json", "image-inspect");
    Add("POST", "/images/{name*}/tag", "image-tag");
    Add("DELETE", "/images/{name*}", "image-delete");
    Add("GET", "/version", "version");
  }

  void Add(const char* method, const char* pattern, const char* name) {
    ASSERT_TRUE(router_.Add(method, pattern, Named(name)).ok()) << pattern;
  }

  // Dispatches and returns the response; `req` keeps what the router filled.
  FakeResponseWriter Do(const std::string& method, const std::string& target,
                        Request* out = nullptr) {
    Request req;
    req.method = method;
    req.target = target;
    FakeResponseWriter w;
    router_.Dispatch(req, w);
    if (out != nullptr) *out = req;
    return w;
  }

  static nlohmann::json Json(const FakeResponseWriter& w) {
    return nlohmann::json::parse(w.body);
  }

  Router router_;
};

TEST_F(RouterTest, LiteralBeatsParameter) {
  FakeResponseWriter w = Do("GET", "/containers/json");
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(Json(w)["route"], "containers-list");

  w = Do("GET", "/containers/abc123/json");
  EXPECT_EQ(Json(w)["route"], "container-inspect");
  EXPECT_EQ(Json(w)["params"]["id"], "abc123");

  // Only DELETE has a route for /containers/json-shaped paths with a param.
  w = Do("DELETE", "/containers/json");
  EXPECT_EQ(Json(w)["route"], "container-delete");
  EXPECT_EQ(Json(w)["params"]["id"], "json");
}

TEST_F(RouterTest, ParametersAreDecodedAndNonEmpty) {
  FakeResponseWriter w = Do("POST", "/containers/my%20box/start");
  EXPECT_EQ(Json(w)["params"]["id"], "my box");
  w = Do("GET", "/containers//json");
  EXPECT_EQ(w.status, 404);
}

TEST_F(RouterTest, CatchAllSpansSlashesAndColons) {
  FakeResponseWriter w = Do("GET", "/images/library/busybox/json");
  EXPECT_EQ(Json(w)["route"], "image-inspect");
  EXPECT_EQ(Json(w)["params"]["name"], "library/busybox");

  w = Do("GET", "/v1.43/images/localhost:5000/a/b:tag/json");
  EXPECT_EQ(Json(w)["params"]["name"], "localhost:5000/a/b:tag");

  w = Do("GET", "/images/busybox/json");
  EXPECT_EQ(Json(w)["params"]["name"], "busybox");

  w = Do("GET", "/images/sha256:abcd/json");
  EXPECT_EQ(Json(w)["params"]["name"], "sha256:abcd");

  // An image whose last path component is "json".
  w = Do("GET", "/images/foo/json/json");
  EXPECT_EQ(Json(w)["params"]["name"], "foo/json");

  w = Do("POST", "/images/registry.example.com:443/team/app:1.0/tag?repo=x");
  EXPECT_EQ(Json(w)["route"], "image-tag");
  EXPECT_EQ(Json(w)["params"]["name"], "registry.example.com:443/team/app:1.0");

  w = Do("DELETE", "/images/localhost:5000/a/b:tag");
  EXPECT_EQ(Json(w)["route"], "image-delete");
  EXPECT_EQ(Json(w)["params"]["name"], "localhost:5000/a/b:tag");
}

TEST_F(RouterTest, CatchAllNeedsAtLeastOneSegment) {
  // /images/json is the list, not an inspect of an empty name.
  FakeResponseWriter w = Do("GET", "/images/json");
  EXPECT_EQ(Json(w)["route"], "images-list");
  w = Do("GET", "/images//json");
  EXPECT_EQ(w.status, 404);
}

TEST_F(RouterTest, UnknownPathIs404) {
  FakeResponseWriter w = Do("GET", "/nope");
  EXPECT_EQ(w.status, 404);
  EXPECT_EQ(w.Header("Content-Type"), "application/json");
  EXPECT_EQ(w.body, "{\"message\":\"page not found\"}\n");
  EXPECT_EQ(Do("GET", "/_ping/").status, 404);
  EXPECT_EQ(Do("GET", "/v1.43").status, 404);
}

TEST_F(RouterTest, WrongMethodIs405) {
  FakeResponseWriter w = Do("POST", "/containers/json");
  EXPECT_EQ(w.status, 405);
  EXPECT_EQ(w.Header("Content-Type"), "application/json");
  EXPECT_TRUE(Json(w).contains("message"));
  // /containers/json also matches DELETE /containers/{id}.
  EXPECT_EQ(w.Header("Allow"), "DELETE, GET, HEAD");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  FakeResponseWriter w = Do("HEAD", "/version");
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(Json(w)["route"], "version");
  // An explicit HEAD route wins over the GET one.
  w = Do("HEAD", "/_ping");
  EXPECT_EQ(Json(w)["route"], "ping-head");
}

TEST_F(RouterTest, VersionPrefixIsStripped) {
  Request req;
  FakeResponseWriter w = Do("GET", "/v1.43/containers/json?all=1", &req);
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(req.path, "/containers/json");
  EXPECT_EQ(req.api_version, "1.43");
  EXPECT_EQ(req.effective_api_version, "1.43");
  EXPECT_EQ(req.Query("all"), "1");

  w = Do("GET", "/containers/json", &req);
  EXPECT_EQ(req.api_version, "");
  EXPECT_EQ(req.effective_api_version, "1.47");

  // Bounds are inclusive.
  EXPECT_EQ(Do("GET", "/v1.24/_ping").status, 200);
  EXPECT_EQ(Do("GET", "/v1.47/_ping").status, 200);
}

TEST_F(RouterTest, VersionTooNew) {
  FakeResponseWriter w = Do("GET", "/v1.99/version");
  EXPECT_EQ(w.status, 400);
  EXPECT_EQ(Json(w)["message"],
            "client version 1.99 is too new. Maximum supported API version is "
            "1.47");
}

TEST_F(RouterTest, VersionTooOld) {
  FakeResponseWriter w = Do("GET", "/v1.12/version");
  EXPECT_EQ(w.status, 400);
  EXPECT_EQ(Json(w)["message"],
            "client version 1.12 is too old. Minimum supported API version is "
            "1.24, please upgrade your client to a newer version");
}

TEST_F(RouterTest, MalformedEscapeIs400) {
  EXPECT_EQ(Do("GET", "/containers/%zz/json").status, 400);
}

TEST_F(RouterTest, QueryIsParsed) {
  Request req;
  Do("GET",
     "/containers/"
     "json?all=1&filters=%7B%22status%22%3A%5B%22running%22%5D%7D&x=a+b&x=c",
     &req);
  EXPECT_TRUE(req.QueryBool("all"));
  EXPECT_EQ(req.Query("filters"), R"({"status":["running"]})");
  EXPECT_EQ(req.query["x"], (std::vector<std::string>{"a b", "c"}));
}

TEST(RouterErrorsTest, ThrowingHandlerGets500) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/boom",
                       [](Request&, ResponseWriter&) {
                         throw std::runtime_error("kaboom");
                       })
                  .ok());
  Request req;
  req.method = "GET";
  req.target = "/boom";
  FakeResponseWriter w;
  router.Dispatch(req, w);
  EXPECT_EQ(w.status, 500);
  EXPECT_EQ(nlohmann::json::parse(w.body)["message"], "kaboom");
}

TEST(RouterErrorsTest, RejectsMalformedPatterns) {
  Router router;
  Handler h = [](Request&, ResponseWriter&) {};
  EXPECT_EQ(router.Add("GET", "no-slash", h).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/{x*}/b/{y*}", h).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/x{y}", h).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/{}", h).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a", nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(router.Add("get", "/a/{x*}", h).ok());
}

TEST(ApiVersionTest, ComparesNumerically) {
  EXPECT_LT(CompareApiVersions("1.9", "1.10"), 0);
  EXPECT_GT(CompareApiVersions("1.43", "1.4"), 0);
  EXPECT_EQ(CompareApiVersions("1.40", "1.40"), 0);
  EXPECT_EQ(CompareApiVersions("1.40.0", "1.40"), 0);
  EXPECT_LT(CompareApiVersions("1", "1.1"), 0);
  EXPECT_TRUE(IsApiVersionString("1.43"));
  EXPECT_FALSE(IsApiVersionString("a1"));
  EXPECT_FALSE(IsApiVersionString(""));
  EXPECT_FALSE(IsApiVersionString(".1"));
}

}  // namespace
}  // namespace berth::gateway
