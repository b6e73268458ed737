#ifndef BERTH_SERVICES_SHIM_HELD_IO_H_
#define BERTH_SERVICES_SHIM_HELD_IO_H_

#include <sys/types.h>

#include <string>

#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace berth::shim {

// A process's stdio as the shim holds it (the container's init or an
// exec): the write end of its stdin with what is still to be written to
// it, and the read ends of its stdout and stderr, or one pty master for
// all of them. Every fd is non-blocking; the shim's poll loop drives it.
class HeldIo {
 public:
  // Past this the shim stops reading the clients that feed stdin.
  static constexpr size_t kMaxStdinBacklog = 1 << 20;

  // Stdin is wanted: data queued before the fd exists (attaches that come
  // before the process starts) is kept for it.
  void ExpectStdin() { stdin_expected_ = true; }
  void SetStdin(UniqueFd fd);
  // stream: 1 stdout, 2 stderr.
  void SetOutput(int stream, UniqueFd fd);
  // A terminal: the master is the output, stdin (if `with_stdin`) and what
  // resize acts on.
  void AdoptPty(UniqueFd master, bool with_stdin);

  bool tty() const { return pty_master_.valid(); }
  int pty_master() const { return pty_master_.get(); }
  int stdin_fd() const { return stdin_.get(); }
  int output_fd(int stream) const { return output_[stream - 1].get(); }
  bool output_open() const { return output_[0].valid() || output_[1].valid(); }
  bool stdin_pending() const {
    return !stdin_buffer_.empty() && stdin_.valid();
  }
  bool stdin_full() const { return stdin_buffer_.size() >= kMaxStdinBacklog; }

  // Queues `data` for stdin and writes what it can; dropped when there is
  // no stdin or it was closed.
  void QueueStdin(absl::string_view data);
  // Writes what the process takes now.
  void FlushStdin();
  // Closes stdin once the queue is out (the client's EOF). A pty cannot
  // be half-closed: with a terminal this does nothing.
  void CloseStdin();

  // Reads a chunk of `stream` into `buf`: the byte count, 0 when the
  // stream ended (it is closed then; EIO from a pty whose last slave
  // closed is the end too), -1 when nothing is there now.
  ssize_t ReadOutput(int stream, char* buf, size_t size);
  void CloseOutputs();

 private:
  UniqueFd stdin_;
  UniqueFd output_[2];
  UniqueFd pty_master_;
  std::string stdin_buffer_;
  bool stdin_expected_ = false;
  bool stdin_closed_ = false;
  bool close_when_flushed_ = false;
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_HELD_IO_H_
