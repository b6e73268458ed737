#include "services/shim/json_log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/docker/json_escape.h"
#include "lib/docker/timestamp.h"

namespace berth {

std::string NowRfc3339Nano() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return FormatRfc3339Nano(int64_t{now.tv_sec} * 1000000000 + now.tv_nsec);
}

absl::StatusOr<JsonLogWriter> JsonLogWriter::Open(Options options) {
  if (options.max_files < 1) options.max_files = 1;
  JsonLogWriter writer(std::move(options));
  writer.fd_.reset(open(writer.options_.path.c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!writer.fd_.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", writer.options_.path));
  }
  struct stat st;
  if (fstat(writer.fd_.get(), &st) == 0) writer.size_ = st.st_size;
  return writer;
}

absl::Status JsonLogWriter::Write(int stream, absl::string_view data) {
  std::string& pending = pending_[stream == 2 ? 1 : 0];
  while (!data.empty()) {
    size_t newline = data.find('\n');
    size_t take =
        newline == absl::string_view::npos ? data.size() : newline + 1;
    if (pending.size() + take > kMaxLineBytes) {
      take = kMaxLineBytes - pending.size();
      newline = absl::string_view::npos;
    }
    pending.append(data.data(), take);
    data.remove_prefix(take);
    if (newline != absl::string_view::npos || pending.size() >= kMaxLineBytes) {
      absl::Status status = Emit(stream, pending);
      pending.clear();
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status JsonLogWriter::Flush() {
  for (int i = 0; i < 2; ++i) {
    if (pending_[i].empty()) continue;
    absl::Status status = Emit(i + 1, pending_[i]);
    pending_[i].clear();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status JsonLogWriter::Emit(int stream, absl::string_view line) {
  std::string record = "{\"log\":\"";
  AppendJsonEscaped(line, &record);
  absl::StrAppend(&record, "\",\"stream\":\"",
                  stream == 2 ? "stderr" : "stdout", "\",\"time\":\"",
                  NowRfc3339Nano(), "\"}\n");
  if (options_.max_size > 0 && size_ > 0 &&
      size_ + static_cast<int64_t>(record.size()) > options_.max_size) {
    absl::Status rotated = Rotate();
    if (!rotated.ok()) return rotated;
  }
  absl::string_view rest = record;
  while (!rest.empty()) {
    ssize_t n = write(fd_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", options_.path));
    rest.remove_prefix(n);
  }
  size_ += record.size();
  return absl::OkStatus();
}

absl::Status JsonLogWriter::Rotate() {
  const std::string& path = options_.path;
  if (options_.max_files == 1) {
    if (ftruncate(fd_.get(), 0) != 0) {
      return ErrnoStatus(errno, absl::StrCat("truncate ", path));
    }
    size_ = 0;
    return absl::OkStatus();
  }
  for (int i = options_.max_files - 1; i > 1; --i) {
    rename(absl::StrCat(path, ".", i - 1).c_str(),
           absl::StrCat(path, ".", i).c_str());
  }
  if (rename(path.c_str(), absl::StrCat(path, ".1").c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("rotate ", path));
  }
  fd_.reset(
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd_.valid()) return ErrnoStatus(errno, absl::StrCat("open ", path));
  size_ = 0;
  return absl::OkStatus();
}

}  // namespace berth
