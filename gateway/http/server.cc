#include "gateway/http/server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/local/stream_protocol.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/connection_writer.h"
#include "gateway/http/listen_address.h"
#include "gateway/http/listen_fds.h"
#include "gateway/http/response_writer.h"
#include "glog/logging.h"
#include "nlohmann/json.hpp"

namespace berth::gateway {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using UnixProtocol = net::local::stream_protocol;

// Beast caps a single read at 64 KiB.
constexpr size_t kUploadReadSize = 64 << 10;

constexpr absl::string_view kStartingUp =
    "berth is starting up: the API is not accepting connections yet";

absl::string_view ToAbsl(beast::string_view view) {
  return absl::string_view(view.data(), view.size());
}

std::string BodyTooLarge(uint64_t limit) {
  return absl::StrCat("request body larger than ", limit, " bytes");
}

// Beast rejects an oversized Content-Length while parsing the header, before
// there is a request to hand a ResponseWriter; answer in Docker's shape.
std::string TooLargeReply(uint64_t limit) {
  const std::string body =
      JsonBody(nlohmann::json{{"message", BodyTooLarge(limit)}});
  return absl::StrCat(
      "HTTP/1.1 413 Request Entity Too Large\r\n"
      "Content-Type: application/json\r\nContent-Length: ",
      body.size(), "\r\nConnection: close\r\n\r\n", body);
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  if (address.is_v6()) {
    return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  }
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

bool IsLoopback(const net::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6())
        .is_loopback();
  }
  return address.is_loopback();
}

// Takes errno explicitly: building `what` may allocate and clobber it.
absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": ", std::strerror(err)));
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerConfig config);
  ~Impl();

  absl::StatusOr<std::string> Listen(absl::string_view host);
  void Start();
  void Stop();

 private:
  struct Listener {
    std::string address;
    bool tls = false;
    std::unique_ptr<tcp::acceptor> tcp_acceptor;
    std::unique_ptr<UnixProtocol::acceptor> unix_acceptor;
    // Socket file this server created and removes on Stop().
    std::string created_path;
    std::thread thread;

    int fd() const {
      return tcp_acceptor ? tcp_acceptor->native_handle()
                          : unix_acceptor->native_handle();
    }
  };

  struct Connection {
    // Guarded by Impl::mu_; -1 once the socket is about to close, so that
    // Stop() never shuts down a reused descriptor.
    int fd = -1;
    std::atomic<bool> stop{false};
    std::thread thread;
  };

  absl::StatusOr<std::string> ListenUnix(const std::string& path);
  absl::StatusOr<std::string> ListenTcp(const std::string& host, uint16_t port);
  absl::StatusOr<std::string> ListenFd(const std::string& spec);
  absl::StatusOr<std::optional<gid_t>> ResolveSocketGroup(
      const std::string& path);
  absl::Status EnsureTlsContext();
  absl::Status AddListener(std::unique_ptr<Listener> listener);

  void AcceptLoop(Listener* listener);
  template <class Socket>
  void Spawn(Socket socket, bool tls, std::string remote);
  void Run(tcp::socket socket, bool tls, Connection* conn,
           const std::string& remote);
  void Run(UnixProtocol::socket socket, bool tls, Connection* conn,
           const std::string& remote);
  template <class Stream>
  void Serve(Stream& stream, int fd, Connection* conn,
             const std::string& remote);
  template <class Stream>
  // Returns whether the request's body was read to its end, which the
  // connection needs before it can serve another request.
  bool Handle(Stream& stream, beast::flat_buffer& buffer,
              http::request_parser<http::string_body>& parser, Request& req,
              ConnectionWriter<Stream>& writer, Connection* conn);
  bool WaitForGate(const Connection& conn);
  void Release(Connection* conn);
  void Finish(uint64_t id);

  const ServerConfig config_;
  Headers response_headers_;
  // Only gives the sockets an executor; all I/O is synchronous, so it is
  // never run.
  net::io_context io_;
  // Created by the first TLS Listen(), before any connection can use it,
  // and never replaced; connections read it without the lock.
  absl::Mutex tls_mu_;
  std::unique_ptr<ssl::context> tls_ctx_;
  // Becomes readable on Stop() to wake every acceptor's poll().
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  std::set<int> adopted_fds_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::shared_ptr<Connection>> conns_ ABSL_GUARDED_BY(mu_);
  // Threads of closed connections, joined by the next accept or Stop().
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
};

