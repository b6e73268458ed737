#include "services/daemon/containers/resolv_conf.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace berth {
namespace {

bool IsLoopback(absl::string_view address) {
  return absl::StartsWith(address, "127.") || address == "::1";
}

}  // namespace

std::string ContainerResolvConf(absl::string_view host_resolv_conf,
                                const DnsSettings& dns) {
  std::vector<std::string> nameservers;
  std::string search_line, options_line, out;
  for (absl::string_view line : absl::StrSplit(host_resolv_conf, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "nameserver") {
      if (words.size() > 1 && !IsLoopback(words[1])) {
        nameservers.emplace_back(words[1]);
      }
    } else if (words[0] == "search" || words[0] == "domain") {
      // The last one wins, as in the resolver.
      search_line = absl::StrCat(
          "search ", absl::StrJoin(words.begin() + 1, words.end(), " "), "\n");
    } else if (words[0] == "options") {
      options_line = absl::StrCat(line, "\n");
    } else if (words[0][0] != '#' && words[0][0] != ';') {
      absl::StrAppend(&out, line, "\n");
    }
  }
  if (!dns.nameservers.empty()) {
    nameservers = dns.nameservers;
  } else if (nameservers.empty()) {
    nameservers = {"8.8.8.8", "8.8.4.4"};
  }
  for (const std::string& nameserver : nameservers) {
    absl::StrAppend(&out, "nameserver ", nameserver, "\n");
  }
  if (!dns.search.empty()) {
    // "--dns-search ." means no search domains at all.
    search_line =
        dns.search.size() == 1 && dns.search[0] == "."
            ? ""
            : absl::StrCat("search ", absl::StrJoin(dns.search, " "), "\n");
  }
  if (!dns.options.empty()) {
    options_line =
        absl::StrCat("options ", absl::StrJoin(dns.options, " "), "\n");
  }
  absl::StrAppend(&out, search_line, options_line);
  return out;
}

}  // namespace berth
