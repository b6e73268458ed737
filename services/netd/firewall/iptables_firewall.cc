#include "services/netd/firewall/iptables_firewall.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"

namespace berth::netd {
namespace {

std::string Host(Ipv4 ip) { return absl::StrCat(ip.ToString(), "/32"); }

// Groups rule lines by table into one iptables-restore input; `chains`
// (table, chain) are declared, which creates or empties them.
std::string RestoreInput(
    const std::vector<std::pair<std::string, std::string>>& chains,
    const std::vector<std::pair<IptablesRule, std::string>>& lines) {
  std::string input;
  for (const char* table : {"nat", "filter"}) {
    std::string body;
    for (const auto& [chain_table, chain] : chains) {
      if (chain_table == table)
        absl::StrAppend(&body, ":", chain, " - [0:0]\n");
    }
    for (const auto& [rule, op] : lines) {
      if (rule.table == table) absl::StrAppend(&body, rule.Line(op), "\n");
    }
    if (!body.empty())
      absl::StrAppend(&input, "*", table, "\n", body, "COMMIT\n");
  }
  return input;
}

}  // namespace

IptablesChains IptablesChains::WithSuffix(const std::string& suffix) {
  IptablesChains chains;
  for (std::string* chain :
       {&chains.nat, &chains.filter, &chains.forward, &chains.postrouting}) {
    absl::StrAppend(chain, "-", suffix);
  }
  return chains;
}

std::string IptablesRule::Line(const std::string& op) const {
  return absl::StrCat(op, " ", chain, " ", absl::StrJoin(spec, " "));
}

std::vector<IptablesRule> IptablesFirewall::JumpRules() const {
  return {
      {"nat",
       "PREROUTING",
       {"-m", "addrtype", "--dst-type", "LOCAL", "-j", chains_.nat}},
      {"nat",
       "OUTPUT",
       {"!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
        chains_.nat}},
      {"nat", "POSTROUTING", {"-j", chains_.postrouting}},
      {"filter", "FORWARD", {"-j", chains_.forward}},
  };
}

std::vector<IptablesRule> IptablesFirewall::PolicyRules(
    const BridgePolicy& policy) const {
  const std::string& br = policy.bridge;
  const std::string& forward = chains_.forward;
  std::vector<IptablesRule> rules;
  if (policy.internal) {
    rules.push_back({"filter", forward, {"-i", br, "-o", br, "-j", "ACCEPT"}});
    rules.push_back({"filter", forward, {"-i", br, "-j", "DROP"}});
    rules.push_back({"filter", forward, {"-o", br, "-j", "DROP"}});
    return rules;
  }
  if (policy.masquerade) {
    rules.push_back({"nat",
                     chains_.postrouting,
                     {"-s", policy.subnet.Network().ToString(), "!", "-o", br,
                      "-j", "MASQUERADE"}});
  }
  rules.push_back({"filter",
                   forward,
                   {"-o", br, "-m", "conntrack", "--ctstate",
                    "RELATED,ESTABLISHED", "-j", "ACCEPT"}});
  rules.push_back({"filter", forward, {"-o", br, "-j", chains_.filter}});
  rules.push_back({"filter",
                   forward,
                   {"-i", br, "-o", br, "-j", policy.icc ? "ACCEPT" : "DROP"}});
  for (const std::string& other : policy.isolated_from) {
    rules.push_back({"filter", forward, {"-i", br, "-o", other, "-j", "DROP"}});
  }
  rules.push_back(
      {"filter", forward, {"-i", br, "!", "-o", br, "-j", "ACCEPT"}});
  return rules;
}

std::vector<IptablesRule> IptablesFirewall::PortRules(
    const std::string& bridge, const PortMapping& mapping) const {
  const std::string proto(ProtocolName(mapping.protocol));
  std::vector<std::string> dnat;
  if (!mapping.host_ip.IsUnspecified()) {
    dnat = {"-d", Host(mapping.host_ip)};
  }
  for (std::string arg :
       {std::string("!"), std::string("-i"), bridge, std::string("-p"), proto,
        std::string("-m"), proto, std::string("--dport"),
        absl::StrCat(mapping.host_port), std::string("-j"), std::string("DNAT"),
        std::string("--to-destination"),
        absl::StrCat(mapping.container_ip.ToString(), ":",
                     mapping.container_port)}) {
    dnat.push_back(std::move(arg));
  }
  return {
      {"nat", chains_.nat, std::move(dnat)},
      {"filter",
       chains_.filter,
       {"-d", Host(mapping.container_ip), "!", "-i", bridge, "-o", bridge, "-p",
        proto, "-m", proto, "--dport", absl::StrCat(mapping.container_port),
        "-j", "ACCEPT"}},
  };
}

std::vector<IptablesRule> IptablesFirewall::LinkRules(
    const std::string& bridge, const LinkRule& link) const {
  const std::string proto(ProtocolName(link.protocol));
  const std::string port = absl::StrCat(link.port);
  return {
      {"filter",
       chains_.filter,
       {"-s", Host(link.parent), "-d", Host(link.child), "-i", bridge, "-o",
        bridge, "-p", proto, "-m", proto, "--dport", port, "-j", "ACCEPT"}},
      {"filter",
       chains_.filter,
       {"-s", Host(link.child), "-d", Host(link.parent), "-i", bridge, "-o",
        bridge, "-p", proto, "-m", proto, "--sport", port, "-j", "ACCEPT"}},
  };
}

std::vector<std::pair<std::string, std::string>> IptablesFirewall::Chains()
    const {
  return {{"nat", chains_.nat},
          {"nat", chains_.postrouting},
          {"filter", chains_.filter},
          {"filter", chains_.forward}};
}

std::string IptablesFirewall::InitInput(
    const BridgePolicy& policy, const std::vector<PortMapping>& ports,
    const std::vector<LinkRule>& links) const {
  std::vector<std::pair<IptablesRule, std::string>> lines;
  for (IptablesRule& rule : PolicyRules(policy)) {
    lines.emplace_back(std::move(rule), "-A");
  }
  // Links are inserted at the top as they come, so the newest is first.
  for (auto link = links.rbegin(); link != links.rend(); ++link) {
    for (IptablesRule& rule : LinkRules(policy.bridge, *link)) {
      lines.emplace_back(std::move(rule), "-A");
    }
  }
  // DNAT rules go to nat BERTH, accepts after the links in filter BERTH.
  for (const PortMapping& mapping : ports) {
    for (IptablesRule& rule : PortRules(policy.bridge, mapping)) {
      lines.emplace_back(std::move(rule), "-A");
    }
  }
  return RestoreInput(Chains(), lines);
}

absl::Status IptablesFirewall::EnsureJump(const IptablesRule& jump,
                                          bool first) {
  std::vector<std::string> check = {"-t", jump.table, "-C", jump.chain};
  check.insert(check.end(), jump.spec.begin(), jump.spec.end());
  BERTH_ASSIGN_OR_RETURN(CommandResult checked, runner_->Iptables(check));
  if (checked.exit_code == 0) return absl::OkStatus();
  // 1: no such rule. Anything else is trouble (2: bad arguments, 4:
  // resource problem, ...).
  if (checked.exit_code != 1) {
    return absl::InternalError(absl::StrCat(
        "iptables -t ", jump.table, " -C ", jump.chain, " failed (exit status ",
        checked.exit_code, "): ", absl::StripAsciiWhitespace(checked.err)));
  }
  std::vector<std::string> add = {"-t", jump.table};
  if (first) {
    add.insert(add.end(), {"-I", jump.chain, "1"});
  } else {
    add.insert(add.end(), {"-A", jump.chain});
  }
  add.insert(add.end(), jump.spec.begin(), jump.spec.end());
  BERTH_ASSIGN_OR_RETURN(CommandResult added, runner_->Iptables(add));
  if (added.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "iptables -t ", jump.table, " ", first ? "-I " : "-A ", jump.chain, " ",
        absl::StrJoin(jump.spec, " "), " failed (exit status ", added.exit_code,
        "): ", absl::StripAsciiWhitespace(added.err)));
  }
  return absl::OkStatus();
}

