#ifndef BERTH_LIB_BASE_FILES_H_
#define BERTH_LIB_BASE_FILES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// Replaces `path` with `contents` so that a crash leaves either the old or
// the new file, never a torn one: temp file, fsync, rename, fsync dir.
// Without `durable`, no fsyncs: readers still see the old or the new
// file, but a crash may lose both (for files rebuilt at every start).
absl::Status WriteFileAtomic(const std::string& path,
                             absl::string_view contents, int mode = 0644,
                             bool durable = true);

absl::StatusOr<std::string> ReadFile(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
absl::Status MakeDirs(const std::string& path, int mode = 0755);

// The bytes the files under `path` hold (st_size of regular files and
// symlinks, each inode once), as Docker counts a layer's or a volume's
// size. Does not follow symlinks or cross into other filesystems. 0 for a
// missing path.
int64_t TreeSize(const std::string& path);

// The directory holding the running binary; berth's binaries are
// installed side by side and find each other there.
std::string SelfDir();

// An absl::Status for a failed syscall, with errno mapped to a code.
absl::Status ErrnoStatus(int err, absl::string_view what);

}  // namespace berth

#endif  // BERTH_LIB_BASE_FILES_H_
