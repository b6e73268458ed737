#ifndef BERTH_SERVICES_DAEMON_IMAGE_REFERENCE_H_
#define BERTH_SERVICES_DAEMON_IMAGE_REFERENCE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/daemon/image/digest.h"

namespace berth {

// A named image reference as Docker's distribution/reference library
// holds it after normalization: "docker.io/library/busybox:latest".
struct Reference {
  // Empty only in the corner Docker also produces, where a first component
  // that looks like a domain is not a valid one but is a valid path
  // component ("a_b.c/d").
  std::string domain;
  std::string path;
  std::string tag;  // empty: no tag
  std::optional<Digest> digest;

  // "docker.io/library/busybox".
  std::string Name() const;
  // Name()[:tag][@digest].
  std::string String() const;
  // The short form docker prints: "busybox", "user/repo",
  // "localhost:5000/x".
  std::string FamiliarName() const;
  // FamiliarName()[:tag][@digest].
  std::string FamiliarString() const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Docker's reference.ParseNormalizedNamed: what `docker pull NAME` and the
// daemon accept as an image name. Errors are InvalidArgument with
// distribution/reference's messages, e.g. "invalid reference format".
absl::StatusOr<Reference> ParseNormalizedNamed(absl::string_view s);

// reference.TagNameOnly: tag "latest" when neither tag nor digest is set.
Reference WithDefaultTag(Reference ref);

// Whether `s` can name an image by ID: an optional "sha256:" followed by
// 1..64 lowercase hex digits. Short forms are also valid names ("abc"), so
// callers decide the lookup order.
bool LooksLikeImageId(absl::string_view s);

// Finds the one ID among `ids` (64 hex, "sha256:" tolerated) that starts
// with `prefix` (hex, "sha256:" accepted) and returns it as 64 hex.
// None: NotFound "No such image: PREFIX". Several: InvalidArgument naming
// the prefix as ambiguous. Empty prefix: InvalidArgument.
absl::StatusOr<std::string> ResolveIdPrefix(
    absl::string_view prefix, const std::vector<std::string>& ids);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_IMAGE_REFERENCE_H_