absl::Status IptablesFirewall::Init(const BridgePolicy& policy,
                                    const std::vector<PortMapping>& ports,
                                    const std::vector<LinkRule>& links) {
  absl::MutexLock lock(&mu_);
  // The chains first: the jumps need them to exist.
  BERTH_RETURN_IF_ERROR(runner_->Restore(InitInput(policy, ports, links)));
  for (const IptablesRule& jump : JumpRules()) {
    // Docker's DOCKER-USER-like precedence: berth's forward rules first.
    BERTH_RETURN_IF_ERROR(EnsureJump(jump, jump.chain == "FORWARD"));
  }
  policy_ = policy;
  ports_ = ports;
  links_ = links;
  return absl::OkStatus();
}

absl::Status IptablesFirewall::Remove() {
  absl::MutexLock lock(&mu_);
  auto run = [this](std::vector<std::string> args,
                    bool missing_ok) -> absl::StatusOr<int> {
    BERTH_ASSIGN_OR_RETURN(CommandResult done, runner_->Iptables(args));
    if (done.exit_code == 0 || (missing_ok && done.exit_code == 1)) {
      return done.exit_code;
    }
    return absl::InternalError(absl::StrCat(
        "iptables ", absl::StrJoin(args, " "), " failed (exit status ",
        done.exit_code, "): ", absl::StripAsciiWhitespace(done.err)));
  };
  for (const IptablesRule& jump : JumpRules()) {
    std::vector<std::string> check = {"-t", jump.table, "-C", jump.chain};
    check.insert(check.end(), jump.spec.begin(), jump.spec.end());
    BERTH_ASSIGN_OR_RETURN(CommandResult found, runner_->Iptables(check));
    // Not there (a half-made or half-removed network; 2 when its chain is
    // gone too): nothing to delete.
    if (found.exit_code != 0) continue;
    std::vector<std::string> del = {"-t", jump.table, "-D", jump.chain};
    del.insert(del.end(), jump.spec.begin(), jump.spec.end());
    BERTH_RETURN_IF_ERROR(run(del, false).status());
  }
  // Every chain emptied before any is deleted: they refer to each other.
  // 1: the chain is not there.
  for (const char* op : {"-F", "-X"}) {
    for (const auto& [table, chain] : Chains()) {
      BERTH_RETURN_IF_ERROR(run({"-t", table, op, chain}, true).status());
    }
  }
  policy_.reset();
  ports_.clear();
  links_.clear();
  return absl::OkStatus();
}

