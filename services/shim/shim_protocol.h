#ifndef BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_
#define BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_

// What berth-daemon and the gateway say to a container's berth-shim, and
// the files the shim leaves in the container's bundle directory. Text
// lines, so a person can drive a shim with socat when debugging.
//
// The shim is started as `berth-shim [--detach] BUNDLE` (--detach: it
// forks and its starter's child exits, as berth-daemon wants) with fd 3 a
// pipe to its starter, on which it writes
//   "listening\n"        once its socket accepts (attaches may connect),
//   "ok PID\n"           once the container's process runs, or
//   "err CODE MESSAGE\n" if it could not start it (CODE: an absl code name;
//                        NOT_FOUND: no such executable, which Docker
//                        records as 127; PERMISSION_DENIED: not
//                        executable, 126), whichever the runtime,
// and then closes it.
//
// shim.json's "runtime" picks what runs the container: "native" (berth's
// runtime, in the shim) or "oci" (runc at "runc_path", state under
// "runc_root", by default BUNDLE/../../runc; the shim runs `runc delete
// --force` before it writes BUNDLE/exit, so no runc state is left). The
// protocol and the files are the same with both.
//
// On BUNDLE/shim.sock a client sends one request line:
//   "attach I O E\n"  (each 0 or 1: stdin, stdout, stderr) and then the
//                     raw stream: what it sends goes to the container's
//                     stdin (its EOF closes stdin when the container has
//                     StdinOnce); what it receives is the output, as
//                     Docker's 8-byte multiplexed frames without a tty,
//                     raw with one. The shim closes it after the exit.
//   "exec EXECID I O E\n"
//                     (each 0 or 1) runs BUNDLE/exec/EXECID.json in the
//                     running container: an OCI process object exactly as
//                     config.json's "process" (args, env, cwd, user,
//                     terminal, capabilities, noNewPrivileges, rlimits,
//                     ...), the file `runc exec --process` takes; the
//                     container's seccomp profile applies to it too. The
//                     connection then carries the exec's stream as an
//                     attach does: what the client sends goes to the
//                     process's stdin if I is 1 (the client's EOF closes
//                     it; a pty, with "terminal": true, stays open), the
//                     output comes as 8-byte frames (stdout if O is 1,
//                     stderr if E is 1), raw with a terminal. Streams not
//                     attached are /dev/null (with a terminal, output not
//                     attached is read and dropped). Exec output is not
//                     logged. Once the process has exited and all its
//                     output is sent, the shim writes BUNDLE/exec/
//                     EXECID.exit and only then closes the connection.
//                     If the process cannot start, the client receives one
//                     line, Docker's "OCI runtime exec failed: exec failed:
//                     unable to start container process: MESSAGE:
//                     unknown\r\n" (a stderr frame, raw with a terminal),
//                     e.g. MESSAGE `exec: "nosuch": executable file not
//                     found in $PATH`; EXECID.exit says 127 if the
//                     executable was not found, 126 otherwise (not
//                     executable, a directory, ...); then it closes.
//   "exec EXECID detach\n"
//                     runs it with /dev/null stdio (with "terminal": true
//                     a pty whose output is dropped) and answers
//                     "ok PID\n"; if it cannot start, "err CODE MESSAGE\n"
//                     (CODE and MESSAGE as for the start: NOT_FOUND,
//                     `exec: "nosuch": executable file not found in
//                     $PATH`), with EXECID.exit written (127/126) first.
//                     EXECID.exit is written when it exits.
//                     An exec refused before anything runs is answered
//                     "err CODE MESSAGE\n" and closed, also when attached,
//                     and writes no files: an EXECID not of 1 to 128
//                     [A-Za-z0-9_.-] or starting with '.'
//                     (INVALID_ARGUMENT), a container not running
//                     (FAILED_PRECONDITION), an EXECID already used in this
//                     bundle (ALREADY_EXISTS), an EXECID.json missing
//                     (NOT_FOUND) or invalid (INVALID_ARGUMENT).
//                     Execs still running when the container's init exits
//                     were killed by the kernel with its pid namespace;
//                     without one they are SIGKILLed 2 s later. Every
//                     exec's stream is finished and its exit file written
//                     before the shim writes BUNDLE/exit.
//   "wait\n"          answered "exit CODE OOM\n" when the container exits
//                     (at once if it has).
//   "kill SIGNO\n", "resize HEIGHT WIDTH\n", "pause\n", "resume\n"
//                     answered "ok\n" or "err MESSAGE\n".
//   "resize HEIGHT WIDTH EXECID\n"
//                     resizes that running exec's pty; "ok\n" or
//                     "err MESSAGE\n".

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

// BUNDLE/exec/ holds, per exec, EXECID + these suffixes:
inline constexpr char kExecDir[] = "exec";
// The OCI process object, written by berth-daemon before "exec".
inline constexpr char kExecProcessSuffix[] = ".json";
// "PID\n" (the host's pid), written atomically once the process runs.
inline constexpr char kExecPidSuffix[] = ".pid";
// "CODE\n", written atomically (temp file + rename) when it has exited
// and its output was sent, or when it could not start (127 or 126).
inline constexpr char kExecExitSuffix[] = ".exit";

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_PROTOCOL_H_
