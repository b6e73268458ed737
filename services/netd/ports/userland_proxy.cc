#include "services/netd/ports/userland_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "lib/base/files.h"

namespace berth::netd {
namespace {

constexpr size_t kBufferSize = 64 * 1024;
constexpr int kMaxEvents = 64;
// Datagrams read per wakeup, so that one busy port cannot starve others.
constexpr int kDatagramBatch = 64;

// What an epoll event points at.
struct Watch {
  enum Kind {
    kWake,
    kTcpListener,
    kUdpListener,
    kTcpClient,
    kTcpBackend,
    kUdpBackend
  };
  Kind kind;
  void* owner;
};

// One direction of a TCP connection.
struct Pipe {
  std::unique_ptr<char[]> data{new char[kBufferSize]};
  size_t begin = 0;
  size_t end = 0;
  bool eof = false;   // its source said it will send no more
  bool shut = false;  // its destination was told so (or is gone)

  bool HasData() const { return begin < end; }
  size_t Room() const { return kBufferSize - end; }
  void Compact() {
    if (begin == end) {
      begin = end = 0;
    } else if (begin > 0 && end == kBufferSize) {
      std::memmove(data.get(), data.get() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
  }
};

sockaddr_in SockAddr(Ipv4 ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = ip.ToNetworkOrder();
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

struct UserlandProxy::Listener {
  PortMapping mapping;
  UniqueFd fd;
  Watch watch{Watch::kTcpListener, this};
  bool closed = false;
  std::map<TcpConn*, std::unique_ptr<TcpConn>> conns;
  // Client address (ip << 16 | port) -> its flow.
  std::map<uint64_t, std::unique_ptr<UdpFlow>> flows;
};

struct UserlandProxy::TcpConn {
  Listener* listener = nullptr;
  UniqueFd client;
  UniqueFd backend;
  Watch client_watch{Watch::kTcpClient, this};
  Watch backend_watch{Watch::kTcpBackend, this};
  bool connecting = true;
  bool closed = false;
  // A hung-up socket can take nothing more and is left out of epoll.
  bool client_hup = false;
  bool backend_hup = false;
  bool client_watched = false;
  bool backend_watched = false;
  uint32_t client_events = 0;
  uint32_t backend_events = 0;
  Pipe up;    // client -> container
  Pipe down;  // container -> client
};

struct UserlandProxy::UdpFlow {
  Listener* listener = nullptr;
  uint64_t key = 0;
  sockaddr_in client{};
  UniqueFd backend;
  Watch watch{Watch::kUdpBackend, this};
  absl::Time last_active;
  bool closed = false;
};

UserlandProxy::UserlandProxy(absl::Duration udp_timeout)
    : udp_timeout_(udp_timeout),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      datagram_(65536) {
  CHECK(epoll_.valid()) << "epoll_create1: " << strerror(errno);
  CHECK(wake_.valid()) << "eventfd: " << strerror(errno);
  static Watch wake_watch{Watch::kWake, nullptr};
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &wake_watch;
  CHECK_EQ(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &event), 0);
  thread_ = std::thread([this] { Run(); });
}

UserlandProxy::~UserlandProxy() {
  absl::Notification done;
  Post({Command::kQuit, {}, nullptr, &done});
  done.WaitForNotification();
  thread_.join();
}

absl::Status UserlandProxy::Start(const PortMapping& mapping) {
  const bool tcp = mapping.protocol == Protocol::kTcp;
  const std::string what =
      absl::StrCat("listen ", ProtocolName(mapping.protocol), "4 ",
                   mapping.host_ip.ToString(), ":", mapping.host_port);
  auto failed = [&](int err, absl::string_view step) {
    std::string message = absl::StrCat("Error starting userland proxy: ", what,
                                       ": ", step, ": ", strerror(err));
    // Go's wording, which Docker's users know.
    if (err == EADDRINUSE) {
      return absl::AlreadyExistsError(
          absl::StrCat("Error starting userland proxy: ", what, ": ", step,
                       ": address already in use"));
    }
    return absl::Status(ErrnoStatus(err, "").code(), message);
  };
  auto listener = std::make_unique<Listener>();
  listener->mapping = mapping;
  listener->watch.kind = tcp ? Watch::kTcpListener : Watch::kUdpListener;
  listener->fd.reset(socket(
      AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0));
  if (!listener->fd.valid()) return failed(errno, "socket");
  if (tcp) {
    // A restarted berth-netd binds again over its old TIME_WAIT sockets.
    int on = 1;
    setsockopt(listener->fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  }
  sockaddr_in addr = SockAddr(mapping.host_ip, mapping.host_port);
  if (bind(listener->fd.get(), reinterpret_cast<sockaddr*>(&addr),
           sizeof(addr)) != 0) {
    return failed(errno, "bind");
  }
  if (tcp && listen(listener->fd.get(), SOMAXCONN) != 0) {
    return failed(errno, "listen");
  }
  Key key{mapping.protocol, mapping.host_ip, mapping.host_port};
  Post({Command::kAdd, key, std::move(listener), nullptr});
  return absl::OkStatus();
}

void UserlandProxy::Stop(const PortMapping& mapping) {
  absl::Notification done;
  Post({Command::kRemove,
        {mapping.protocol, mapping.host_ip, mapping.host_port},
        nullptr,
        &done});
  done.WaitForNotification();
}

void UserlandProxy::Post(Command command) {
  {
    absl::MutexLock lock(&mu_);
    commands_.push_back(std::move(command));
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

void UserlandProxy::Run() {
  epoll_event events[kMaxEvents];
  while (true) {
    int timeout_ms = udp_flows_ > 0 ? 1000 : -1;
    int n = epoll_wait(epoll_.get(), events, kMaxEvents, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      PLOG(FATAL) << "userland proxy: epoll_wait";
    }
    bool quit = false;
    for (int i = 0; i < n; ++i) {
      Watch* watch = static_cast<Watch*>(events[i].data.ptr);
      switch (watch->kind) {
        case Watch::kWake: {
          uint64_t count;
          (void)!read(wake_.get(), &count, sizeof(count));
          if (!RunCommands()) quit = true;
          break;
        }
        case Watch::kTcpListener: {
          auto* listener = static_cast<Listener*>(watch->owner);
          if (!listener->closed) Accept(listener);
          break;
        }
        case Watch::kUdpListener: {
          auto* listener = static_cast<Listener*>(watch->owner);
          if (!listener->closed) UdpFromClients(listener);
          break;
        }
        case Watch::kTcpClient:
        case Watch::kTcpBackend: {
          auto* conn = static_cast<TcpConn*>(watch->owner);
          if (!conn->closed) {
            OnTcpEvent(conn, watch->kind == Watch::kTcpBackend,
                       events[i].events);
          }
          break;
        }
        case Watch::kUdpBackend: {
          auto* flow = static_cast<UdpFlow*>(watch->owner);
          if (!flow->closed) UdpFromContainer(flow);
          break;
        }
      }
      if (quit) break;
    }
    if (udp_flows_ > 0) SweepUdp();
    dead_conns_.clear();
    dead_flows_.clear();
    dead_listeners_.clear();
    if (quit) return;
  }
}

bool UserlandProxy::RunCommands() {
  std::deque<Command> commands;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
  }
  bool keep_going = true;
  for (Command& command : commands) {
    switch (command.kind) {
      case Command::kAdd: {
        Listener* listener = command.listener.get();
        auto old = listeners_.find(command.key);
        if (old != listeners_.end()) CloseListener(old->second.get());
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = &listener->watch;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener->fd.get(),
                      &event) != 0) {
          PLOG(ERROR) << "userland proxy: cannot watch "
                      << listener->mapping.ToString();
          break;
        }
        listeners_[command.key] = std::move(command.listener);
        break;
      }
      case Command::kRemove: {
        auto it = listeners_.find(command.key);
        if (it != listeners_.end()) CloseListener(it->second.get());
        command.done->Notify();
        break;
      }
      case Command::kQuit:
        while (!listeners_.empty()) {
          CloseListener(listeners_.begin()->second.get());
        }
        command.done->Notify();
        keep_going = false;
        break;
    }
  }
  return keep_going;
}

void UserlandProxy::CloseListener(Listener* listener) {
  listener->closed = true;
  while (!listener->conns.empty()) {
    CloseConn(listener->conns.begin()->first);
  }
  while (!listener->flows.empty()) {
    CloseFlow(listener->flows.begin()->second.get());
  }
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener->fd.get(), nullptr);
  listener->fd.reset();  // the port is free from here on
  auto it =
      listeners_.find(Key{listener->mapping.protocol, listener->mapping.host_ip,
                          listener->mapping.host_port});
  if (it != listeners_.end() && it->second.get() == listener) {
    dead_listeners_.push_back(std::move(it->second));
    listeners_.erase(it);
  }
}

void UserlandProxy::Accept(Listener* listener) {
  while (true) {
    int fd = accept4(listener->fd.get(), nullptr, nullptr,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (!WouldBlock(errno)) {
        PLOG(WARNING) << "userland proxy: accept on "
                      << listener->mapping.ToString();
      }
      return;
    }
    auto conn = std::make_unique<TcpConn>();
    conn->listener = listener;
    conn->client.reset(fd);
    conn->backend.reset(
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!conn->backend.valid()) {
      PLOG(WARNING) << "userland proxy: socket";
      continue;  // drops the client
    }
    sockaddr_in addr = SockAddr(listener->mapping.container_ip,
                                listener->mapping.container_port);
    if (connect(conn->backend.get(), reinterpret_cast<sockaddr*>(&addr),
                sizeof(addr)) != 0 &&
        errno != EINPROGRESS) {
      VLOG(1) << "userland proxy: connect " << listener->mapping.ToString()
              << ": " << strerror(errno);
      continue;
    }
    TcpConn* raw = conn.get();
    listener->conns[raw] = std::move(conn);
    UpdateInterest(raw);
  }
}

void UserlandProxy::OnTcpEvent(TcpConn* conn, bool backend_side,
                               uint32_t events) {
  if (backend_side && conn->connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(conn->backend.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      VLOG(1) << "userland proxy: connect "
              << conn->listener->mapping.ToString() << ": " << strerror(err);
      CloseConn(conn);
      return;
    }
    conn->connecting = false;
  } else if (events & EPOLLERR) {
    CloseConn(conn);
    return;
  }
  if (events & EPOLLHUP)
    (backend_side ? conn->backend_hup : conn->client_hup) = true;
  Pump(conn);
  if (!conn->closed) UpdateInterest(conn);
}

void UserlandProxy::Pump(TcpConn* conn) {
  struct Direction {
    Pipe& pipe;
    int from;
    int to;
    bool to_hup;
    bool can_read;
  };
  Direction directions[] = {
      {conn->up, conn->client.get(), conn->backend.get(), conn->backend_hup,
       true},
      {conn->down, conn->backend.get(), conn->client.get(), conn->client_hup,
       !conn->connecting},
  };
  // Until nothing moves: a hung-up socket is out of epoll, so what is left
  // in its receive queue must be read now, not on a later event.
  bool progress = true;
  while (progress) {
    progress = false;
    for (Direction& d : directions) {
      Pipe& pipe = d.pipe;
      while (d.can_read && !pipe.eof) {
        pipe.Compact();
        if (pipe.Room() == 0) break;
        ssize_t n = read(d.from, pipe.data.get() + pipe.end, pipe.Room());
        if (n > 0) {
          pipe.end += n;
          progress = true;
        } else if (n == 0) {
          pipe.eof = true;
          progress = true;
        } else if (errno == EINTR) {
          continue;
        } else if (WouldBlock(errno)) {
          break;
        } else {
          CloseConn(conn);  // reset by a peer
          return;
        }
      }
      if (conn->connecting) continue;  // nothing goes to the container yet
      if (d.to_hup && !pipe.shut) {
        pipe.shut = true;  // the destination is gone
        progress = true;
      }
      if (pipe.shut) pipe.begin = pipe.end = 0;  // dropped
      while (pipe.HasData()) {
        ssize_t n = send(d.to, pipe.data.get() + pipe.begin,
                         pipe.end - pipe.begin, MSG_NOSIGNAL);
        if (n > 0) {
          pipe.begin += n;
          progress = true;
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && WouldBlock(errno)) {
          break;
        } else {
          CloseConn(conn);
          return;
        }
      }
      pipe.Compact();
      if (pipe.eof && !pipe.HasData() && !pipe.shut) {
        shutdown(d.to, SHUT_WR);
        pipe.shut = true;
        progress = true;
      }
    }
    if (conn->up.shut && conn->down.shut) {
      CloseConn(conn);
      return;
    }
  }
}

void UserlandProxy::UpdateInterest(TcpConn* conn) {
  auto apply = [this](int fd, bool hup, uint32_t wanted, bool& watched,
                      uint32_t& current, Watch* watch) {
    if (hup) {
      if (watched) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      watched = false;
      return;
    }
    if (watched && wanted == current) return;
    epoll_event event{};
    event.events = wanted;
    event.data.ptr = watch;
    epoll_ctl(epoll_.get(), watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
              &event);
    watched = true;
    current = wanted;
  };
  uint32_t client = 0;
  if (!conn->up.eof && conn->up.Room() > 0) client |= EPOLLIN;
  if (conn->down.HasData()) client |= EPOLLOUT;
  uint32_t backend = 0;
  if (conn->connecting || conn->up.HasData()) backend |= EPOLLOUT;
  if (!conn->connecting && !conn->down.eof && conn->down.Room() > 0) {
    backend |= EPOLLIN;
  }
  apply(conn->client.get(), conn->client_hup, client, conn->client_watched,
        conn->client_events, &conn->client_watch);
  apply(conn->backend.get(), conn->backend_hup, backend, conn->backend_watched,
        conn->backend_events, &conn->backend_watch);
}

void UserlandProxy::CloseConn(TcpConn* conn) {
  if (conn->closed) return;
  conn->closed = true;
  if (conn->client_watched) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, conn->client.get(), nullptr);
  }
  if (conn->backend_watched) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, conn->backend.get(), nullptr);
  }
  conn->client.reset();
  conn->backend.reset();
  auto it = conn->listener->conns.find(conn);
  dead_conns_.push_back(std::move(it->second));
  conn->listener->conns.erase(it);
}

