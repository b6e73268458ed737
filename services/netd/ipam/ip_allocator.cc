#include "services/netd/ipam/ip_allocator.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"

namespace berth::netd {
namespace {

// Written beside the allocation files, then linked into place.
constexpr absl::string_view kTempPrefix = ".tmp-";

}  // namespace

absl::StatusOr<std::unique_ptr<IpAllocator>> IpAllocator::Open(
    IpAllocatorOptions options) {
  if (options.subnet.length() > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("subnet ", options.subnet.Network().ToString(),
                     " is too small for containers: use at most a /30"));
  }
  if (options.range.has_value() &&
      !options.subnet.Network().Contains(options.range->Network())) {
    return absl::InvalidArgumentError(
        absl::StrCat("fixed CIDR ", options.range->Network().ToString(),
                     " is not inside the bridge's network ",
                     options.subnet.Network().ToString()));
  }
  if (options.range.has_value() && options.range->length() > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("fixed CIDR ", options.range->Network().ToString(),
                     " is too small: use at most a /30"));
  }
  BERTH_RETURN_IF_ERROR(MakeDirs(options.dir, 0700));
  std::unique_ptr<IpAllocator> allocator(new IpAllocator(std::move(options)));
  BERTH_RETURN_IF_ERROR(allocator->Load());
  return allocator;
}

IpAllocator::IpAllocator(IpAllocatorOptions options)
    : options_(std::move(options)),
      range_(options_.range.value_or(options_.subnet).Network()) {}

absl::Status IpAllocator::Load() {
  DIR* dir = opendir(options_.dir.c_str());
  if (dir == nullptr) {
    return ErrnoStatus(errno, absl::StrCat("open ", options_.dir));
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  absl::MutexLock lock(&mu_);
  last_ = range_.First();
  for (const std::string& name : names) {
    std::string path = absl::StrCat(options_.dir, "/", name);
    if (absl::StartsWith(name, kTempPrefix)) {
      unlink(path.c_str());  // an allocation interrupted before its link
      continue;
    }
    absl::StatusOr<Ipv4> ip = Ipv4::Parse(name);
    absl::StatusOr<std::string> owner = ReadFile(path);
    if (!ip.ok() || !owner.ok() || owner->empty()) {
      LOG(WARNING) << "ipam: ignoring " << path << ": not an allocation";
      continue;
    }
    if (ip_of_.contains(*owner)) {
      // Only a second process on the same directory could do this.
      LOG(WARNING) << "ipam: " << *owner << " holds both "
                   << ip_of_[*owner].ToString() << " and " << name
                   << "; dropping " << name;
      unlink(path.c_str());
      continue;
    }
    owner_of_[*ip] = *owner;
    ip_of_[*owner] = *ip;
    if (range_.Contains(*ip) && last_ < *ip) last_ = *ip;
  }
  return absl::OkStatus();
}

bool IpAllocator::Reserved(Ipv4 ip) const {
  Ipv4Prefix subnet = options_.subnet.Network();
  return ip == subnet.First() || ip == subnet.Last() || ip == options_.gateway;
}

absl::StatusOr<Ipv4> IpAllocator::Allocate(const std::string& owner,
                                           std::optional<Ipv4> requested) {
  if (owner.empty()) {
    return absl::InvalidArgumentError("an IP address needs an owner");
  }
  absl::MutexLock lock(&mu_);
  auto held = ip_of_.find(owner);
  if (held != ip_of_.end()) {
    if (requested.has_value() && *requested != held->second) {
      return absl::FailedPreconditionError(absl::StrCat(
          owner, " already holds ", held->second.ToString(),
          "; release it before asking for ", requested->ToString()));
    }
    return held->second;
  }
  Ipv4 chosen;
  if (requested.has_value()) {
    if (!options_.subnet.Contains(*requested)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "requested IP ", requested->ToString(), " is not in the network ",
          options_.subnet.Network().ToString()));
    }
    if (Reserved(*requested)) {
      return absl::InvalidArgumentError(
          absl::StrCat("requested IP ", requested->ToString(),
                       " is reserved (network, broadcast or gateway)"));
    }
    auto taken = owner_of_.find(*requested);
    if (taken != owner_of_.end()) {
      return absl::AlreadyExistsError(absl::StrCat("IP ", requested->ToString(),
                                                   " is already in use by ",
                                                   taken->second));
    }
    chosen = *requested;
  } else {
    // The range's own first and last addresses are skipped too.
    const uint32_t begin = range_.First().value() + 1;
    const uint32_t end = range_.Last().value() - 1;  // inclusive
    const uint64_t count = uint64_t{end} - begin + 1;
    uint32_t next = last_.value() + 1;
    bool found = false;
    for (uint64_t i = 0; i < count; ++i, ++next) {
      if (next < begin || next > end) next = begin;
      Ipv4 candidate(next);
      if (Reserved(candidate) || owner_of_.contains(candidate)) continue;
      chosen = candidate;
      found = true;
      break;
    }
    if (!found) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no available IPv4 addresses in ", range_.ToString(),
                       ": every address is allocated"));
    }
  }
  BERTH_RETURN_IF_ERROR(Persist(chosen, owner));
  owner_of_[chosen] = owner;
  ip_of_[owner] = chosen;
  if (range_.Contains(chosen)) last_ = chosen;
  return chosen;
}

absl::Status IpAllocator::Persist(Ipv4 ip, const std::string& owner) {
  const std::string path = absl::StrCat(options_.dir, "/", ip.ToString());
  const std::string temp =
      absl::StrCat(options_.dir, "/", kTempPrefix, ip.ToString());
  UniqueFd fd(
      open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("create ", temp));
  if (write(fd.get(), owner.data(), owner.size()) !=
      static_cast<ssize_t>(owner.size())) {
    absl::Status status = ErrnoStatus(errno, absl::StrCat("write ", temp));
    unlink(temp.c_str());
    return status;
  }
  fd.reset();
  // link(2) fails rather than replace: the address is taken exactly once.
  int linked = link(temp.c_str(), path.c_str());
  int err = errno;
  unlink(temp.c_str());
  if (linked != 0) {
    if (err == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(
          "IP ", ip.ToString(), " is already allocated in ", options_.dir,
          " (is another berth-netd using this data root?)"));
    }
    return ErrnoStatus(err, absl::StrCat("link ", path));
  }
  return absl::OkStatus();
}

absl::Status IpAllocator::Release(const std::string& owner) {
  absl::MutexLock lock(&mu_);
  auto held = ip_of_.find(owner);
  if (held == ip_of_.end()) return absl::OkStatus();
  const std::string path =
      absl::StrCat(options_.dir, "/", held->second.ToString());
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove ", path));
  }
  owner_of_.erase(held->second);
  ip_of_.erase(held);
  return absl::OkStatus();
}

std::optional<Ipv4> IpAllocator::Lookup(const std::string& owner) const {
  absl::MutexLock lock(&mu_);
  auto held = ip_of_.find(owner);
  if (held == ip_of_.end()) return std::nullopt;
  return held->second;
}

std::vector<std::pair<Ipv4, std::string>> IpAllocator::Allocations() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<Ipv4, std::string>> all(owner_of_.begin(),
                                                owner_of_.end());
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace berth::netd
