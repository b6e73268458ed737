#include "services/daemon/containers/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

ino_t NetnsInode(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

TEST(NetnsTest, PinsANewNamespaceWithOnlyLoopbackUp) {
  testing::TempDir tmp;
  std::string path = tmp.Join("netns");
  ino_t before = NetnsInode("/proc/thread-self/ns/net");
  ASSERT_TRUE(CreateNetns(path).ok());
  // The caller stays where it was; the pin is another namespace.
  EXPECT_EQ(NetnsInode("/proc/thread-self/ns/net"), before);
  EXPECT_NE(NetnsInode(path.c_str()), before);

  std::vector<std::string> names;
  bool lo_up = false;
  std::thread([&] {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) return;
    close(fd);
    if (struct if_nameindex* list = if_nameindex()) {
      for (struct if_nameindex* i = list; i->if_index != 0; ++i) {
        names.push_back(i->if_name);
      }
      if_freenameindex(list);
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    lo_up = ioctl(sock, SIOCGIFFLAGS, &request) == 0 &&
            (request.ifr_flags & IFF_UP);
    close(sock);
  }).join();
  EXPECT_EQ(names, std::vector<std::string>{"lo"});
  EXPECT_TRUE(lo_up);

  ASSERT_TRUE(RemoveNetns(path).ok());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(RemoveNetns(path).ok());  // idempotent
}

TEST(NetnsTest, AnExistingPathIsRefused) {
  testing::TempDir tmp;
  std::string path = tmp.Join("taken");
  close(open(path.c_str(), O_WRONLY | O_CREAT, 0644));
  EXPECT_FALSE(CreateNetns(path).ok());
}

}  // namespace
}  // namespace berth