void UserlandProxy::UdpFromClients(Listener* listener) {
  for (int i = 0; i < kDatagramBatch; ++i) {
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(listener->fd.get(), datagram_.data(), datagram_.size(),
                         0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or an ICMP error of an earlier reply
    }
    uint64_t key =
        (uint64_t{ntohl(from.sin_addr.s_addr)} << 16) | ntohs(from.sin_port);
    auto it = listener->flows.find(key);
    UdpFlow* flow;
    if (it != listener->flows.end()) {
      flow = it->second.get();
    } else {
      auto created = std::make_unique<UdpFlow>();
      created->listener = listener;
      created->key = key;
      created->client = from;
      created->backend.reset(
          socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      sockaddr_in to = SockAddr(listener->mapping.container_ip,
                                listener->mapping.container_port);
      if (!created->backend.valid() ||
          connect(created->backend.get(), reinterpret_cast<sockaddr*>(&to),
                  sizeof(to)) != 0) {
        PLOG(WARNING) << "userland proxy: udp socket towards "
                      << listener->mapping.ToString();
        continue;
      }
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = &created->watch;
      epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, created->backend.get(), &event);
      flow = created.get();
      listener->flows[key] = std::move(created);
      ++udp_flows_;
    }
    flow->last_active = absl::Now();
    // Refused (an earlier ICMP error) or full: UDP may drop.
    (void)!send(flow->backend.get(), datagram_.data(), n, MSG_NOSIGNAL);
  }
}

void UserlandProxy::UdpFromContainer(UdpFlow* flow) {
  for (int i = 0; i < kDatagramBatch; ++i) {
    ssize_t n =
        recv(flow->backend.get(), datagram_.data(), datagram_.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED) continue;
      return;
    }
    flow->last_active = absl::Now();
    (void)!sendto(flow->listener->fd.get(), datagram_.data(), n, MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&flow->client),
                  sizeof(flow->client));
  }
}

void UserlandProxy::CloseFlow(UdpFlow* flow) {
  if (flow->closed) return;
  flow->closed = true;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, flow->backend.get(), nullptr);
  flow->backend.reset();
  --udp_flows_;
  auto it = flow->listener->flows.find(flow->key);
  dead_flows_.push_back(std::move(it->second));
  flow->listener->flows.erase(it);
}

void UserlandProxy::SweepUdp() {
  absl::Time now = absl::Now();
  for (auto& [key, listener] : listeners_) {
    std::vector<UdpFlow*> idle;
    for (auto& [client, flow] : listener->flows) {
      if (now - flow->last_active >= udp_timeout_) idle.push_back(flow.get());
    }
    for (UdpFlow* flow : idle) CloseFlow(flow);
  }
}

}  // namespace berth::netd
