#include "services/netd/ipam/ipv4.h"

#include <arpa/inet.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::netd {

absl::StatusOr<Ipv4> Ipv4::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IPv4 address: \"", text, "\""));
  };
  if (parts.size() != 4) return invalid();
  uint32_t value = 0;
  for (absl::string_view part : parts) {
    // No signs, no blanks, no leading zeros (inet_aton would read octal).
    if (part.empty() || part.size() > 3 ||
        (part.size() > 1 && part[0] == '0')) {
      return invalid();
    }
    uint32_t octet = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return invalid();
      octet = octet * 10 + (c - '0');
    }
    if (octet > 255) return invalid();
    value = (value << 8) | octet;
  }
  return Ipv4(value);
}

Ipv4 Ipv4::FromNetworkOrder(uint32_t be) { return Ipv4(ntohl(be)); }

uint32_t Ipv4::ToNetworkOrder() const { return htonl(value_); }

std::string Ipv4::ToString() const {
  return absl::StrCat(value_ >> 24, ".", (value_ >> 16) & 0xff, ".",
                      (value_ >> 8) & 0xff, ".", value_ & 0xff);
}

Ipv4Prefix::Ipv4Prefix(Ipv4 address, int length)
    : address_(address),
      length_(length < 0    ? 0
              : length > 32 ? 32
                            : length) {}

absl::StatusOr<Ipv4Prefix> Ipv4Prefix::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  int length = 0;
  if (parts.size() != 2 || parts[1].empty() || parts[1].size() > 2 ||
      !absl::SimpleAtoi(parts[1], &length) || length < 0 || length > 32 ||
      parts[1][0] == '+' || parts[1][0] == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IPv4 CIDR: \"", text, "\""));
  }
  absl::StatusOr<Ipv4> address = Ipv4::Parse(parts[0]);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IPv4 CIDR: \"", text, "\""));
  }
  return Ipv4Prefix(*address, length);
}

uint32_t Ipv4Prefix::mask() const {
  return length_ == 0 ? 0 : ~uint32_t{0} << (32 - length_);
}

Ipv4Prefix Ipv4Prefix::Network() const { return Ipv4Prefix(First(), length_); }

Ipv4 Ipv4Prefix::First() const { return Ipv4(address_.value() & mask()); }

Ipv4 Ipv4Prefix::Last() const { return Ipv4(address_.value() | ~mask()); }

bool Ipv4Prefix::Contains(Ipv4 ip) const {
  return (ip.value() & mask()) == First().value();
}

bool Ipv4Prefix::Contains(const Ipv4Prefix& other) const {
  return other.length_ >= length_ && Contains(other.address_);
}

bool Ipv4Prefix::Overlaps(const Ipv4Prefix& other) const {
  return Contains(other.First()) || other.Contains(First());
}

std::string Ipv4Prefix::ToString() const {
  return absl::StrCat(address_.ToString(), "/", length_);
}

}  // namespace berth::netd