Server::Impl::Impl(ServerConfig config) : config_(std::move(config)) {
  response_headers_ = config_.default_headers;
  if (!config_.cors_header.empty()) {
    response_headers_.emplace_back("Access-Control-Allow-Origin",
                                   config_.cors_header);
    response_headers_.emplace_back(
        "Access-Control-Allow-Headers",
        "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth");
    response_headers_.emplace_back("Access-Control-Allow-Methods",
                                   "HEAD, GET, POST, DELETE, PUT, OPTIONS");
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  PCHECK(wake_fd_ >= 0) << "eventfd";
}

Server::Impl::~Impl() {
  Stop();
  ::close(wake_fd_);
}

absl::StatusOr<std::string> Server::Impl::Listen(absl::string_view host) {
  if (stopping_) {
    return absl::FailedPreconditionError("server is stopped");
  }
  absl::StatusOr<ListenAddress> address = ParseListenAddress(host);
  if (!address.ok()) return address.status();
  try {
    switch (address->kind) {
      case ListenAddress::Kind::kUnix:
        return ListenUnix(address->path);
      case ListenAddress::Kind::kTcp:
        return ListenTcp(address->host, address->port);
      case ListenAddress::Kind::kFd:
        return ListenFd(address->fd);
    }
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("listening on ", host, ": ", e.what()));
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported host ", host));
}

absl::StatusOr<std::optional<gid_t>> Server::Impl::ResolveSocketGroup(
    const std::string& path) {
  const std::string& name = config_.socket_group;
  if (name.empty()) return std::nullopt;
  std::vector<char> buffer(16384);
  group entry;
  group* found = nullptr;
  while (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(),
                      &found) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (found != nullptr) return found->gr_gid;
  // dockerd also takes a numeric gid.
  uint32_t gid = 0;
  if (absl::SimpleAtoi(name, &gid)) return static_cast<gid_t>(gid);
  if (config_.socket_group_explicit) {
    return absl::NotFoundError(absl::StrCat("socket group \"", name, "\" for ",
                                            path, " does not exist"));
  }
  LOG(WARNING) << "could not change group " << path << " to " << name
               << ": group not found";
  return std::nullopt;
}

absl::StatusOr<std::string> Server::Impl::ListenUnix(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix socket path is longer than ",
                     sizeof(sockaddr_un::sun_path) - 1, " bytes: ", path));
  }
  absl::StatusOr<std::optional<gid_t>> gid = ResolveSocketGroup(path);
  if (!gid.ok()) return gid.status();

  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "creating directory ", parent.string(), ": ", ec.message()));
    }
  }
  // A socket left by a previous run that did not stop cleanly would make
  // bind() fail; anything that is not a socket is not ours to delete.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to replace ", path, ": it exists and is not a socket"));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError(errno, absl::StrCat("removing stale socket ", path));
    }
  }

  auto listener = std::make_unique<Listener>();
  listener->unix_acceptor = std::make_unique<UnixProtocol::acceptor>(io_);
  boost::system::error_code ec;
  listener->unix_acceptor->open(UnixProtocol(), ec);
  if (!ec) listener->unix_acceptor->bind(UnixProtocol::endpoint(path), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("binding unix socket ", path, ": ", ec.message()));
  }
  listener->created_path = path;
  auto fail = [&](absl::Status status) {
    ::unlink(path.c_str());
    return status;
  };
  // Ownership and mode are set before listen(): until then connect()
  // is refused, so there is no window with the default permissions.
  if (gid->has_value() && ::chown(path.c_str(), -1, **gid) != 0) {
    return fail(ErrnoError(errno, absl::StrCat("changing group of ", path,
                                               " to ", config_.socket_group)));
  }
  if (::chmod(path.c_str(), 0660) != 0) {
    return fail(ErrnoError(errno, absl::StrCat("chmod 0660 ", path)));
  }
  listener->unix_acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (!ec) listener->unix_acceptor->non_blocking(true, ec);
  if (ec) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("listening on unix socket ", path, ": ", ec.message())));
  }
  listener->address = absl::StrCat("unix://", path);
  std::string address = listener->address;
  if (absl::Status status = AddListener(std::move(listener)); !status.ok()) {
    return fail(status);
  }
  return address;
}