absl::Status IptablesFirewall::NeedPolicy() const {
  if (policy_.has_value()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the firewall is not initialized: run init_networkdriver first");
}

absl::Status IptablesFirewall::AddPortMapping(const PortMapping& mapping) {
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedPolicy());
  if (std::find(ports_.begin(), ports_.end(), mapping) != ports_.end()) {
    return absl::OkStatus();
  }
  std::vector<std::pair<IptablesRule, std::string>> lines;
  for (IptablesRule& rule : PortRules(policy_->bridge, mapping)) {
    lines.emplace_back(std::move(rule), "-A");
  }
  BERTH_RETURN_IF_ERROR(runner_->Restore(RestoreInput({}, lines)));
  ports_.push_back(mapping);
  return absl::OkStatus();
}

absl::Status IptablesFirewall::RemovePortMapping(const PortMapping& mapping) {
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedPolicy());
  auto it = std::find(ports_.begin(), ports_.end(), mapping);
  if (it == ports_.end()) return absl::OkStatus();
  std::vector<std::pair<IptablesRule, std::string>> lines;
  for (IptablesRule& rule : PortRules(policy_->bridge, mapping)) {
    lines.emplace_back(std::move(rule), "-D");
  }
  BERTH_RETURN_IF_ERROR(runner_->Restore(RestoreInput({}, lines)));
  ports_.erase(it);
  return absl::OkStatus();
}

absl::Status IptablesFirewall::AddLink(const LinkRule& link) {
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedPolicy());
  if (std::find(links_.begin(), links_.end(), link) != links_.end()) {
    return absl::OkStatus();
  }
  std::vector<IptablesRule> rules = LinkRules(policy_->bridge, link);
  // Inserted reply first, so that the pair reads forward, reply.
  std::vector<std::pair<IptablesRule, std::string>> lines = {{rules[1], "-I"},
                                                             {rules[0], "-I"}};
  for (auto& [rule, op] : lines) {
    rule.spec.insert(rule.spec.begin(), "1");
  }
  BERTH_RETURN_IF_ERROR(runner_->Restore(RestoreInput({}, lines)));
  links_.push_back(link);
  return absl::OkStatus();
}

absl::Status IptablesFirewall::RemoveLink(const LinkRule& link) {
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedPolicy());
  auto it = std::find(links_.begin(), links_.end(), link);
  if (it == links_.end()) return absl::OkStatus();
  std::vector<std::pair<IptablesRule, std::string>> lines;
  for (IptablesRule& rule : LinkRules(policy_->bridge, link)) {
    lines.emplace_back(std::move(rule), "-D");
  }
  BERTH_RETURN_IF_ERROR(runner_->Restore(RestoreInput({}, lines)));
  links_.erase(it);
  return absl::OkStatus();
}

}  // namespace berth::netd
