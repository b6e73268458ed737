#include "services/daemon/archive/test_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/escaping.h"
#include "glog/logging.h"
#include "lib/base/files.h"

namespace berth::testing {
namespace {

la_ssize_t Append(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void Check(archive* a, int r, const char* what) {
  if (r < ARCHIVE_WARN) {
    std::cerr << what << ": " << archive_error_string(a) << "\n";
    std::abort();
  }
}

archive* NewWriter() {
  archive* a = archive_write_new();
  Check(a, archive_write_set_bytes_per_block(a, 512), "block size");
  Check(a, archive_write_set_bytes_in_last_block(a, 1), "last block");
  return a;
}

}  // namespace

std::string BuildTar(const std::vector<TarEntry>& entries) {
  std::string out;
  archive* a = NewWriter();
  // Full PAX keeps mtime nanoseconds.
  Check(a, archive_write_set_format_pax(a), "format");
  Check(a, archive_write_open(a, &out, nullptr, Append, nullptr), "open");
  for (const TarEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_perm(entry, e.mode);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, e.mtime, e.mtime_nsec);
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(),
                                    value.size());
    }
    bool data = false;
    switch (e.type) {
      case 'f':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, e.data.size());
        data = true;
        break;
      case 'd':
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case 'l':
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.data.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.data.c_str());
        archive_entry_set_size(entry, 0);
        break;
      case 'c':
      case 'b':
        archive_entry_set_filetype(entry, e.type == 'c' ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(entry, e.dev_major);
        archive_entry_set_rdevminor(entry, e.dev_minor);
        break;
      case 'p':
        archive_entry_set_filetype(entry, AE_IFIFO);
        break;
      default:
        std::cerr << "bad test entry type " << e.type << "\n";
        std::abort();
    }
    Check(a, archive_write_header(a, entry), "header");
    if (data && !e.data.empty()) {
      if (archive_write_data(a, e.data.data(), e.data.size()) !=
          static_cast<la_ssize_t>(e.data.size())) {
        Check(a, ARCHIVE_FATAL, "data");
      }
    }
    archive_entry_free(entry);
  }
  Check(a, archive_write_close(a), "close");
  archive_write_free(a);
  return out;
}

std::string Compress(absl::string_view data, Codec codec) {
  std::string out;
  archive* a = NewWriter();
  Check(a, archive_write_set_format_raw(a), "format");
  Check(a,
        codec == Codec::kGzip ? archive_write_add_filter_gzip(a)
                              : archive_write_add_filter_zstd(a),
        "filter");
  Check(a, archive_write_open(a, &out, nullptr, Append, nullptr), "open");
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_pathname(entry, "data");
  Check(a, archive_write_header(a, entry), "header");
  if (!data.empty() && archive_write_data(a, data.data(), data.size()) !=
                           static_cast<la_ssize_t>(data.size())) {
    Check(a, ARCHIVE_FATAL, "data");
  }
  archive_entry_free(entry);
  Check(a, archive_write_close(a), "close");
  archive_write_free(a);
  return out;
}

std::vector<TarEntry> ReadTar(const std::string& tar) {
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  Check(a, archive_read_open_memory(a, tar.data(), tar.size()), "open");
  std::vector<TarEntry> entries;
  archive_entry* entry;
  int r;
  while ((r = archive_read_next_header(a, &entry)) != ARCHIVE_EOF) {
    Check(a, r, "next header");
    TarEntry e;
    e.name = archive_entry_pathname(entry);
    e.mode = archive_entry_perm(entry);
    e.uid = archive_entry_uid(entry);
    e.gid = archive_entry_gid(entry);
    e.mtime = archive_entry_mtime(entry);
    e.mtime_nsec = archive_entry_mtime_nsec(entry);
    e.dev_major = archive_entry_rdevmajor(entry);
    e.dev_minor = archive_entry_rdevminor(entry);
    if (archive_entry_hardlink(entry) != nullptr) {
      e.type = 'h';
      e.data = archive_entry_hardlink(entry);
    } else {
      switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
          e.type = 'd';
          break;
        case AE_IFLNK:
          e.type = 'l';
          e.data = archive_entry_symlink(entry);
          break;
        case AE_IFCHR:
          e.type = 'c';
          break;
        case AE_IFBLK:
          e.type = 'b';
          break;
        case AE_IFIFO:
          e.type = 'p';
          break;
        default:
          e.type = 'f';
          char buf[65536];
          la_ssize_t n;
          while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
            e.data.append(buf, n);
          }
          Check(a, static_cast<int>(n), "data");
      }
    }
    archive_entry_xattr_reset(entry);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(entry, &name, &value, &size) ==
           ARCHIVE_OK) {
      e.xattrs.emplace_back(name,
                            std::string(static_cast<const char*>(value), size));
    }
    entries.push_back(std::move(e));
  }
  archive_read_free(a);
  return entries;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string ReadFileOrDie(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  CHECK(data.ok()) << data.status();
  return *std::move(data);
}

}  // namespace berth::testing
