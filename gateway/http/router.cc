#include "gateway/http/router.h"

#include <exception>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/http/api_version.h"
#include "glog/logging.h"

namespace berth::gateway {
namespace {

// "/a/b" -> {"a", "b"}; "/" -> {""}. Empty segments are kept so that
// "/containers//json" cannot match "{id}".
std::vector<absl::string_view> SplitPath(absl::string_view path) {
  if (absl::StartsWith(path, "/")) path.remove_prefix(1);
  return absl::StrSplit(path, '/');
}

}  // namespace

Router::Router(RouterConfig config) : config_(std::move(config)) {}

absl::Status Router::Add(absl::string_view method, absl::string_view pattern,
                         Handler handler, bool stream_body) {
  if (method.empty()) {
    return absl::InvalidArgumentError("route method must not be empty");
  }
  if (!absl::StartsWith(pattern, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("route pattern must start with '/': ", pattern));
  }
  if (!handler) {
    return absl::InvalidArgumentError(
        absl::StrCat("route has no handler: ", method, " ", pattern));
  }
  Route route;
  route.method = absl::AsciiStrToUpper(method);
  route.pattern = std::string(pattern);
  route.handler = std::move(handler);
  route.stream_body = stream_body;
  for (absl::string_view part : SplitPath(pattern)) {
    Segment segment;
    if (absl::StartsWith(part, "{") && absl::EndsWith(part, "}")) {
      absl::string_view name = part.substr(1, part.size() - 2);
      segment.kind = Segment::Kind::kParam;
      if (absl::EndsWith(name, "*")) {
        name.remove_suffix(1);
        segment.kind = Segment::Kind::kCatchAll;
        if (route.catch_all >= 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "route pattern has more than one {name*} segment: ", pattern));
        }
        route.catch_all = static_cast<int>(route.segments.size());
      }
      if (name.empty() || absl::StrContains(name, "{") ||
          absl::StrContains(name, "}") || absl::StrContains(name, "*")) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad parameter segment '", part, "' in ", pattern));
      }
      segment.text = std::string(name);
    } else if (absl::StrContains(part, "{") || absl::StrContains(part, "}")) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter must span a whole segment: ", pattern));
    } else {
      segment.kind = Segment::Kind::kLiteral;
      segment.text = std::string(part);
      ++route.literals;
    }
    route.segments.push_back(std::move(segment));
  }
  routes_.push_back(std::move(route));
  return absl::OkStatus();
}

bool Router::Match(const Route& route,
                   const std::vector<absl::string_view>& path,
                   absl::flat_hash_map<std::string, std::string>* params) {
  const std::vector<Segment>& segments = route.segments;
  params->clear();
  auto match_one = [&](const Segment& segment, absl::string_view part) {
    if (segment.kind == Segment::Kind::kLiteral) return segment.text == part;
    if (part.empty()) return false;
    (*params)[segment.text] = std::string(part);
    return true;
  };
  if (route.catch_all < 0) {
    if (segments.size() != path.size()) return false;
    for (size_t i = 0; i < path.size(); ++i) {
      if (!match_one(segments[i], path[i])) return false;
    }
    return true;
  }
  const size_t head = route.catch_all;
  const size_t tail = segments.size() - head - 1;
  if (path.size() < head + tail + 1) return false;
  for (size_t i = 0; i < head; ++i) {
    if (!match_one(segments[i], path[i])) return false;
  }
  for (size_t i = 0; i < tail; ++i) {
    if (!match_one(segments[segments.size() - 1 - i],
                   path[path.size() - 1 - i])) {
      return false;
    }
  }
  std::vector<absl::string_view> middle(path.begin() + head, path.end() - tail);
  // Image references never have empty components; "/images//json" is a
  // typo, not an image named "/".
  for (absl::string_view part : middle) {
    if (part.empty()) return false;
  }
  std::string joined = absl::StrJoin(middle, "/");
  (*params)[segments[head].text] = std::move(joined);
  return true;
}