absl::Status Server::Impl::EnsureTlsContext() {
  absl::MutexLock lock(&tls_mu_);
  if (tls_ctx_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<ssl::context>> ctx =
      MakeServerTlsContext(*config_.tls);
  if (!ctx.ok()) return ctx.status();
  tls_ctx_ = *std::move(ctx);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Server::Impl::ListenTcp(const std::string& host,
                                                    uint16_t port) {
  const std::string display = absl::StrCat(
      "tcp://",
      absl::StrContains(host, ":") ? absl::StrCat("[", host, "]") : host, ":",
      port);
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  tcp::resolver::results_type results = resolver.resolve(
      host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", display, ": ",
                     ec ? ec.message() : std::string("no addresses")));
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  const bool tls = config_.tls.has_value();
  if (!tls && !config_.allow_insecure_tcp && !IsLoopback(endpoint.address())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve plain TCP on non-loopback address ", display,
        ": anyone who can reach it would control the host; configure TLS "
        "(--tlsverify) or accept plain TCP explicitly with --tls=false"));
  }
  if (tls) {
    if (absl::Status status = EnsureTlsContext(); !status.ok()) return status;
  }
  auto listener = std::make_unique<Listener>();
  listener->tls = tls;
  listener->tcp_acceptor = std::make_unique<tcp::acceptor>(io_);
  tcp::acceptor& acceptor = *listener->tcp_acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) acceptor.non_blocking(true, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor.local_endpoint(ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("listening on ", display, ": ", ec.message()));
  }
  listener->address = absl::StrCat("tcp://", FormatEndpoint(bound));
  std::string address = listener->address;
  if (absl::Status status = AddListener(std::move(listener)); !status.ok()) {
    return status;
  }
  return address;
}

absl::StatusOr<std::string> Server::Impl::ListenFd(const std::string& spec) {
  absl::StatusOr<ListenFdsEnv> env = ReadListenFdsEnv();
  if (!env.ok()) return env.status();
  absl::StatusOr<std::vector<int>> fds = SelectListenFds(spec, *env, getpid());
  if (!fds.ok()) return fds.status();

  // Check every descriptor before adopting any, so a bad one leaves the
  // others untouched.
  std::vector<int> families;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : *fds) {
      if (adopted_fds_.contains(fd)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "fd://", spec, ": descriptor ", fd, " is already being served"));
      }
    }
  }
  for (int fd : *fds) {
    int type = 0;
    int accepting = 0;
    socklen_t len = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
      return ErrnoError(errno,
                        absl::StrCat("fd://", spec, ": descriptor ", fd));
    }
    len = sizeof(accepting);
    if (type != SOCK_STREAM ||
        ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 ||
        !accepting) {
      return absl::FailedPreconditionError(
          absl::StrCat("fd://", spec, ": descriptor ", fd,
                       " is not a listening stream socket"));
    }
    sockaddr_storage storage;
    len = sizeof(storage);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
      return ErrnoError(errno,
                        absl::StrCat("fd://", spec, ": descriptor ", fd));
    }
    if (storage.ss_family != AF_UNIX && storage.ss_family != AF_INET &&
        storage.ss_family != AF_INET6) {
      return absl::FailedPreconditionError(
          absl::StrCat("fd://", spec, ": descriptor ", fd,
                       " is neither a unix nor a TCP socket"));
    }
    families.push_back(storage.ss_family);
  }
  const bool tls = config_.tls.has_value();
  if (tls) {
    if (absl::Status status = EnsureTlsContext(); !status.ok()) return status;
  }

  std::vector<std::string> addresses;
  for (size_t i = 0; i < fds->size(); ++i) {
    const int fd = (*fds)[i];
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    auto listener = std::make_unique<Listener>();
    boost::system::error_code ec;
    if (families[i] == AF_UNIX) {
      listener->unix_acceptor = std::make_unique<UnixProtocol::acceptor>(io_);
      listener->unix_acceptor->assign(UnixProtocol(), fd, ec);
      if (!ec) listener->unix_acceptor->non_blocking(true, ec);
      UnixProtocol::endpoint local;
      if (!ec) local = listener->unix_acceptor->local_endpoint(ec);
      listener->address = absl::StrCat("unix://", local.path());
    } else {
      listener->tls = tls;
      listener->tcp_acceptor = std::make_unique<tcp::acceptor>(io_);
      listener->tcp_acceptor->assign(
          families[i] == AF_INET ? tcp::v4() : tcp::v6(), fd, ec);
      if (!ec) listener->tcp_acceptor->non_blocking(true, ec);
      tcp::endpoint local;
      if (!ec) local = listener->tcp_acceptor->local_endpoint(ec);
      listener->address = absl::StrCat("tcp://", FormatEndpoint(local));
    }
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "fd://", spec, ": adopting descriptor ", fd, ": ", ec.message()));
    }
    {
      absl::MutexLock lock(&mu_);
      adopted_fds_.insert(fd);
    }
    addresses.push_back(listener->address);
    if (absl::Status status = AddListener(std::move(listener)); !status.ok()) {
      return status;
    }
  }
  return absl::StrJoin(addresses, ",");
}

