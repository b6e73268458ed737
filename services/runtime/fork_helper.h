#ifndef BERTH_SERVICES_RUNTIME_FORK_HELPER_H_
#define BERTH_SERVICES_RUNTIME_FORK_HELPER_H_

#include <functional>
#include <string>

namespace berth::runtime::testing {

// Runs `body` in a forked child, for tests of calls that change the
// calling process for good (capabilities, seccomp, credentials). The child
// exits with body's return value; this returns that exit code, or 128 +
// the signal that killed it.
int RunInChild(const std::function<int()>& body);

// The hex value of `field` ("CapEff", ...) in /proc/self/status; ~0 if
// missing.
unsigned long long StatusHex(const std::string& field);

}  // namespace berth::runtime::testing

#endif  // BERTH_SERVICES_RUNTIME_FORK_HELPER_H_
