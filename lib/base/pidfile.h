#ifndef BERTH_LIB_BASE_PIDFILE_H_
#define BERTH_LIB_BASE_PIDFILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace berth {

// The daemon's pidfile: refuses to take over from a live process, and is
// removed when the owner goes away.
class Pidfile {
 public:
  // Fails with FailedPrecondition when `path` names a live process.
  static absl::StatusOr<Pidfile> Create(const std::string& path);

  Pidfile(Pidfile&& other) noexcept;
  Pidfile& operator=(Pidfile&&) = delete;
  ~Pidfile();

  const std::string& path() const { return path_; }

 private:
  explicit Pidfile(std::string path) : path_(std::move(path)) {}

  std::string path_;
};

}  // namespace berth

#endif  // BERTH_LIB_BASE_PIDFILE_H_
