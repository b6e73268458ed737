#include "services/daemon/archive/tee_source.h"

#include <memory>

#include "lib/base/status_macros.h"

namespace berth {

absl::StatusOr<size_t> TeeSource::Read(char* buf, size_t n) {
  BERTH_ASSIGN_OR_RETURN(size_t got, in_->Read(buf, n));
  BERTH_RETURN_IF_ERROR(copy_->Write(absl::string_view(buf, got)));
  return got;
}

absl::Status TeeSource::Drain() {
  constexpr size_t kChunk = 1 << 20;
  std::unique_ptr<char[]> buf(new char[kChunk]);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t got, Read(buf.get(), kChunk));
    if (got == 0) return absl::OkStatus();
  }
}

}  // namespace berth
