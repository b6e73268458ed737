#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TAR_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TAR_H_

// Builds and reads tar streams in tests, with libarchive's writer, so that
// the code under test never grades its own output alone.

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace berth::testing {

struct TarEntry {
  std::string name;
  // 'f' file, 'd' directory, 'l' symlink, 'h' hardlink, 'c' char device,
  // 'b' block device, 'p' fifo.
  char type = 'f';
  // File content, or the target of a symlink or hardlink.
  std::string data;
  int mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime = 1600000000;
  long mtime_nsec = 0;
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry File(std::string name, std::string data, int mode = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.mode = mode;
  return e;
}
inline TarEntry Dir(std::string name, int mode = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = 'd';
  e.mode = mode;
  return e;
}
inline TarEntry Symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = 'l';
  e.data = std::move(target);
  e.mode = 0777;
  return e;
}
inline TarEntry Hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = 'h';
  e.data = std::move(target);
  return e;
}

// A PAX tar of `entries`, in order, names exactly as given.
std::string BuildTar(const std::vector<TarEntry>& entries);

enum class Codec { kGzip, kZstd };
std::string Compress(absl::string_view data, Codec codec);

// The entries of a tar (of any compression), data included.
std::vector<TarEntry> ReadTar(const std::string& tar);

std::string Sha256Hex(absl::string_view data);

// The content of `path`; a file that cannot be read ends the test.
std::string ReadFileOrDie(const std::string& path);

}  // namespace berth::testing

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TAR_H_
