#include "services/daemon/image/digest.h"

#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash_testing.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

constexpr char kEmptyHex[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcHex[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// The chain ID reference in these tests goes through OpenSSL's one-shot
// SHA256 and hand-built strings, not through the code under test.
std::string ReferenceSha256(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : md) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

Digest MustParse(const std::string& s) {
  absl::StatusOr<Digest> d = Digest::Parse(s);
  EXPECT_TRUE(d.ok()) << d.status();
  return *d;
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Of("").hex(), kEmptyHex);
  EXPECT_EQ(Sha256Of("abc").hex(), kAbcHex);
  EXPECT_EQ(Sha256Of("abc").ToString(), std::string("sha256:") + kAbcHex);
  EXPECT_EQ(Sha256Of("abc").algorithm(), "sha256");
}

TEST(Sha256Test, IncrementalMatchesOneShot) {
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("");
  hasher.Update("bc");
  EXPECT_EQ(hasher.Finish().hex(), kAbcHex);
  // Finish starts the hasher over.
  EXPECT_EQ(hasher.Finish().hex(), kEmptyHex);
}

TEST(Sha256Test, HandlesEmbeddedNulAndLargeInput) {
  std::string data(1 << 20, '\0');
  data[12345] = 'x';
  Sha256Hasher hasher;
  for (size_t i = 0; i < data.size(); i += 4096) {
    hasher.Update(absl::string_view(data).substr(i, 4096));
  }
  EXPECT_EQ(hasher.Finish().ToString(), ReferenceSha256(data));
}

TEST(Sha256Test, MovedHasherKeepsState) {
  Sha256Hasher a;
  a.Update("ab");
  Sha256Hasher b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.Finish().hex(), kAbcHex);
}

TEST(DigestTest, ParseRoundTrip) {
  Digest d = MustParse(std::string("sha256:") + kAbcHex);
  EXPECT_EQ(d.hex(), kAbcHex);
  EXPECT_EQ(d.ToString(), std::string("sha256:") + kAbcHex);
  EXPECT_EQ(d.Short(), "ba7816bf8f01");
  EXPECT_EQ(d, Sha256Of("abc"));
}

TEST(DigestTest, ParseErrors) {
  const std::string hex = kAbcHex;
  for (const std::string& bad : {
           std::string(""),
           std::string("sha256"),
           std::string("sha256:"),
           hex,
           ":" + hex,
           "sha512:" + hex,
           "SHA256:" + hex,
           "sha256:" + hex.substr(0, 63),
           "sha256:" + hex + "0",
           "sha256:" + std::string(64, 'A'),
           "sha256:" + std::string(63, 'a') + "g",
           " sha256:" + hex,
       }) {
    absl::StatusOr<Digest> d = Digest::Parse(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("invalid digest"))
        << bad;
  }
}

TEST(DigestTest, ParseErrorReasons) {
  const std::string hex = kAbcHex;
  EXPECT_THAT(std::string(Digest::Parse("sha512:" + hex).status().message()),
              HasSubstr("unsupported digest algorithm"));
  EXPECT_THAT(std::string(Digest::Parse("sha256:abc").status().message()),
              HasSubstr("invalid checksum digest length"));
  EXPECT_THAT(std::string(Digest::Parse("nocolon").status().message()),
              HasSubstr("invalid checksum digest format"));
}

TEST(DigestTest, ComparisonAndHash) {
  Digest a = MustParse("sha256:" + std::string(64, 'a'));
  Digest b = MustParse("sha256:" + std::string(64, 'b'));
  EXPECT_LT(a, b);
  EXPECT_LE(a, a);
  EXPECT_GT(b, a);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, MustParse("sha256:" + std::string(64, 'a')));
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly(
      {a, b, Sha256Of(""), Sha256Of("abc")}));
  absl::flat_hash_set<Digest> set = {a, b, a};
  EXPECT_EQ(set.size(), 2u);
}

TEST(ChainIdTest, SingleLayerIsItsDiffId) {
  Digest l0 = Sha256Of("layer0");
  EXPECT_EQ(ChainId({l0}), l0);
}

TEST(ChainIdTest, ThreeLayers) {
  Digest l0 = Sha256Of("layer0");
  Digest l1 = Sha256Of("layer1");
  Digest l2 = Sha256Of("layer2");
  std::string c0 = l0.ToString();
  std::string c1 = ReferenceSha256(c0 + " " + l1.ToString());
  std::string c2 = ReferenceSha256(c1 + " " + l2.ToString());
  EXPECT_EQ(ChainId({l0, l1}).ToString(), c1);
  EXPECT_EQ(ChainId({l0, l1, l2}).ToString(), c2);
  // Order matters.
  EXPECT_NE(ChainId({l2, l1, l0}).ToString(), c2);
}

}  // namespace
}  // namespace berth
