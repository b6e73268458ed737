#ifndef BERTH_GATEWAY_HTTP_ROUTER_H_
#define BERTH_GATEWAY_HTTP_ROUTER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/http/request.h"
#include "gateway/http/response_writer.h"

namespace berth::gateway {

using Handler = std::function<void(Request&, ResponseWriter&)>;

struct RouterConfig {
  // Oldest API version a client may ask for with a /vX.Y/ prefix.
  std::string min_api_version = "1.24";
  // Newest API version served; unversioned paths are served as this one.
  std::string max_api_version = "1.47";
};

// Maps (method, path) to handlers, Docker-style.
//
// Patterns are '/'-separated. A "{name}" segment matches exactly one
// non-empty path segment; at most one "{name*}" segment matches one or more
// segments (image references contain slashes: "/images/{name*}/json" serves
// /images/localhost:5000/a/b:tag/json with name "localhost:5000/a/b:tag");
// the segments after it are matched from the right.
//
// When several patterns match a path, the one with the most literal
// segments wins, then one without "{name*}", then the one added first; so
// GET /containers/json beats GET /containers/{id} whatever the order.
//
// Add() everything before the router is shared; Dispatch() is const and
// safe to call from many threads.
class Router {
 public:
  explicit Router(RouterConfig config = {});

  // Returns InvalidArgument for a malformed pattern.
  // With `stream_body` the server hands the handler the request body as
  // a stream (Request::read_body) instead of reading it whole first: for
  // uploads of hundreds of MiB (image loads and imports).
  absl::Status Add(absl::string_view method, absl::string_view pattern,
                   Handler handler, bool stream_body = false);

  // Whether the route that `method` and `target` reach streams its body.
  bool StreamsBody(absl::string_view method, absl::string_view target) const;

  // Fills req.path, api_version, effective_api_version, query and params
  // from req.target, then runs the matching handler or answers the error
  // itself: 400 for a malformed target or an unsupported API version, 404
  // {"message":"page not found"}, 405 when only the method is wrong. HEAD
  // without its own route runs the GET handler; the writer drops the body.
  // Exceptions from handlers are caught and, if nothing was sent yet,
  // answered with 500.
  void Dispatch(Request& req, ResponseWriter& writer) const;

  const RouterConfig& config() const { return config_; }

 private:
  struct Segment {
    enum class Kind { kLiteral, kParam, kCatchAll };
    Kind kind;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    int catch_all = -1;  // index into segments, or -1
    int literals = 0;
    Handler handler;
    bool stream_body = false;
  };

  // The path of `target` decoded and without its /vX.Y prefix (the
  // version goes to `api_version`); false for a malformed escape.
  static bool NormalizePath(absl::string_view raw_path, std::string* path,
                            std::string* api_version);
  // The best route for `method` on `parts`, or null.
  const Route* FindBest(absl::string_view method,
                        const std::vector<absl::string_view>& parts) const;

  static bool Match(const Route& route,
                    const std::vector<absl::string_view>& path,
                    absl::flat_hash_map<std::string, std::string>* params);
  // Strips and validates the /vX.Y prefix; false if it answered an error.
  bool ApplyVersion(Request& req, ResponseWriter& writer) const;

  RouterConfig config_;
  std::vector<Route> routes_;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_ROUTER_H_
