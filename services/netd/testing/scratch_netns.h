#ifndef BERTH_SERVICES_NETD_TESTING_SCRATCH_NETNS_H_
#define BERTH_SERVICES_NETD_TESTING_SCRATCH_NETNS_H_

#include <sys/types.h>

#include <string>

namespace berth::netd::testing {

// A network namespace for a test's "container": a child process that
// unshared it and sleeps, killed (and so the namespace freed) on
// destruction or when the test process dies. path() names it the way a
// pinned netns file would. Only for tests already running in a namespace
// of their own (netns_test_main). Make it on a thread that outlives it
// (the test's): the child's death signal follows the forking thread.
class ScratchNetns {
 public:
  ScratchNetns();
  ~ScratchNetns();
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& path() const { return path_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string path_;
};

}  // namespace berth::netd::testing

#endif  // BERTH_SERVICES_NETD_TESTING_SCRATCH_NETNS_H_
