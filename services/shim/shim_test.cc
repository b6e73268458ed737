// System tests of berth-shim: the real binary runs real containers from a
// busybox-static rootfs, once with the native runtime and once with runc,
// and must behave the same. Needs root, namespaces, cgroups and runc.
// Everything a test starts is stopped by PID and its cgroups (under
// /berth-test-<pid>) removed in TearDown, even when it fails.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/base/unix_socket.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"
#include "services/runtime/oci_config.h"
#include "services/runtime/test_rootfs.h"
#include "services/shim/shim_config.h"
#include "services/shim/shim_protocol.h"

namespace berth::shim {
namespace {

constexpr char kRunc[] = "/usr/bin/runc";
constexpr int kTimeoutMs = 20000;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string ReadOr(const std::string& path, const std::string& otherwise) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *text : otherwise;
}

// Waits for `path` to exist, up to the test timeout.
bool WaitForFile(const std::string& path) {
  for (int waited = 0; waited < kTimeoutMs; waited += 10) {
    if (Exists(path)) return true;
    usleep(10000);
  }
  return false;
}

// Reads until EOF (or the timeout: then `timed_out`).
std::string ReadToEof(int fd, bool* timed_out = nullptr) {
  std::string out;
  char buf[4096];
  while (true) {
    pollfd pfd = {fd, POLLIN, 0};
    int rc = poll(&pfd, 1, kTimeoutMs);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) {
      if (timed_out != nullptr) *timed_out = true;
      break;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

// Reads one line (without the newline).
std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (true) {
    pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, kTimeoutMs) <= 0) break;
    if (read(fd, &c, 1) != 1 || c == '\n') break;
    line.push_back(c);
  }
  return line;
}

struct Demuxed {
  std::string out, err;
  bool well_formed = true;
};

// Docker's multiplexed frames back into streams.
Demuxed Demux(absl::string_view data) {
  Demuxed result;
  while (!data.empty()) {
    if (data.size() < 8 || (data[0] != 1 && data[0] != 2)) {
      result.well_formed = false;
      return result;
    }
    size_t size = (size_t{static_cast<unsigned char>(data[4])} << 24) |
                  (size_t{static_cast<unsigned char>(data[5])} << 16) |
                  (size_t{static_cast<unsigned char>(data[6])} << 8) |
                  size_t{static_cast<unsigned char>(data[7])};
    if (data.size() < 8 + size) {
      result.well_formed = false;
      return result;
    }
    (data[0] == 1 ? result.out : result.err)
        .append(data.substr(8, size).data(), size);
    data.remove_prefix(8 + size);
  }
  return result;
}

int RunCommand(const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    std::vector<char*> argv;
    for (const std::string& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  *out = ReadToEof(fds[0]);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Removes a cgroup directory tree bottom-up, killing what is left in it
// (only this test's processes can be there).
void RemoveCgroupTree(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> children;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") {
      children.push_back(dir + "/" + name);
    }
  }
  closedir(d);
  for (const std::string& child : children) RemoveCgroupTree(child);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string procs = ReadOr(dir + "/cgroup.procs", "");
    for (absl::string_view line :
         absl::StrSplit(procs, '\n', absl::SkipEmpty())) {
      pid_t pid;
      if (absl::SimpleAtoi(line, &pid)) kill(pid, SIGKILL);
    }
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    usleep(10000);
  }
}

struct ExecResult {
  std::string raw;
  bool timed_out = false;
};

class ShimTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!Exists(runtime::testing::kBusybox)) {
      GTEST_SKIP() << "needs busybox-static";
    }
    if (oci() && !Exists(kRunc)) GTEST_SKIP() << "needs " << kRunc;
    static int counter = 0;
    id_ = absl::StrCat("berth-test-", getpid(), "-", ++counter);
    cgroup_parent_ = absl::StrCat("/berth-test-", getpid());
    // EXEC_ROOT/containers/ID: runc's state goes to EXEC_ROOT/runc.
    bundle_ = temp_.Join("containers/" + id_);
    runc_root_ = temp_.Join("runc");
    rootfs_ = temp_.Join("rootfs");
    ASSERT_TRUE(MakeDirs(bundle_ + "/" + kExecDir).ok());
    ASSERT_TRUE(MakeDirs(rootfs_).ok());
    ASSERT_TRUE(runtime::testing::MakeBusyboxRootfs(rootfs_).ok());
    ASSERT_EQ(symlink("busybox", (rootfs_ + "/bin/stty").c_str()), 0);
    shim_binary_ = SelfDir() + "/berth-shim";
    ASSERT_TRUE(Exists(shim_binary_)) << shim_binary_;
  }

  void TearDown() override {
    if (shim_pid_ > 0) {
      kill(shim_pid_, SIGKILL);
      waitpid(shim_pid_, nullptr, 0);
      shim_pid_ = -1;
    }
    if (id_.empty()) return;
    if (oci()) {
      std::string ignored;
      RunCommand({kRunc, "--root", runc_root_, "delete", "--force", id_},
                 &ignored);
    }
    // Whatever a killed shim left running is in the container's cgroup.
    DIR* d = opendir("/sys/fs/cgroup");
    if (d != nullptr) {
      while (dirent* entry = readdir(d)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        RemoveCgroupTree("/sys/fs/cgroup/" + name + cgroup_parent_);
      }
      closedir(d);
    }
    RemoveCgroupTree("/sys/fs/cgroup" + cgroup_parent_);
  }

  bool oci() const { return GetParam() == "oci"; }

  runtime::Process MakeProcess(std::vector<std::string> args,
                               bool terminal = false) {
    runtime::Process process;
    process.args = std::move(args);
    process.env = {"PATH=/bin", "HOME=/root"};
    process.terminal = terminal;
    process.capabilities = runtime::DockerDefaultCapabilities();
    process.no_new_privileges = true;
    process.seccomp_default = true;
    return process;
  }

  // BUNDLE/config.json as berth-daemon writes it, and shim.json.
  void WriteBundle(std::vector<std::string> args, bool tty = false,
                   int attach_wait = 0, bool pid_namespace = true) {
    runtime::Spec spec;
    spec.rootfs = rootfs_;
    spec.hostname = "shim-box";
    spec.mounts = runtime::DefaultMounts();
    spec.masked_paths = runtime::DefaultMaskedPaths();
    spec.readonly_paths = runtime::DefaultReadonlyPaths();
    spec.namespaces = runtime::DefaultNamespaces();
    if (!pid_namespace) {
      std::erase_if(spec.namespaces, [](const runtime::NamespaceSpec& ns) {
        return ns.clone_flag == CLONE_NEWPID;
      });
    }
    spec.process = MakeProcess(std::move(args), tty);
    spec.cgroups_path = absl::StrCat(cgroup_parent_, "/", id_);
    spec.resources.pids_limit = 100;
    ASSERT_TRUE(WriteFileAtomic(bundle_ + "/config.json",
                                runtime::WriteOciConfig(spec, rootfs_))
                    .ok());
    ShimConfig config;
    config.id = id_;
    config.runtime = GetParam();
    config.runc_path = kRunc;
    config.tty = tty;
    config.log_path = bundle_ + "/json.log";
    config.attach_wait = attach_wait;
    ASSERT_TRUE(WriteFileAtomic(bundle_ + "/" + kConfigFile,
                                SerializeShimConfig(config))
                    .ok());
  }

  // BUNDLE/exec/EXECID.json: the "process" of a config.json, as the
  // daemon writes it.
  void WriteExecProcess(const std::string& exec_id,
                        const runtime::Process& process) {
    runtime::Spec spec;
    spec.process = process;
    nlohmann::json config =
        nlohmann::json::parse(runtime::WriteOciConfig(spec, rootfs_));
    ASSERT_TRUE(WriteFileAtomic(ExecFile(exec_id, kExecProcessSuffix),
                                config["process"].dump())
                    .ok());
  }

  std::string ExecFile(const std::string& exec_id, const char* suffix) {
    return absl::StrCat(bundle_, "/", kExecDir, "/", exec_id, suffix);
  }

  // Starts the shim; `on_listening` runs once its socket accepts. Returns
  // its last line on the ready fd ("ok PID" or "err ...").
  std::string Launch(const std::function<void()>& on_listening = nullptr) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return "pipe failed";
    std::string log = bundle_ + "/shim.log";
    shim_pid_ = fork();
    if (shim_pid_ == 0) {
      setsid();
      int null = open("/dev/null", O_RDWR);
      int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(null, 0);
      dup2(out, 1);
      dup2(out, 2);
      dup2(ready[1], kReadyFd);
      execl(shim_binary_.c_str(), shim_binary_.c_str(), bundle_.c_str(),
            nullptr);
      _exit(127);
    }
    close(ready[1]);
    std::string line;
    while (true) {
      line = ReadLine(ready[0]);
      if (line == "listening") {
        if (on_listening) on_listening();
        continue;
      }
      break;
    }
    close(ready[0]);
    return line;
  }

  // Waits for the shim to exit; false on the timeout.
  bool WaitForShim() {
    for (int waited = 0; waited < kTimeoutMs; waited += 10) {
      int status;
      pid_t pid = waitpid(shim_pid_, &status, WNOHANG);
      if (pid == shim_pid_) {
        shim_pid_ = -1;
        return true;
      }
      usleep(10000);
    }
    return false;
  }

  UniqueFd Connect(const std::string& line) {
    absl::StatusOr<UniqueFd> fd = ConnectUnix(bundle_ + "/" + kSocketFile);
    EXPECT_TRUE(fd.ok()) << fd.status();
    if (!fd.ok()) return UniqueFd();
    std::string request = line + "\n";
    EXPECT_EQ(send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    return *std::move(fd);
  }

  // One control request and its answer line.
  std::string Request(const std::string& line) {
    UniqueFd fd = Connect(line);
    if (!fd.valid()) return "";
    return std::string(absl::StripTrailingAsciiWhitespace(ReadToEof(fd.get())));
  }

  // An attached exec: sends `input` (then EOF), returns the whole stream.
  ExecResult Exec(const std::string& exec_id, const std::string& flags,
                  const std::string& input = "") {
    ExecResult result;
    UniqueFd fd = Connect(absl::StrCat("exec ", exec_id, " ", flags));
    if (!fd.valid()) return result;
    if (!input.empty()) {
      EXPECT_EQ(send(fd.get(), input.data(), input.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(input.size()));
    }
    shutdown(fd.get(), SHUT_WR);
    result.raw = ReadToEof(fd.get(), &result.timed_out);
    return result;
  }

  std::string ExitFile() { return ReadOr(bundle_ + "/" + kExitFile, ""); }
  // "CODE" of BUNDLE/exit.
  std::string ExitCode() {
    std::vector<std::string> words = absl::StrSplit(ExitFile(), ' ');
    return words[0];
  }

  // The ids runc still knows in the state root.
  std::string RuncList() {
    std::string out;
    RunCommand({kRunc, "--root", runc_root_, "list", "-q"}, &out);
    return std::string(absl::StripAsciiWhitespace(out));
  }

  // A running container to exec into; stopped with `kill 9`.
  void StartLongRunning() {
    WriteBundle({"sleep", "1000"});
    std::string started = Launch();
    ASSERT_TRUE(absl::StartsWith(started, "ok ")) << started;
  }

  void KillAndWait() {
    EXPECT_EQ(Request("kill 9"), "ok");
    ASSERT_TRUE(WaitForShim());
    EXPECT_EQ(ExitCode(), "137");
  }

  berth::testing::TempDir temp_;
  std::string id_, cgroup_parent_, bundle_, runc_root_, rootfs_;
  std::string shim_binary_;
  pid_t shim_pid_ = -1;
};

TEST_P(ShimTest, RunsACommandWithOutputAndExitCode) {
  WriteBundle({"sh", "-c", "echo out; echo err >&2; hostname; exit 3"},
              /*tty=*/false, /*attach_wait=*/1);
  UniqueFd attach;
  std::string started = Launch([&] { attach = Connect("attach 0 1 1"); });
  ASSERT_TRUE(absl::StartsWith(started, "ok ")) << started;
  Demuxed stream = Demux(ReadToEof(attach.get()));
  ASSERT_TRUE(WaitForShim());
  EXPECT_TRUE(stream.well_formed);
  EXPECT_EQ(stream.out, "out\nshim-box\n");
  EXPECT_EQ(stream.err, "err\n");
  EXPECT_EQ(ExitCode(), "3");
  std::string log = ReadOr(bundle_ + "/json.log", "");
  EXPECT_TRUE(absl::StrContains(log, R"("log":"out\n","stream":"stdout")"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, R"("log":"err\n","stream":"stderr")"))
      << log;
  EXPECT_EQ(ReadOr(bundle_ + "/" + kPidFile, ""),
            absl::StrCat(started.substr(3), "\n"));
  EXPECT_FALSE(Exists(bundle_ + "/" + kSocketFile));
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

TEST_P(ShimTest, AMissingCommandIsNotFound) {
  WriteBundle({"nosuch"});
  std::string started = Launch();
  EXPECT_EQ(started,
            "err NOT_FOUND exec: \"nosuch\": executable file not found in "
            "$PATH");
  ASSERT_TRUE(WaitForShim());
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

TEST_P(ShimTest, RunsWithATty) {
  WriteBundle({"sh", "-c", "test -t 0 && test -t 1 && echo tty; exit 4"},
              /*tty=*/true, /*attach_wait=*/1);
  UniqueFd attach;
  std::string started = Launch([&] { attach = Connect("attach 0 1 1"); });
  ASSERT_TRUE(absl::StartsWith(started, "ok ")) << started;
  std::string raw = ReadToEof(attach.get());
  ASSERT_TRUE(WaitForShim());
  EXPECT_EQ(raw, "tty\r\n");
  EXPECT_EQ(ExitCode(), "4");
}

TEST_P(ShimTest, ExecWithOutputAndExitCode) {
  StartLongRunning();
  WriteExecProcess("e1", MakeProcess({"sh", "-c",
                                      "echo hi; echo oops >&2; hostname; "
                                      "exit 5"}));
  ExecResult result = Exec("e1", "0 1 1");
  EXPECT_FALSE(result.timed_out);
  Demuxed stream = Demux(result.raw);
  EXPECT_TRUE(stream.well_formed) << result.raw;
  EXPECT_EQ(stream.out, "hi\nshim-box\n");
  EXPECT_EQ(stream.err, "oops\n");
  // Written before the connection closed.
  EXPECT_EQ(ReadOr(ExecFile("e1", kExecExitSuffix), ""), "5\n");
  std::string pid = ReadOr(ExecFile("e1", kExecPidSuffix), "");
  int parsed = 0;
  EXPECT_TRUE(absl::SimpleAtoi(pid, &parsed) && parsed > 0) << pid;
  EXPECT_TRUE(absl::EndsWith(pid, "\n"));

  // Only stderr attached: stdout goes nowhere.
  WriteExecProcess("e2", MakeProcess({"sh", "-c", "echo a; echo b >&2"}));
  stream = Demux(Exec("e2", "0 0 1").raw);
  EXPECT_EQ(stream.out, "");
  EXPECT_EQ(stream.err, "b\n");
  EXPECT_EQ(ReadOr(ExecFile("e2", kExecExitSuffix), ""), "0\n");

  // An id runs once.
  EXPECT_TRUE(absl::StartsWith(Request("exec e1 0 1 1"), "err ALREADY_EXISTS"));
  EXPECT_TRUE(
      absl::StartsWith(Request("exec ../x 0 1 1"), "err INVALID_ARGUMENT"));
  EXPECT_TRUE(absl::StartsWith(Request("exec none 0 1 1"), "err NOT_FOUND"));
  KillAndWait();
  // Exec output is not the container's log.
  EXPECT_FALSE(absl::StrContains(ReadOr(bundle_ + "/json.log", ""), "hi"));
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

TEST_P(ShimTest, ExecWithStdin) {
  StartLongRunning();
  WriteExecProcess("in", MakeProcess({"sh", "-c", "cat; echo done"}));
  ExecResult result = Exec("in", "1 1 1", "hello\nworld\n");
  EXPECT_FALSE(result.timed_out);
  Demuxed stream = Demux(result.raw);
  EXPECT_EQ(stream.out, "hello\nworld\ndone\n");
  EXPECT_EQ(ReadOr(ExecFile("in", kExecExitSuffix), ""), "0\n");
  KillAndWait();
}

TEST_P(ShimTest, ExecWithATtyAndResize) {
  StartLongRunning();
  WriteExecProcess("t", MakeProcess({"sh", "-c",
                                     "test -t 0 && echo tty; read x; "
                                     "stty size; echo got $x; exit 6"},
                                    /*terminal=*/true));
  UniqueFd fd = Connect("exec t 1 1 0");
  ASSERT_TRUE(fd.valid());
  // Once it runs (it said "tty"), resize it, then let it go on.
  std::string raw;
  char buf[256];
  while (!absl::StrContains(raw, "tty\r\n")) {
    pollfd pfd = {fd.get(), POLLIN, 0};
    ASSERT_GT(poll(&pfd, 1, kTimeoutMs), 0) << raw;
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    ASSERT_GT(n, 0) << raw;
    raw.append(buf, n);
  }
  EXPECT_TRUE(absl::StartsWith(Request("resize 30 100 nosuch"), "err "));
  EXPECT_EQ(Request("resize 30 100 t"), "ok");
  ASSERT_EQ(write(fd.get(), "abc\n", 4), 4);
  bool timed_out = false;
  raw += ReadToEof(fd.get(), &timed_out);
  EXPECT_FALSE(timed_out);
  EXPECT_TRUE(absl::StrContains(raw, "30 100\r\n")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "got abc\r\n")) << raw;
  EXPECT_EQ(ReadOr(ExecFile("t", kExecExitSuffix), ""), "6\n");
  KillAndWait();
}

TEST_P(ShimTest, ExecOfAMissingOrUnrunnableBinary) {
  StartLongRunning();
  WriteExecProcess("missing", MakeProcess({"nosuch"}));
  Demuxed stream = Demux(Exec("missing", "0 1 1").raw);
  EXPECT_TRUE(stream.well_formed);
  EXPECT_EQ(stream.out, "");
  EXPECT_EQ(stream.err,
            "OCI runtime exec failed: exec failed: unable to start container "
            "process: exec: \"nosuch\": executable file not found in $PATH: "
            "unknown\r\n");
  EXPECT_EQ(ReadOr(ExecFile("missing", kExecExitSuffix), ""), "127\n");
  EXPECT_FALSE(Exists(ExecFile("missing", kExecPidSuffix)));

  WriteExecProcess("denied", MakeProcess({"/etc/passwd"}));
  stream = Demux(Exec("denied", "0 1 1").raw);
  EXPECT_EQ(stream.err,
            "OCI runtime exec failed: exec failed: unable to start container "
            "process: exec: \"/etc/passwd\": permission denied: unknown\r\n");
  EXPECT_EQ(ReadOr(ExecFile("denied", kExecExitSuffix), ""), "126\n");

  // With a tty the line comes raw.
  WriteExecProcess("tty", MakeProcess({"nosuch"}, /*terminal=*/true));
  EXPECT_EQ(Exec("tty", "1 1 0").raw,
            "OCI runtime exec failed: exec failed: unable to start container "
            "process: exec: \"nosuch\": executable file not found in $PATH: "
            "unknown\r\n");
  EXPECT_EQ(ReadOr(ExecFile("tty", kExecExitSuffix), ""), "127\n");

  WriteExecProcess("detached", MakeProcess({"nosuch"}));
  EXPECT_EQ(Request("exec detached detach"),
            "err NOT_FOUND exec: \"nosuch\": executable file not found in "
            "$PATH");
  EXPECT_EQ(ReadOr(ExecFile("detached", kExecExitSuffix), ""), "127\n");
  KillAndWait();
}

TEST_P(ShimTest, DetachedExec) {
  StartLongRunning();
  WriteExecProcess("d", MakeProcess({"sh", "-c", "echo lost; exit 7"}));
  std::string answer = Request("exec d detach");
  ASSERT_TRUE(absl::StartsWith(answer, "ok ")) << answer;
  ASSERT_TRUE(WaitForFile(ExecFile("d", kExecExitSuffix)));
  EXPECT_EQ(ReadOr(ExecFile("d", kExecExitSuffix), ""), "7\n");
  EXPECT_EQ(ReadOr(ExecFile("d", kExecPidSuffix), ""),
            absl::StrCat(answer.substr(3), "\n"));
  // Detached with a terminal: its output is read and dropped.
  WriteExecProcess("dt", MakeProcess({"sh", "-c", "test -t 1 && exit 8"},
                                     /*terminal=*/true));
  answer = Request("exec dt detach");
  ASSERT_TRUE(absl::StartsWith(answer, "ok ")) << answer;
  ASSERT_TRUE(WaitForFile(ExecFile("dt", kExecExitSuffix)));
  EXPECT_EQ(ReadOr(ExecFile("dt", kExecExitSuffix), ""), "8\n");
  KillAndWait();
}

TEST_P(ShimTest, TheContainerExitsWhileExecsRun) {
  WriteBundle(
      {"sh", "-c", "while [ ! -e /tmp/stop ]; do sleep 1; done; exit 2"});
  std::string started = Launch();
  ASSERT_TRUE(absl::StartsWith(started, "ok ")) << started;
  WriteExecProcess("bg", MakeProcess({"sleep", "1000"}));
  std::string answer = Request("exec bg detach");
  ASSERT_TRUE(absl::StartsWith(answer, "ok ")) << answer;
  // This one ends the container, and keeps running (with output) itself.
  WriteExecProcess("fg", MakeProcess({"sh", "-c",
                                      "echo before; touch /tmp/stop; "
                                      "sleep 1000"}));
  ExecResult result = Exec("fg", "0 1 1");
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(Demux(result.raw).out, "before\n");
  ASSERT_TRUE(WaitForShim());
  EXPECT_EQ(ExitCode(), "2");
  // The kernel killed them with the container's pid namespace.
  EXPECT_EQ(ReadOr(ExecFile("fg", kExecExitSuffix), ""), "137\n");
  EXPECT_EQ(ReadOr(ExecFile("bg", kExecExitSuffix), ""), "137\n");
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

// Without a pid namespace nothing kills an exec with the init: the shim
// does, soon after, and does not wait for it forever.
TEST_P(ShimTest, AnExecOutlivingTheInitIsKilled) {
  WriteBundle(
      {"sh", "-c", "while [ ! -e /tmp/stop ]; do sleep 1; done; exit 2"},
      /*tty=*/false, /*attach_wait=*/0, /*pid_namespace=*/false);
  std::string started = Launch();
  ASSERT_TRUE(absl::StartsWith(started, "ok ")) << started;
  WriteExecProcess("fg", MakeProcess({"sh", "-c",
                                      "echo before; touch /tmp/stop; "
                                      "exec sleep 1000"}));
  ExecResult result = Exec("fg", "0 1 1");
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(Demux(result.raw).out, "before\n");
  ASSERT_TRUE(WaitForShim());
  EXPECT_EQ(ExitCode(), "2");
  EXPECT_EQ(ReadOr(ExecFile("fg", kExecExitSuffix), ""), "137\n");
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

// The exec goes on when its client leaves, and its exit is recorded.
TEST_P(ShimTest, AnExecWhoseClientLeft) {
  StartLongRunning();
  WriteExecProcess("gone",
                   MakeProcess({"sh", "-c", "sleep 1; echo late; exit 9"}));
  {
    UniqueFd fd = Connect("exec gone 1 1 1");
    ASSERT_TRUE(fd.valid());
    // Until it runs: then the client goes.
    ASSERT_TRUE(WaitForFile(ExecFile("gone", kExecPidSuffix)));
  }
  ASSERT_TRUE(WaitForFile(ExecFile("gone", kExecExitSuffix)));
  EXPECT_EQ(ReadOr(ExecFile("gone", kExecExitSuffix), ""), "9\n");
  KillAndWait();
}

TEST_P(ShimTest, PauseAndResume) {
  StartLongRunning();
  EXPECT_EQ(Request("pause"), "ok");
  EXPECT_EQ(Request("resume"), "ok");
  KillAndWait();
  if (oci()) {
    EXPECT_EQ(RuncList(), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Runtimes, ShimTest, ::testing::Values("native", "oci"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace berth::shim
