#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_WHITEOUT_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_WHITEOUT_H_

namespace berth {

// How a layer's deletions are represented. In a layer tar (the image
// format) a deletion is always an AUFS-style whiteout file: ".wh.NAME"
// deletes NAME, ".wh..wh..opq" hides everything below its directory that
// came from lower layers.
enum class WhiteoutMode {
  // The directory is a full copy of the parent layer's tree (vfs): a
  // whiteout deletes for real.
  kApply,
  // The directory is an overlayfs upper dir: a deleted NAME is a 0/0
  // character device, an opaque directory carries
  // trusted.overlay.opaque=y.
  kOverlay,
};

inline constexpr char kWhiteoutPrefix[] = ".wh.";
// Every name starting with this is whiteout metadata, not a deletion.
inline constexpr char kWhiteoutMetaPrefix[] = ".wh..wh.";
inline constexpr char kWhiteoutOpaqueDir[] = ".wh..wh..opq";
inline constexpr char kOverlayXattrPrefix[] = "trusted.overlay.";
inline constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_WHITEOUT_H_
