#include "services/shim/json_log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/docker/timestamp.h"

namespace berth {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, 0 if invalid.
size_t Utf8SequenceLength(absl::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(0);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  uint32_t cp = c & (0xFF >> (n + 1));
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void AppendJsonEscaped(absl::string_view data, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < data.size();) {
    unsigned char c = data[i];
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(data.substr(i));
      if (n == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(data.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        // dockerd's encoder also escapes <, > and & for HTML safety.
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

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
