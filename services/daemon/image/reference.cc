#include "services/daemon/image/reference.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

// The constants and messages are distribution/reference's, which both the
// docker CLI and dockerd use, so users see the same errors from berth.
constexpr absl::string_view kDefaultDomain = "docker.io";
constexpr absl::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr absl::string_view kOfficialRepoPrefix = "library/";
constexpr absl::string_view kLocalhost = "localhost";
constexpr absl::string_view kDefaultTag = "latest";
constexpr absl::string_view kSha256Prefix = "sha256:";
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagLengthMax = 128;

constexpr absl::string_view kErrReferenceInvalidFormat =
    "invalid reference format";
constexpr absl::string_view kErrNameContainsUppercase =
    "repository name must be lowercase";
constexpr absl::string_view kErrNameEmpty =
    "repository name must have at least one component";

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c));
}
bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool MatchPathComponent(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    size_t start = i;
    while (i < n && IsLowerAlnum(s[i])) ++i;
    if (i == start) return false;
    if (i == n) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// pathComponent(?:/pathComponent)*
bool MatchPath(absl::string_view s) {
  for (absl::string_view component : absl::StrSplit(s, '/')) {
    if (!MatchPathComponent(component)) return false;
  }
  return true;
}

// [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool MatchDomainNameComponent(absl::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// (?:domainName|\[[a-fA-F0-9:]+\])(?::[0-9]+)?
bool MatchDomain(absl::string_view s) {
  absl::string_view host;
  absl::string_view rest;
  if (absl::StartsWith(s, "[")) {
    size_t close = s.find(']');
    if (close == absl::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!IsHex(c) && c != ':') return false;
    }
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    rest = colon == absl::string_view::npos ? absl::string_view()
                                            : s.substr(colon);
    for (absl::string_view component : absl::StrSplit(host, '.')) {
      if (!MatchDomainNameComponent(component)) return false;
    }
  }
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() == 1) return false;
  for (char c : rest.substr(1)) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// [\w][\w.-]{0,127}
