// Loopback only: every socket here is on 127.0.0.1.
#include "services/netd/ports/userland_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"

namespace berth::netd {
namespace {

const Ipv4 kLoopback(0x7f000001);

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

int BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A free loopback port, found by binding port 0 and letting it go.
int FreePort(int type) {
  UniqueFd fd(socket(AF_INET, type, 0));
  sockaddr_in addr = Loopback(0);
  bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  return BoundPort(fd.get());
}

UniqueFd Listen(int type, int port = 0) {
  UniqueFd fd(socket(AF_INET, type, 0));
  sockaddr_in addr = Loopback(port);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  if (type == SOCK_STREAM) listen(fd.get(), 16);
  return fd;
}

UniqueFd Connect(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr = Loopback(port);
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  return fd;
}

std::string ReadAll(int fd) {
  std::string data;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) data.append(buf, n);
  return data;
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    ASSERT_GT(n, 0);
    done += n;
  }
}

// Serves `count` connections: reads each to its end (the client's
// half-close), then answers with what it got, reversed, and closes.
std::thread ReverseServer(int listen_fd, int count) {
  return std::thread([listen_fd, count] {
    std::vector<std::thread> workers;
    for (int i = 0; i < count; ++i) {
      int fd = accept(listen_fd, nullptr, nullptr);
      if (fd < 0) return;
      workers.emplace_back([fd] {
        std::string data = ReadAll(fd);
        std::string reversed(data.rbegin(), data.rend());
        WriteAll(fd, reversed);
        close(fd);
      });
    }
    for (std::thread& worker : workers) worker.join();
  });
}

PortMapping Mapping(Protocol protocol, int host_port, int container_port) {
  PortMapping mapping;
  mapping.protocol = protocol;
  mapping.host_ip = kLoopback;
  mapping.host_port = host_port;
  mapping.container_ip = kLoopback;
  mapping.container_port = container_port;
  return mapping;
}

TEST(UserlandProxyTest, RelaysTcpWithHalfCloses) {
  UniqueFd backend = Listen(SOCK_STREAM);
  std::thread server = ReverseServer(backend.get(), 8);
  UserlandProxy proxy;
  PortMapping mapping =
      Mapping(Protocol::kTcp, FreePort(SOCK_STREAM), BoundPort(backend.get()));
  ASSERT_TRUE(proxy.Start(mapping).ok());

  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = 'a' + (i * 7919) % 26;
  std::vector<std::thread> clients;
  std::vector<std::string> answers(8);
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      UniqueFd fd = Connect(mapping.host_port);
      std::string sent = i == 0 ? big : "hello " + std::to_string(i);
      WriteAll(fd.get(), sent);
      shutdown(fd.get(), SHUT_WR);
      answers[i] = ReadAll(fd.get());
    });
  }
  for (std::thread& client : clients) client.join();
  server.join();
  EXPECT_EQ(answers[0], std::string(big.rbegin(), big.rend()));
  EXPECT_EQ(answers[3], "3 olleh");
  proxy.Stop(mapping);
}

TEST(UserlandProxyTest, StopClosesThePortAndItsConnections) {
  UniqueFd backend = Listen(SOCK_STREAM);
  UserlandProxy proxy;
  PortMapping mapping =
      Mapping(Protocol::kTcp, FreePort(SOCK_STREAM), BoundPort(backend.get()));
  ASSERT_TRUE(proxy.Start(mapping).ok());
  UniqueFd client = Connect(mapping.host_port);
  UniqueFd accepted(accept(backend.get(), nullptr, nullptr));
  ASSERT_TRUE(accepted.valid());
  proxy.Stop(mapping);
  // The client's connection ends...
  char c;
  EXPECT_LE(read(client.get(), &c, 1), 0);
  // ...and the port can be published again at once (its closed
  // connections linger in TIME_WAIT, which SO_REUSEADDR passes).
  ASSERT_TRUE(proxy.Start(mapping).ok());
  proxy.Stop(mapping);
  proxy.Stop(mapping);  // unknown now: fine
}

TEST(UserlandProxyTest, ATakenPortIsDockersError) {
  UniqueFd taken = Listen(SOCK_STREAM);
  UserlandProxy proxy;
  PortMapping mapping = Mapping(Protocol::kTcp, BoundPort(taken.get()), 80);
  absl::Status status = proxy.Start(mapping);
  EXPECT_TRUE(absl::IsAlreadyExists(status)) << status;
  EXPECT_EQ(status.message(),
            "Error starting userland proxy: listen tcp4 127.0.0.1:" +
                std::to_string(mapping.host_port) +
                ": bind: address already in use");
}

TEST(UserlandProxyTest, ARefusingContainerEndsTheClientsConnection) {
  UserlandProxy proxy;
  PortMapping mapping =
      Mapping(Protocol::kTcp, FreePort(SOCK_STREAM), FreePort(SOCK_STREAM));
  ASSERT_TRUE(proxy.Start(mapping).ok());
  UniqueFd client = Connect(mapping.host_port);
  pollfd pfd{client.get(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  char c;
  EXPECT_LE(read(client.get(), &c, 1), 0);
  proxy.Stop(mapping);
}

TEST(UserlandProxyTest, RelaysUdpPerClient) {
  UniqueFd backend = Listen(SOCK_DGRAM);
  std::thread echo([fd = backend.get()] {
    char buf[2048];
    for (int i = 0; i < 4; ++i) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
                           reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      std::string reply = "echo:" + std::string(buf, n);
      sendto(fd, reply.data(), reply.size(), 0,
             reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  UserlandProxy proxy(absl::Milliseconds(200));
  PortMapping mapping =
      Mapping(Protocol::kUdp, FreePort(SOCK_DGRAM), BoundPort(backend.get()));
  ASSERT_TRUE(proxy.Start(mapping).ok());
  auto ask = [&](int fd, const std::string& what) {
    sockaddr_in to = Loopback(mapping.host_port);
    sendto(fd, what.data(), what.size(), 0, reinterpret_cast<sockaddr*>(&to),
           sizeof(to));
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 5000) != 1) return std::string("timeout");
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    return std::string(buf, n > 0 ? n : 0);
  };
  UniqueFd a(socket(AF_INET, SOCK_DGRAM, 0));
  UniqueFd b(socket(AF_INET, SOCK_DGRAM, 0));
  EXPECT_EQ(ask(a.get(), "one"), "echo:one");
  EXPECT_EQ(ask(b.get(), "two"), "echo:two");
  // After the idle timeout the flow is made anew, and still works.
  usleep(1500 * 1000);
  EXPECT_EQ(ask(a.get(), "three"), "echo:three");
  EXPECT_EQ(ask(b.get(), "four"), "echo:four");
  echo.join();
  proxy.Stop(mapping);
}

}  // namespace
}  // namespace berth::netd
