#include "lib/job/handler_registry.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace berth {

absl::StatusOr<uint64_t> HandlerRegistry::RegisterService(
    const std::string& service, std::vector<HandlerSpec> specs) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::string> seen;
  for (const HandlerSpec& spec : specs) {
    if (spec.name.empty()) {
      return absl::InvalidArgumentError("a job name must not be empty");
    }
    if (!seen.insert(spec.name).second) {
      return absl::AlreadyExistsError(absl::StrCat(
          "job ", spec.name, " is declared twice by service ", service));
    }
    auto it = entries_.find(spec.name);
    if (it != entries_.end() && it->second.service != service) {
      return absl::AlreadyExistsError(
          absl::StrCat("job ", spec.name, " is already registered by service ",
                       it->second.service));
    }
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto current = it++;
    if (current->second.service == service) entries_.erase(current);
  }
  uint64_t token = next_token_++;
  for (HandlerSpec& spec : specs) {
    std::string name = spec.name;
    entries_[name] = Entry{service, token, std::move(spec)};
  }
  return token;
}

absl::Status HandlerRegistry::Register(const std::string& service,
                                       HandlerSpec spec) {
  absl::MutexLock lock(&mu_);
  if (spec.name.empty()) {
    return absl::InvalidArgumentError("a job name must not be empty");
  }
  auto it = entries_.find(spec.name);
  if (it != entries_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("job ", spec.name, " is already registered by service ",
                     it->second.service));
  }
  std::string name = spec.name;
  entries_[name] = Entry{service, next_token_++, std::move(spec)};
  return absl::OkStatus();
}

void HandlerRegistry::Unregister(const std::string& service, uint64_t token) {
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto current = it++;
    if (current->second.service == service && current->second.token == token) {
      entries_.erase(current);
    }
  }
}

absl::StatusOr<Handler> HandlerRegistry::Lookup(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("no such job: ", name));
  }
  for (const std::string& dep : it->second.spec.depends_on) {
    if (!entries_.contains(dep)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "job ", name, " needs job ", dep, ", which no service provides"));
    }
  }
  return it->second.spec.handler;
}

std::vector<CommandInfo> HandlerRegistry::Commands() const {
  absl::MutexLock lock(&mu_);
  std::vector<CommandInfo> out;
  out.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    out.push_back({name, entry.service, entry.spec.depends_on});
  }
  std::sort(out.begin(), out.end(),
            [](const CommandInfo& a, const CommandInfo& b) {
              return a.name < b.name;
            });
  return out;
}

}  // namespace berth