absl::Status Server::Impl::AddListener(std::unique_ptr<Listener> listener) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::FailedPreconditionError("server is stopped");
  LOG(INFO) << "API listen on " << listener->address
            << (listener->tls ? " (TLS)" : "");
  Listener* raw = listener.get();
  listeners_.push_back(std::move(listener));
  if (started_) raw->thread = std::thread(&Impl::AcceptLoop, this, raw);
  return absl::OkStatus();
}

void Server::Impl::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  for (auto& listener : listeners_) {
    listener->thread = std::thread(&Impl::AcceptLoop, this, listener.get());
  }
}

void Server::Impl::AcceptLoop(Listener* listener) {
  while (!stopping_) {
    pollfd fds[2] = {{listener->fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      PLOG(ERROR) << "poll on " << listener->address;
      return;
    }
    if (stopping_) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    boost::system::error_code ec;
    if (listener->tcp_acceptor) {
      tcp::socket socket(io_);
      listener->tcp_acceptor->accept(socket, ec);
      if (!ec) {
        boost::system::error_code ignored;
        // Streams write small chunks (events); Nagle would hold them back.
        socket.set_option(tcp::no_delay(true), ignored);
        tcp::endpoint peer = socket.remote_endpoint(ignored);
        Spawn(std::move(socket), listener->tls, FormatEndpoint(peer));
        continue;
      }
    } else {
      UnixProtocol::socket socket(io_);
      listener->unix_acceptor->accept(socket, ec);
      if (!ec) {
        Spawn(std::move(socket), false, "@");
        continue;
      }
    }
    if (ec == net::error::would_block || ec == net::error::try_again ||
        ec == net::error::connection_aborted || ec == net::error::interrupted) {
      continue;
    }
    // Out of descriptors and the like: back off rather than spin, but stay
    // wakeable by Stop().
    LOG(ERROR) << "accept on " << listener->address << ": " << ec.message();
    pollfd wake{wake_fd_, POLLIN, 0};
    ::poll(&wake, 1, 100);
  }
}

template <class Socket>
void Server::Impl::Spawn(Socket socket, bool tls, std::string remote) {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&mu_);
    done.swap(finished_);
    if (!stopping_) {
      auto conn = std::make_shared<Connection>();
      conn->fd = socket.native_handle();
      const uint64_t id = next_id_++;
      conns_[id] = conn;
      conn->thread =
          std::thread([this, id, conn, tls, remote = std::move(remote),
                       socket = std::move(socket)]() mutable {
            Run(std::move(socket), tls, conn.get(), remote);
            Finish(id);
          });
    }
  }
  for (std::thread& thread : done) thread.join();
}

