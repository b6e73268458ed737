#ifndef BERTH_SERVICES_NETD_IPAM_IPV4_H_
#define BERTH_SERVICES_NETD_IPAM_IPV4_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::netd {

// An IPv4 address, held in host byte order so that it counts like a number.
class Ipv4 {
 public:
  constexpr Ipv4() = default;
  constexpr explicit Ipv4(uint32_t value) : value_(value) {}

  // Dotted quad only ("172.17.0.1"); InvalidArgument otherwise.
  static absl::StatusOr<Ipv4> Parse(absl::string_view text);
  // From/to network byte order (struct in_addr's s_addr).
  static Ipv4 FromNetworkOrder(uint32_t be);
  uint32_t ToNetworkOrder() const;

  uint32_t value() const { return value_; }
  bool IsUnspecified() const { return value_ == 0; }
  std::string ToString() const;

  friend bool operator==(Ipv4 a, Ipv4 b) { return a.value_ == b.value_; }
  friend bool operator!=(Ipv4 a, Ipv4 b) { return a.value_ != b.value_; }
  friend bool operator<(Ipv4 a, Ipv4 b) { return a.value_ < b.value_; }
  template <typename H>
  friend H AbslHashValue(H h, Ipv4 ip) {
    return H::combine(std::move(h), ip.value_);
  }

 private:
  uint32_t value_ = 0;
};

// An address with a prefix length: "172.17.0.1/16" is the bridge's address
// in the network 172.17.0.0/16. The address keeps its host bits.
class Ipv4Prefix {
 public:
  Ipv4Prefix() = default;
  // `length` in [0, 32].
  Ipv4Prefix(Ipv4 address, int length);

  // "a.b.c.d/n"; InvalidArgument otherwise.
  static absl::StatusOr<Ipv4Prefix> Parse(absl::string_view text);

  Ipv4 address() const { return address_; }
  int length() const { return length_; }
  uint32_t mask() const;
  // The same prefix with the host bits cleared: 172.17.0.0/16.
  Ipv4Prefix Network() const;
  Ipv4 First() const;  // the network address
  Ipv4 Last() const;   // the broadcast address
  // 2^(32 - length).
  uint64_t Size() const { return uint64_t{1} << (32 - length_); }

  bool Contains(Ipv4 ip) const;
  // `other` lies wholly inside this prefix.
  bool Contains(const Ipv4Prefix& other) const;
  bool Overlaps(const Ipv4Prefix& other) const;

  // "172.17.0.1/16".
  std::string ToString() const;

  friend bool operator==(const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return a.address_ == b.address_ && a.length_ == b.length_;
  }
  friend bool operator!=(const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return !(a == b);
  }

 private:
  Ipv4 address_;
  int length_ = 32;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_IPAM_IPV4_H_
