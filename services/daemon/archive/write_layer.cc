#include "services/daemon/archive/write_layer.h"

#include <errno.h>
#include <fcntl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/tar_writer.h"

namespace berth {

absl::Status WriteLayerTar(const std::string& dir, WhiteoutMode mode,
                           ByteSink& out) {
  archive_internal::UniqueFd root(
      open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("open layer directory ", dir));
  }
  archive_internal::TarWriter writer(mode, out);
  BERTH_RETURN_IF_ERROR(writer.Open());
  BERTH_RETURN_IF_ERROR(writer.WriteTree(root.get(), ""));
  return writer.Close();
}

}  // namespace berth