void Server::Impl::Run(tcp::socket socket, bool tls, Connection* conn,
                       const std::string& remote) {
  const int fd = socket.native_handle();
  if (!tls) {
    Serve(socket, fd, conn, remote);
    Release(conn);
    return;
  }
  ssl::stream<tcp::socket> stream(std::move(socket), *tls_ctx_);
  boost::system::error_code ec;
  stream.handshake(ssl::stream_base::server, ec);
  if (ec) {
    LOG(WARNING) << "TLS handshake error from " << remote << ": "
                 << ec.message();
  } else {
    Serve(stream, fd, conn, remote);
  }
  Release(conn);
}

void Server::Impl::Run(UnixProtocol::socket socket, bool /*tls*/,
                       Connection* conn, const std::string& remote) {
  Serve(socket, socket.native_handle(), conn, remote);
  Release(conn);
}

void Server::Impl::Release(Connection* conn) {
  absl::MutexLock lock(&mu_);
  if (conn->fd >= 0) {
    // Send FIN after the last response before the socket closes.
    ::shutdown(conn->fd, SHUT_WR);
  }
  conn->fd = -1;
}

void Server::Impl::Finish(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = conns_.find(id);
  // Stop() may have taken the connection (and will join it) already.
  if (it == conns_.end()) return;
  finished_.push_back(std::move(it->second->thread));
  conns_.erase(it);
}

bool Server::Impl::WaitForGate(const Connection& conn) {
  if (config_.gate == nullptr) return true;
  const absl::Time deadline = absl::Now() + config_.gate_timeout;
  while (true) {
    // Short slices let Stop() end a waiting request without Gate having to
    // know about servers.
    const absl::Duration left = deadline - absl::Now();
    if (config_.gate->WaitOpen(std::min(left, absl::Milliseconds(100)))) {
      return true;
    }
    if (conn.stop || absl::Now() >= deadline) return false;
  }
}

template <class Stream>
void Server::Impl::Serve(Stream& stream, int fd, Connection* conn,
                         const std::string& remote) {
  beast::flat_buffer buffer;
  while (!conn->stop) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(config_.header_limit);
    parser.body_limit(config_.body_limit);
    beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (ec) {
      const bool protocol_error =
          ec.category() ==
              http::make_error_code(http::error::end_of_stream).category() &&
          ec != http::error::end_of_stream &&
          ec != http::error::partial_message;
      if (protocol_error) {
        // What Go's net/http answers to a malformed request.
        const std::string reply =
            ec == http::error::body_limit ? TooLargeReply(config_.body_limit)
            : ec == http::error::header_limit
                ? "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Connection: close\r\n\r\n"
                  "431 Request Header Fields Too Large"
                : "HTTP/1.1 400 Bad Request\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Connection: close\r\n\r\n400 Bad Request";
        beast::error_code ignored;
        net::write(stream, net::buffer(reply), ignored);
        VLOG(1) << "malformed request from " << remote << ": " << ec.message();
      }
      return;
    }
    const absl::Time start = absl::Now();
    const http::request<http::string_body>& header = parser.get();
    Request req;
    req.method = std::string(header.method_string());
    req.target = std::string(header.target());
    for (const auto& field : header) {
      req.headers.emplace_back(std::string(field.name_string()),
                               std::string(field.value()));
    }
    req.remote = remote;
    ConnectionWriter<Stream> writer(stream, fd, conn->stop, header.version(),
                                    header.method() == http::verb::head,
                                    header.keep_alive(), response_headers_);
    bool body_done = false;
    try {
      body_done = Handle(stream, buffer, parser, req, writer, conn);
    } catch (const std::exception& e) {
      LOG(ERROR) << "serving " << req.method << " " << req.target << ": "
                 << e.what();
      return;
    }
    VLOG(1) << req.method << " " << req.target << " " << writer.status() << " "
            << absl::FormatDuration(absl::Now() - start) << " " << remote;
    // A body left unread (gate timeout, too large) would be parsed as the
    // next request, so such connections close; so do hijacked ones, whose
    // bytes are no longer HTTP.
    if (writer.failed() || !writer.keep_alive() || !body_done ||
        writer.hijacked()) {
      return;
    }
  }
}

