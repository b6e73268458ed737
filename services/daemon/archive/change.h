#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_H_

#include <string>

namespace berth {

// What happened to a path of a container's filesystem relative to its
// image, numbered as GET /containers/{id}/changes sends it ("Kind").
enum class ChangeKind : int {
  kModified = 0,
  kAdded = 1,
  kDeleted = 2,
};

// One line of docker diff.
struct Change {
  // Absolute in the container: "/etc/passwd".
  std::string path;
  ChangeKind kind = ChangeKind::kModified;

  bool operator==(const Change& other) const = default;
};

// "C", "A" or "D", as docker diff prints the kind.
inline const char* ChangeKindLetter(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kModified:
      return "C";
    case ChangeKind::kAdded:
      return "A";
    case ChangeKind::kDeleted:
      return "D";
  }
  return "?";
}

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_H_
