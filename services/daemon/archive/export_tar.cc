#include "services/daemon/archive/export_tar.h"

#include "services/daemon/archive/whiteout.h"
#include "services/daemon/archive/write_layer.h"

namespace berth {

absl::Status WriteExportTar(const std::string& rootfs, ByteSink& out) {
  // kApply writes every entry as it is: no whiteout conversion.
  return WriteLayerTar(rootfs, WhiteoutMode::kApply, out);
}

}  // namespace berth