template <class Stream>
bool Server::Impl::Handle(Stream& stream, beast::flat_buffer& buffer,
                          http::request_parser<http::string_body>& parser,
                          Request& req, ConnectionWriter<Stream>& writer,
                          Connection* conn) {
  // Docker's activation lock holds every request, /_ping included, until
  // the daemon is ready, so nothing reads state that is still loading.
  if (!WaitForGate(*conn)) {
    if (!parser.is_done()) writer.DisableKeepAlive();
    writer.SendError(503, kStartingUp);
    return parser.is_done();
  }
  const auto& header = parser.get();
  if (!parser.is_done() && header.version() >= 11 &&
      absl::EqualsIgnoreCase(ToAbsl(header[http::field::expect]),
                             "100-continue")) {
    http::response<http::empty_body> go_on(http::status::continue_,
                                           header.version());
    beast::error_code ec;
    http::write(stream, go_on, ec);
    if (ec) return false;
  }
  // Uploads the route streams reach the handler as they arrive; the rest
  // are read whole first.
  std::optional<http::request_parser<http::buffer_body>> body_parser;
  if (!parser.is_done() && config_.router.StreamsBody(req.method, req.target)) {
    body_parser.emplace(std::move(parser));
    // Beast reads no more than the buffer's free capacity at a time; the
    // headers left it a few hundred bytes, which would mean a syscall per
    // kilobyte of upload.
    buffer.reserve(kUploadReadSize);
    req.read_body = [&stream, &buffer, &body_parser](
                        char* out, size_t n) -> absl::StatusOr<size_t> {
      if (body_parser->is_done() || n == 0) return size_t{0};
      body_parser->get().body().data = out;
      body_parser->get().body().size = n;
      beast::error_code ec;
      http::read(stream, buffer, *body_parser, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat("reading the request body: ", ec.message()));
      }
      return n - body_parser->get().body().size;
    };
  } else if (!parser.is_done()) {
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      writer.DisableKeepAlive();
      writer.SendError(413, BodyTooLarge(config_.body_limit));
      return false;
    }
    if (ec) {
      VLOG(1) << "reading body of " << req.method << " " << req.target << ": "
              << ec.message();
      return false;
    }
  }
  if (!body_parser) req.body = std::move(parser.get().body());
  writer.EnableHijack(&buffer, [&parser, &body_parser] {
    return body_parser ? body_parser->is_done() : parser.is_done();
  });
  if (!config_.cors_header.empty() && req.method == "OPTIONS") {
    writer.Send(200, {}, "");
  } else {
    config_.router.Dispatch(req, writer);
  }
  if (writer.streaming()) writer.EndStream();
  if (!writer.responded()) {
    LOG(ERROR) << "no response from the handler for " << req.method << " "
               << req.target;
    writer.SendError(500, "handler sent no response");
  }
  return body_parser ? body_parser->is_done() : parser.is_done();
}

void Server::Impl::Stop() {
  std::vector<std::unique_ptr<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    listeners.swap(listeners_);
  }
  const uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof(one)) != sizeof(one)) {
    PLOG(ERROR) << "waking acceptors";
  }
  for (auto& listener : listeners) {
    if (listener->thread.joinable()) listener->thread.join();
    boost::system::error_code ignored;
    if (listener->tcp_acceptor) listener->tcp_acceptor->close(ignored);
    if (listener->unix_acceptor) listener->unix_acceptor->close(ignored);
    if (!listener->created_path.empty()) {
      ::unlink(listener->created_path.c_str());
    }
  }
  std::map<uint64_t, std::shared_ptr<Connection>> conns;
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, conn] : conns_) {
      conn->stop = true;
      // Wakes a blocked read and fails further writes; the connection's
      // thread still owns and closes the descriptor.
      if (conn->fd >= 0) ::shutdown(conn->fd, SHUT_RDWR);
    }
    conns.swap(conns_);
    finished.swap(finished_);
  }
  for (auto& [id, conn] : conns) conn->thread.join();
  for (std::thread& thread : finished) thread.join();
  LOG(INFO) << "API server stopped";
}

Server::Server(ServerConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() = default;

absl::StatusOr<std::string> Server::Listen(absl::string_view host) {
  return impl_->Listen(host);
}

void Server::Start() { impl_->Start(); }

void Server::Stop() { impl_->Stop(); }

}  // namespace berth::gateway
