#include "services/shim/held_io.h"

#include <errno.h>
#include <unistd.h>

#include "services/shim/shim_util.h"

namespace berth::shim {

void HeldIo::SetStdin(UniqueFd fd) {
  if (fd.valid()) SetNonBlocking(fd.get());
  stdin_ = std::move(fd);
  stdin_expected_ = true;
  if (stdin_closed_) {
    stdin_.reset();
    return;
  }
  FlushStdin();
}

void HeldIo::SetOutput(int stream, UniqueFd fd) {
  if (fd.valid()) SetNonBlocking(fd.get());
  output_[stream - 1] = std::move(fd);
}

void HeldIo::AdoptPty(UniqueFd master, bool with_stdin) {
  // O_NONBLOCK belongs to the open file: the dups share it.
  SetNonBlocking(master.get());
  output_[0].reset(dup(master.get()));
  if (with_stdin) SetStdin(UniqueFd(dup(master.get())));
  pty_master_ = std::move(master);
}

void HeldIo::QueueStdin(absl::string_view data) {
  if (!stdin_expected_ || stdin_closed_) return;
  stdin_buffer_.append(data.data(), data.size());
  FlushStdin();
}

void HeldIo::FlushStdin() {
  while (!stdin_buffer_.empty() && stdin_.valid()) {
    ssize_t n = write(stdin_.get(), stdin_buffer_.data(), stdin_buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The process closed its stdin: what is left has no reader.
      stdin_buffer_.clear();
      stdin_.reset();
      stdin_closed_ = true;
      return;
    }
    stdin_buffer_.erase(0, n);
  }
  if (stdin_buffer_.empty() && close_when_flushed_) {
    stdin_.reset();
    stdin_closed_ = true;
  }
}

void HeldIo::CloseStdin() {
  if (tty()) return;
  // Before the process exists the queue waits for SetStdin, which
  // delivers it and then closes.
  close_when_flushed_ = true;
  FlushStdin();
}

ssize_t HeldIo::ReadOutput(int stream, char* buf, size_t size) {
  UniqueFd& fd = output_[stream - 1];
  if (!fd.valid()) return 0;
  ssize_t n = read(fd.get(), buf, size);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (n <= 0) {
    fd.reset();
    return 0;
  }
  return n;
}

void HeldIo::CloseOutputs() {
  output_[0].reset();
  output_[1].reset();
}

}  // namespace berth::shim
