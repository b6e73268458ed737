#include "services/daemon/image/digest.h"

#include <openssl/evp.h>

#include <ostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace berth {
namespace {

constexpr size_t kSha256HexLen = 64;

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

absl::Status InvalidDigest(absl::string_view s, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid digest \"", s, "\": ", why));
}

}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view s) {
  // The reasons are go-digest's, in its order of checks, so messages read
  // like dockerd's.
  size_t colon = s.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return InvalidDigest(s, "invalid checksum digest format");
  }
  absl::string_view algorithm = s.substr(0, colon);
  absl::string_view hex = s.substr(colon + 1);
  if (algorithm != "sha256") {
    return InvalidDigest(s, "unsupported digest algorithm");
  }
  if (hex.size() != kSha256HexLen) {
    return InvalidDigest(s, "invalid checksum digest length");
  }
  for (char c : hex) {
    if (!IsLowerHex(c)) {
      return InvalidDigest(s, "invalid checksum digest format");
    }
  }
  return Digest(std::string(hex));
}

std::ostream& operator<<(std::ostream& os, const Digest& d) {
  return os << d.ToString();
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  CHECK(ctx_ != nullptr) << "EVP_MD_CTX_new failed";
  CHECK_EQ(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr), 1);
}

Sha256Hasher::~Sha256Hasher() {
  if (ctx_ != nullptr) EVP_MD_CTX_free(ctx_);
}

Sha256Hasher::Sha256Hasher(Sha256Hasher&& other) noexcept : ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) EVP_MD_CTX_free(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

void Sha256Hasher::Update(absl::string_view data) {
  CHECK(ctx_ != nullptr) << "Sha256Hasher used after move";
  // OpenSSL's sha256 update only fails on a broken context, a programming
  // error rather than a condition a caller could handle.
  CHECK_EQ(EVP_DigestUpdate(ctx_, data.data(), data.size()), 1);
}

Digest Sha256Hasher::Finish() {
  CHECK(ctx_ != nullptr) << "Sha256Hasher used after move";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CHECK_EQ(EVP_DigestFinal_ex(ctx_, md, &len), 1);
  CHECK_EQ(len, 32u);
  CHECK_EQ(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr), 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0xf]);
  }
  return Digest(std::move(hex));
}

Digest Sha256Of(absl::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

Digest ChainId(const std::vector<Digest>& diff_ids) {
  CHECK(!diff_ids.empty()) << "ChainId of an empty layer stack";
  Digest chain = diff_ids.front();
  for (size_t i = 1; i < diff_ids.size(); ++i) {
    chain =
        Sha256Of(absl::StrCat(chain.ToString(), " ", diff_ids[i].ToString()));
  }
  return chain;
}

}  // namespace berth
