#ifndef BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_
#define BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_

// What berth-daemon and the gateway say to a container's berth-shim, and
// the files the shim leaves in the container's bundle directory. Text
// lines, so a person can drive a shim with socat when debugging.
//
// The shim is started as `berth-shim BUNDLE` with fd 3 a pipe to its
// starter, on which it writes
//   "listening\n"        once its socket accepts (attaches may connect),
//   "ok PID\n"           once the container's process runs, or
//   "err CODE MESSAGE\n" if it could not start it (CODE: an absl code name),
// and then closes it.
//
// On BUNDLE/shim.sock a client sends one request line:
//   "attach I O E\n"  (each 0 or 1: stdin, stdout, stderr) and then the
//                     raw stream: what it sends goes to the container's
//                     stdin (its EOF closes stdin when the container has
//                     StdinOnce); what it receives is the output, as
//                     Docker's 8-byte multiplexed frames without a tty,
//                     raw with one. The shim closes it after the exit.
//   "wait\n"          answered "exit CODE OOM\n" when the container exits
//                     (at once if it has).
//   "kill SIGNO\n", "resize HEIGHT WIDTH\n", "pause\n", "resume\n"
//                     answered "ok\n" or "err MESSAGE\n".

#include <string>

namespace berth::shim {

inline constexpr char kConfigFile[] = "shim.json";
inline constexpr char kSocketFile[] = "shim.sock";
// "CODE OOM FINISHED_AT\n", written atomically when the container has
// exited and its output is all logged. Its presence means the shim is done.
inline constexpr char kExitFile[] = "exit";
inline constexpr char kPidFile[] = "init.pid";
// The shim's own pid, for whoever must stop it by PID (tests).
inline constexpr char kShimPidFile[] = "shim.pid";
inline constexpr int kReadyFd = 3;

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_
