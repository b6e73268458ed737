#include "services/runtime/namespaces.h"

#include <sched.h>

#include "absl/strings/str_cat.h"

namespace berth::runtime {
namespace {

struct NamespaceName {
  int flag;
  absl::string_view oci_type;
  absl::string_view proc_name;
};

constexpr NamespaceName kNamespaces[] = {
    {CLONE_NEWPID, "pid", "pid"},    {CLONE_NEWNET, "network", "net"},
    {CLONE_NEWNS, "mount", "mnt"},   {CLONE_NEWIPC, "ipc", "ipc"},
    {CLONE_NEWUTS, "uts", "uts"},    {CLONE_NEWCGROUP, "cgroup", "cgroup"},
    {CLONE_NEWUSER, "user", "user"},
};

}  // namespace

const std::vector<int>& KnownNamespaceFlags() {
  static const auto* const kFlags = [] {
    auto* flags = new std::vector<int>;
    for (const NamespaceName& ns : kNamespaces) flags->push_back(ns.flag);
    return flags;
  }();
  return *kFlags;
}

absl::StatusOr<int> NamespaceFlagFromOciType(absl::string_view type) {
  for (const NamespaceName& ns : kNamespaces) {
    if (ns.oci_type == type) return ns.flag;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown namespace type \"", type,
                   "\" (want pid, network, mount, ipc, uts, cgroup or user)"));
}

absl::string_view OciNamespaceType(int clone_flag) {
  for (const NamespaceName& ns : kNamespaces) {
    if (ns.flag == clone_flag) return ns.oci_type;
  }
  return "";
}

absl::string_view NamespaceProcName(int clone_flag) {
  for (const NamespaceName& ns : kNamespaces) {
    if (ns.flag == clone_flag) return ns.proc_name;
  }
  return "";
}

}  // namespace berth::runtime
