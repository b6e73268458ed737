#ifndef BERTH_SERVICES_RUNTIME_CONTAINER_STDIO_H_
#define BERTH_SERVICES_RUNTIME_CONTAINER_STDIO_H_

namespace berth::runtime {

// The caller's fds that become a container process's 0, 1 and 2. -1 gives
// /dev/null. For a terminal, pass the pty slave as all three: the process
// makes it its controlling terminal. The caller keeps ownership.
struct Stdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CONTAINER_STDIO_H_
