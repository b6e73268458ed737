#ifndef BERTH_LIB_DOCKER_STREAM_FRAME_H_
#define BERTH_LIB_DOCKER_STREAM_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace berth {

// The header of Docker's multiplexed stream (attach and logs without a
// tty): the stream (1 stdout, 2 stderr), three zero bytes, then the
// payload's length big-endian. Header-only: berth-shim links it too.
inline std::array<char, 8> StreamFrameHeader(int stream, size_t size) {
  uint32_t length = static_cast<uint32_t>(size);
  return {static_cast<char>(stream),
          0,
          0,
          0,
          static_cast<char>(length >> 24),
          static_cast<char>(length >> 16),
          static_cast<char>(length >> 8),
          static_cast<char>(length)};
}

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_STREAM_FRAME_H_
