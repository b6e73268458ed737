// main() for the tests that touch links, addresses, routes or iptables.
//
// Before anything else runs, the whole test process moves into a fresh
// network namespace of its own, with only loopback. Nothing the tests do
// can reach the host's namespace, and the namespace goes away with the
// process, even when it crashes. unshare(CLONE_NEWNET) moves only the
// calling thread, so it must happen while main's thread is the only one:
// every thread made later is born inside.
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

ino_t NetnsInode() {
  struct stat st {};
  if (stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

bool LoopbackUp() {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return false;
  ifreq request{};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ioctl(sock, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ioctl(sock, SIOCSIFFLAGS, &request) == 0;
  close(sock);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (ThreadCount() != 1) {
    fprintf(stderr, "netns test main: %d threads before unshare; refusing\n",
            ThreadCount());
    return 1;
  }
  ino_t host = NetnsInode();
  if (geteuid() != 0) {
    fprintf(stderr, "netns test main: needs root (CAP_SYS_ADMIN)\n");
    return 1;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    perror("netns test main: unshare(CLONE_NEWNET)");
    return 1;
  }
  if (host == 0 || NetnsInode() == host) {
    fprintf(stderr, "netns test main: still in the original namespace\n");
    return 1;
  }
  if (!LoopbackUp()) {
    perror("netns test main: bring lo up");
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
