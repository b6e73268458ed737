#ifndef BERTH_SERVICES_DAEMON_IMAGE_DIGEST_H_
#define BERTH_SERVICES_DAEMON_IMAGE_DIGEST_H_

#include <compare>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace berth {

// A content digest. Only sha256 exists in the images berth handles, so an
// instance is always a valid "sha256:<64 lowercase hex>" and never empty.
class Digest {
 public:
  // Accepts exactly "sha256:<64 lowercase hex>". Anything else is
  // InvalidArgument "invalid digest ...", naming go-digest's reason.
  static absl::StatusOr<Digest> Parse(absl::string_view s);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string ToString() const { return algorithm_ + ":" + hex_; }
  // The 12-character form docker prints for IDs.
  std::string Short() const { return hex_.substr(0, 12); }

  friend bool operator==(const Digest& a, const Digest& b) = default;
  friend std::strong_ordering operator<=>(const Digest& a,
                                          const Digest& b) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.algorithm_, d.hex_);
  }

  friend std::ostream& operator<<(std::ostream& os, const Digest& d);

 private:
  friend class Sha256Hasher;
  explicit Digest(std::string hex)
      : algorithm_("sha256"), hex_(std::move(hex)) {}

  std::string algorithm_;
  std::string hex_;
};

// Incremental sha256, for content that arrives in pieces (layer streams).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&& other) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&& other) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  // Ends the computation; the hasher starts over afterwards, empty.
  Digest Finish();

 private:
  EVP_MD_CTX* ctx_;
};

Digest Sha256Of(absl::string_view data);

// The OCI image spec's ChainID over a layer stack, bottom first.
// `diff_ids` must not be empty: an image without layers has no chain ID
// (Docker's empty ChainID), which callers must handle before asking.
Digest ChainId(const std::vector<Digest>& diff_ids);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_IMAGE_DIGEST_H_
