#include "services/daemon/containers/signals.h"

#include <signal.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth {

absl::StatusOr<int> ParseSignal(absl::string_view text) {
  static constexpr std::pair<const char*, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},
      {"ILL", SIGILL},   {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},
      {"IOT", SIGIOT},   {"BUS", SIGBUS},       {"FPE", SIGFPE},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
      {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
      {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},
      {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
      {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
      {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},
      {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS}};
  int number;
  if (absl::SimpleAtoi(text, &number)) {
    if (number >= 1 && number <= 64) return number;
  } else {
    std::string name = absl::AsciiStrToUpper(text);
    absl::string_view bare = name;
    absl::ConsumePrefix(&bare, "SIG");
    for (const auto& [known, signo] : kSignals) {
      if (bare == known) return signo;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("Invalid signal: ", text));
}

}  // namespace berth