bool MatchTag(absl::string_view s) {
  if (s.empty() || s.size() > kTagLengthMax || !IsWord(s.front())) {
    return false;
  }
  for (char c : s) {
    if (!IsWord(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}
bool MatchDigestGrammar(absl::string_view s) {
  size_t colon = s.find(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view algorithm = s.substr(0, colon);
  absl::string_view hex = s.substr(colon + 1);
  bool need_letter = true;
  for (char c : algorithm) {
    if (need_letter) {
      if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
      need_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_letter = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
  }
  if (need_letter) return false;
  if (hex.size() < 32) return false;
  for (char c : hex) {
    if (!IsHex(c)) return false;
  }
  return true;
}

// The pieces of a string that matches distribution/reference's
// ReferenceRegexp, split the way its capture groups split it.
struct Match {
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
};

std::optional<Match> MatchReference(absl::string_view s) {
  Match m;
  absl::string_view name_tag = s;
  size_t at = s.find('@');
  if (at != absl::string_view::npos) {
    absl::string_view digest = s.substr(at + 1);
    if (!MatchDigestGrammar(digest)) return std::nullopt;
    m.digest = std::string(digest);
    name_tag = s.substr(0, at);
  }
  // Neither a path nor a tag holds ':', and only a domain followed by a
  // path holds one before a '/', so a ':' after the last '/' starts the tag.
  absl::string_view name = name_tag;
  size_t colon = name_tag.rfind(':');
  size_t slash = name_tag.rfind('/');
  if (colon != absl::string_view::npos &&
      (slash == absl::string_view::npos || colon > slash)) {
    absl::string_view tag = name_tag.substr(colon + 1);
    if (!MatchTag(tag)) return std::nullopt;
    m.tag = std::string(tag);
    name = name_tag.substr(0, colon);
  }
  // The domain group is optional but greedy: it is taken whenever the
  // first component is a valid domain and the rest a valid path.
  slash = name.find('/');
  if (slash != absl::string_view::npos && MatchDomain(name.substr(0, slash)) &&
      MatchPath(name.substr(slash + 1))) {
    m.domain = std::string(name.substr(0, slash));
    m.path = std::string(name.substr(slash + 1));
    return m;
  }
  if (!MatchPath(name)) return std::nullopt;
  m.path = std::string(name);
  return m;
}

// distribution/reference's Parse.
absl::StatusOr<Reference> Parse(absl::string_view s) {
  std::optional<Match> m = MatchReference(s);
  if (!m.has_value()) {
    if (s.empty()) return absl::InvalidArgumentError(kErrNameEmpty);
    if (MatchReference(absl::AsciiStrToLower(s)).has_value()) {
      return absl::InvalidArgumentError(kErrNameContainsUppercase);
    }
    return absl::InvalidArgumentError(kErrReferenceInvalidFormat);
  }
  Reference ref;
  ref.domain = std::move(m->domain);
  ref.path = std::move(m->path);
  if (ref.Name().size() > kNameTotalLengthMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("repository name must not be more than ",
                     kNameTotalLengthMax, " characters"));
  }
  ref.tag = std::move(m->tag);
  if (!m->digest.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref.digest, Digest::Parse(m->digest));
  }
  return ref;
}

bool IsAnchoredIdentifier(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

// distribution/reference's splitDockerDomain.
void SplitDockerDomain(absl::string_view name, std::string* domain,
                       std::string* remainder) {
  size_t i = name.find('/');
  absl::string_view first =
      i == absl::string_view::npos ? absl::string_view() : name.substr(0, i);
  // An uppercase first component cannot be a repository path, so Docker
  // takes it as a (case-insensitive) domain.
  if (i == absl::string_view::npos ||
      (first.find_first_of(".:") == absl::string_view::npos &&
       first != kLocalhost && absl::AsciiStrToLower(first) == first)) {
    *domain = std::string(kDefaultDomain);
    *remainder = std::string(name);
  } else {
    *domain = std::string(first);
    *remainder = std::string(name.substr(i + 1));
  }
  if (*domain == kLegacyDefaultDomain) *domain = std::string(kDefaultDomain);
  if (*domain == kDefaultDomain && remainder->find('/') == std::string::npos) {
    *remainder = absl::StrCat(kOfficialRepoPrefix, *remainder);
  }
}

std::string WithTagAndDigest(std::string name, const Reference& ref) {
  if (!ref.tag.empty()) absl::StrAppend(&name, ":", ref.tag);
  if (ref.digest.has_value()) {
    absl::StrAppend(&name, "@", ref.digest->ToString());
  }
  return name;
}

absl::string_view StripSha256(absl::string_view s) {
  if (absl::StartsWith(s, kSha256Prefix)) s.remove_prefix(kSha256Prefix.size());
  return s;
}

}  // namespace

std::string Reference::Name() const {
  if (domain.empty()) return path;
  return absl::StrCat(domain, "/", path);
}

std::string Reference::String() const {
  return WithTagAndDigest(Name(), *this);
}

std::string Reference::FamiliarName() const {
  if (domain != kDefaultDomain) return Name();
  absl::string_view p = path;
  // Only a single component under library/ is an official image; a deeper
  // path keeps its prefix so it stays unambiguous.
  if (absl::StartsWith(p, kOfficialRepoPrefix)) {
    absl::string_view rest = p.substr(kOfficialRepoPrefix.size());
    if (rest.find('/') == absl::string_view::npos) return std::string(rest);
  }
  return path;
}

std::string Reference::FamiliarString() const {
  return WithTagAndDigest(FamiliarName(), *this);
}

absl::StatusOr<Reference> ParseNormalizedNamed(absl::string_view s) {
  if (IsAnchoredIdentifier(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid repository name (", s,
                     "), cannot specify 64-byte hexadecimal strings"));
  }
  std::string domain;
  std::string remainder;
  SplitDockerDomain(s, &domain, &remainder);
  // Docker checks the case on everything before the first ':', which is
  // the repository path unless a digest follows without a tag.
  std::string remote_name = remainder.substr(0, remainder.find(':'));
  if (absl::AsciiStrToLower(remote_name) != remote_name) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid reference format: repository name (", remote_name,
                     ") must be lowercase"));
  }
  return Parse(absl::StrCat(domain, "/", remainder));
}

Reference WithDefaultTag(Reference ref) {
  if (ref.tag.empty() && !ref.digest.has_value()) {
    ref.tag = std::string(kDefaultTag);
  }
  return ref;
}

bool LooksLikeImageId(absl::string_view s) {
  s = StripSha256(s);
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

absl::StatusOr<std::string> ResolveIdPrefix(
    absl::string_view prefix, const std::vector<std::string>& ids) {
  absl::string_view hex = StripSha256(prefix);
  if (hex.empty()) {
    return absl::InvalidArgumentError("image ID prefix can't be empty");
  }
  const std::string* found = nullptr;
  for (const std::string& id : ids) {
    absl::string_view id_hex = StripSha256(id);
    if (!absl::StartsWith(id_hex, hex)) continue;
    // The same image listed twice is still one image.
    if (found != nullptr && StripSha256(*found) != id_hex) {
      return absl::InvalidArgumentError(
          absl::StrCat("image ID prefix ", prefix,
                       " is ambiguous: it matches more than one image"));
    }
    found = &id;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("No such image: ", prefix));
  }
  return std::string(StripSha256(*found));
}

}  // namespace berth