bool Router::ApplyVersion(Request& req, ResponseWriter& writer) const {
  req.effective_api_version = config_.max_api_version;
  if (req.api_version.empty()) return true;
  if (ApiVersionLess(req.api_version, config_.min_api_version)) {
    writer.SendError(
        400, absl::StrCat("client version ", req.api_version,
                          " is too old. Minimum supported API version is ",
                          config_.min_api_version,
                          ", please upgrade your client to a newer version"));
    return false;
  }
  if (ApiVersionLess(config_.max_api_version, req.api_version)) {
    writer.SendError(400, absl::StrCat("client version ", req.api_version,
                                       " is too new. Maximum supported API "
                                       "version is ",
                                       config_.max_api_version));
    return false;
  }
  req.effective_api_version = req.api_version;
  return true;
}

bool Router::NormalizePath(absl::string_view raw_path, std::string* path,
                           std::string* api_version) {
  if (!UrlDecode(raw_path, /*plus_is_space=*/false, path)) return false;
  // dockerd's routes are "/v{version:[0-9.]+}" + path, alongside the bare
  // path; the prefix only counts when a path follows it.
  api_version->clear();
  if (absl::StartsWith(*path, "/v")) {
    size_t slash = path->find('/', 2);
    if (slash != std::string::npos) {
      absl::string_view version = absl::string_view(*path).substr(2, slash - 2);
      if (IsApiVersionString(version)) {
        *api_version = std::string(version);
        path->erase(0, slash);
      }
    }
  }
  return true;
}

const Router::Route* Router::FindBest(
    absl::string_view method,
    const std::vector<absl::string_view>& parts) const {
  absl::flat_hash_map<std::string, std::string> params;
  auto find = [&](absl::string_view want_method) -> const Route* {
    const Route* best = nullptr;
    for (const Route& route : routes_) {
      if (route.method != want_method || !Match(route, parts, &params)) {
        continue;
      }
      if (best == nullptr || route.literals > best->literals ||
          (route.literals == best->literals && best->catch_all >= 0 &&
           route.catch_all < 0)) {
        best = &route;
      }
    }
    return best;
  };
  const Route* best = find(method);
  // An explicit HEAD route wins; otherwise HEAD runs the GET route.
  if (best == nullptr && method == "HEAD") best = find("GET");
  return best;
}

bool Router::StreamsBody(absl::string_view method,
                         absl::string_view target) const {
  absl::string_view raw_path = target.substr(0, target.find('?'));
  std::string path, version;
  if (!NormalizePath(raw_path, &path, &version)) return false;
  const Route* best = FindBest(absl::AsciiStrToUpper(method), SplitPath(path));
  return best != nullptr && best->stream_body;
}

void Router::Dispatch(Request& req, ResponseWriter& writer) const {
  absl::string_view target = req.target;
  absl::string_view raw_path = target;
  absl::string_view raw_query;
  if (size_t q = target.find('?'); q != absl::string_view::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
  }
  std::string path;
  if (!NormalizePath(raw_path, &path, &req.api_version)) {
    writer.SendError(400,
                     absl::StrCat("invalid URL escape in path: ", raw_path));
    return;
  }
  req.query.clear();
  ParseQueryString(raw_query, &req.query);
  req.path = std::move(path);

  const std::vector<absl::string_view> parts = SplitPath(req.path);
  const std::string method = absl::AsciiStrToUpper(req.method);
  bool path_matched = false;
  std::set<std::string> allowed;
  absl::flat_hash_map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (!Match(route, parts, &params)) continue;
    path_matched = true;
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
  }
  const Route* best = path_matched ? FindBest(method, parts) : nullptr;

  if (!path_matched) {
    writer.SendError(404, "page not found");
    return;
  }
  if (best == nullptr) {
    Headers headers = {{"Content-Type", "application/json"},
                       {"Allow", absl::StrJoin(allowed, ", ")}};
    writer.Send(
        405, headers,
        JsonBody({{"message", absl::StrCat("method ", req.method,
                                           " not allowed for ", req.path)}}));
    return;
  }
  if (!ApplyVersion(req, writer)) return;
  Match(*best, parts, &req.params);

  try {
    best->handler(req, writer);
  } catch (const std::exception& e) {
    LOG(ERROR) << "handler for " << best->method << " " << best->pattern
               << " threw: " << e.what();
    if (!writer.responded()) writer.SendError(500, e.what());
  } catch (...) {
    LOG(ERROR) << "handler for " << best->method << " " << best->pattern
               << " threw a non-standard exception";
    if (!writer.responded()) writer.SendError(500, "internal server error");
  }
}

}  // namespace berth::gateway
