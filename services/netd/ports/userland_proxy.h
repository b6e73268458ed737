#ifndef BERTH_SERVICES_NETD_PORTS_USERLAND_PROXY_H_
#define BERTH_SERVICES_NETD_PORTS_USERLAND_PROXY_H_

#include <deque>
#include <map>
#include <memory>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"
#include "services/netd/ports/port_proxy.h"

namespace berth::netd {

// docker-proxy's job inside berth-netd: one epoll thread relays every
// published port. TCP connections are spliced through two 64 KiB buffers
// with half-closes passed on; UDP gets one connected socket towards the
// container per client address, closed after `udp_timeout` idle (Docker's
// 90 s). The listening sockets are bound by the caller of Start, so bind
// errors come back to it. Since it lives in berth-netd, a restart of
// berth-netd drops open connections; the ports are bound again at init.
class UserlandProxy final : public PortProxy {
 public:
  explicit UserlandProxy(absl::Duration udp_timeout = absl::Seconds(90));
  ~UserlandProxy() override;
  UserlandProxy(const UserlandProxy&) = delete;
  UserlandProxy& operator=(const UserlandProxy&) = delete;

  absl::Status Start(const PortMapping& mapping) override;
  void Stop(const PortMapping& mapping) override;

 private:
  struct Listener;
  struct TcpConn;
  struct UdpFlow;
  using Key = std::tuple<Protocol, Ipv4, int>;
  struct Command {
    enum Kind { kAdd, kRemove, kQuit } kind;
    Key key;
    std::unique_ptr<Listener> listener;  // kAdd
    absl::Notification* done = nullptr;  // kRemove, kQuit
  };

  void Post(Command command);
  void Run();
  bool RunCommands();  // false on kQuit
  void CloseListener(Listener* listener);
  void Accept(Listener* listener);
  void OnTcpEvent(TcpConn* conn, bool backend_side, uint32_t events);
  void Pump(TcpConn* conn);
  void UpdateInterest(TcpConn* conn);
  void CloseConn(TcpConn* conn);
  void UdpFromClients(Listener* listener);
  void UdpFromContainer(UdpFlow* flow);
  void CloseFlow(UdpFlow* flow);
  void SweepUdp();

  const absl::Duration udp_timeout_;
  UniqueFd epoll_;
  UniqueFd wake_;

  absl::Mutex mu_;
  std::deque<Command> commands_ ABSL_GUARDED_BY(mu_);

  // Owned by the loop thread.
  std::map<Key, std::unique_ptr<Listener>> listeners_;
  int udp_flows_ = 0;
  // Closed during one batch of events, freed after it: a later event of
  // the same batch may still point at them.
  std::vector<std::unique_ptr<Listener>> dead_listeners_;
  std::vector<std::unique_ptr<TcpConn>> dead_conns_;
  std::vector<std::unique_ptr<UdpFlow>> dead_flows_;
  std::vector<char> datagram_;

  std::thread thread_;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_PORTS_USERLAND_PROXY_H_
