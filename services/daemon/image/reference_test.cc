#include "services/daemon/image/reference.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/daemon/image/digest.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

const std::string& Hex() {
  static const std::string* hex = new std::string(Sha256Of("x").hex());
  return *hex;
}

std::string DigestString() { return "sha256:" + Hex(); }

Reference MustParse(absl::string_view s) {
  absl::StatusOr<Reference> ref = ParseNormalizedNamed(s);
  EXPECT_TRUE(ref.ok()) << s << ": " << ref.status();
  return ref.ok() ? *ref : Reference{};
}

void ExpectInvalid(absl::string_view s, absl::string_view message) {
  absl::StatusOr<Reference> ref = ParseNormalizedNamed(s);
  ASSERT_FALSE(ref.ok()) << s << " parsed as " << ref->String();
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ref.status().message(), message) << s;
}

// Each case: input, String(), FamiliarString(), FamiliarName().
struct NormalizationCase {
  std::string input;
  std::string full;
  std::string familiar;
  std::string familiar_name;
};

void ExpectNormalizes(const NormalizationCase& c) {
  Reference ref = MustParse(c.input);
  EXPECT_EQ(ref.String(), c.full) << c.input;
  EXPECT_EQ(ref.FamiliarString(), c.familiar) << c.input;
  EXPECT_EQ(ref.FamiliarName(), c.familiar_name) << c.input;
}

TEST(ParseNormalizedNamedTest, OfficialImage) {
  Reference ref = MustParse("busybox");
  EXPECT_EQ(ref.domain, "docker.io");
  EXPECT_EQ(ref.path, "library/busybox");
  EXPECT_EQ(ref.tag, "");
  EXPECT_FALSE(ref.digest.has_value());
  EXPECT_EQ(ref.Name(), "docker.io/library/busybox");
  ExpectNormalizes(
      {"busybox", "docker.io/library/busybox", "busybox", "busybox"});
}

TEST(ParseNormalizedNamedTest, OfficialImageWithTag) {
  Reference ref = MustParse("busybox:1.36");
  EXPECT_EQ(ref.tag, "1.36");
  ExpectNormalizes({"busybox:1.36", "docker.io/library/busybox:1.36",
                    "busybox:1.36", "busybox"});
}

TEST(ParseNormalizedNamedTest, LibraryPrefix) {
  ExpectNormalizes(
      {"library/busybox", "docker.io/library/busybox", "busybox", "busybox"});
}

TEST(ParseNormalizedNamedTest, FullyQualified) {
  ExpectNormalizes({"docker.io/library/busybox:latest",
                    "docker.io/library/busybox:latest", "busybox:latest",
                    "busybox"});
}

TEST(ParseNormalizedNamedTest, DockerIoWithoutLibrary) {
  ExpectNormalizes(
      {"docker.io/busybox", "docker.io/library/busybox", "busybox", "busybox"});
}

TEST(ParseNormalizedNamedTest, LegacyIndexDomain) {
  Reference ref = MustParse("index.docker.io/busybox");
  EXPECT_EQ(ref.domain, "docker.io");
  ExpectNormalizes({"index.docker.io/busybox", "docker.io/library/busybox",
                    "busybox", "busybox"});
  ExpectNormalizes({"index.docker.io/user/repo", "docker.io/user/repo",
                    "user/repo", "user/repo"});
}

TEST(ParseNormalizedNamedTest, UserRepository) {
  Reference ref = MustParse("user/repo:tag");
  EXPECT_EQ(ref.domain, "docker.io");
  EXPECT_EQ(ref.path, "user/repo");
  EXPECT_EQ(ref.tag, "tag");
  ExpectNormalizes({"user/repo:tag", "docker.io/user/repo:tag", "user/repo:tag",
                    "user/repo"});
}

TEST(ParseNormalizedNamedTest, Localhost) {
  Reference ref = MustParse("localhost/foo");
  EXPECT_EQ(ref.domain, "localhost");
  EXPECT_EQ(ref.path, "foo");
  ExpectNormalizes(
      {"localhost/foo", "localhost/foo", "localhost/foo", "localhost/foo"});
}

TEST(ParseNormalizedNamedTest, DomainWithPort) {
  Reference ref = MustParse("localhost:5000/a/b:c");
  EXPECT_EQ(ref.domain, "localhost:5000");
  EXPECT_EQ(ref.path, "a/b");
  EXPECT_EQ(ref.tag, "c");
  ExpectNormalizes({"localhost:5000/a/b:c", "localhost:5000/a/b:c",
                    "localhost:5000/a/b:c", "localhost:5000/a/b"});
  // Without a tag, the port's ':' is not taken for one.
  EXPECT_EQ(MustParse("localhost:5000/a").tag, "");
}

TEST(ParseNormalizedNamedTest, DomainWithDigest) {
  Reference ref = MustParse("example.com/x/y@" + DigestString());
  EXPECT_EQ(ref.domain, "example.com");
  EXPECT_EQ(ref.path, "x/y");
  EXPECT_EQ(ref.tag, "");
  ASSERT_TRUE(ref.digest.has_value());
  EXPECT_EQ(ref.digest->hex(), Hex());
  ExpectNormalizes({"example.com/x/y@" + DigestString(),
                    "example.com/x/y@" + DigestString(),
                    "example.com/x/y@" + DigestString(), "example.com/x/y"});
}

TEST(ParseNormalizedNamedTest, TagAndDigest) {
  Reference ref = MustParse("name:tag@" + DigestString());
  EXPECT_EQ(ref.tag, "tag");
  ASSERT_TRUE(ref.digest.has_value());
  ExpectNormalizes({"name:tag@" + DigestString(),
                    "docker.io/library/name:tag@" + DigestString(),
                    "name:tag@" + DigestString(), "name"});
}

TEST(ParseNormalizedNamedTest,
     FirstComponentIsDomainOnlyWithDotColonOrLocalhost) {
  EXPECT_EQ(MustParse("foo/bar").domain, "docker.io");
  EXPECT_EQ(MustParse("foo.com/bar").domain, "foo.com");
  EXPECT_EQ(MustParse("foo:80/bar").domain, "foo:80");
  EXPECT_EQ(MustParse("localhost/bar").domain, "localhost");
  EXPECT_EQ(MustParse("localhostx/bar").domain, "docker.io");
}

TEST(ParseNormalizedNamedTest, UppercaseFirstComponentIsDomain) {
  // Current distribution/reference: an uppercase first component cannot be
  // a path, so it is a domain, and domains may hold uppercase.
  Reference ref = MustParse("Foo/bar");
  EXPECT_EQ(ref.domain, "Foo");
  EXPECT_EQ(ref.path, "bar");
  EXPECT_EQ(MustParse("Example.COM/x").domain, "Example.COM");
}

TEST(ParseNormalizedNamedTest, Ipv6Domain) {
  Reference ref = MustParse("[::1]:5000/foo:bar");
  EXPECT_EQ(ref.domain, "[::1]:5000");
  EXPECT_EQ(ref.path, "foo");
  EXPECT_EQ(ref.tag, "bar");
}

TEST(ParseNormalizedNamedTest, DeepLibraryPathKeepsPrefixInFamiliarName) {
  ExpectNormalizes(
      {"library/a/b", "docker.io/library/a/b", "library/a/b", "library/a/b"});
}

TEST(ParseNormalizedNamedTest, InvalidDomainFallsBackToPath) {
  // Like Docker: "a_b.com" looks like a domain but is not one, and the
  // whole name is a valid path.
  Reference ref = MustParse("a_b.com/x");
  EXPECT_EQ(ref.domain, "");
  EXPECT_EQ(ref.path, "a_b.com/x");
  EXPECT_EQ(ref.Name(), "a_b.com/x");
  EXPECT_EQ(ref.FamiliarName(), "a_b.com/x");
}

TEST(ParseNormalizedNamedTest, PathComponentSeparators) {
  for (const char* ok :
       {"a.b", "a_b", "a__b", "a-b", "a---b", "a1.b2-c3_d4", "0", "a/b/c/d"}) {
    MustParse(ok);
  }
  for (const char* bad :
       {"a..b", "a___b", "a._b", "a.-b", "-a", ".a", "_a", "a.", "a_"}) {
    ExpectInvalid(bad, "invalid reference format");
  }
}

TEST(ParseNormalizedNamedTest, TagGrammar) {
  EXPECT_EQ(MustParse("a:_x").tag, "_x");
  EXPECT_EQ(MustParse("a:V1.2-rc_3").tag, "V1.2-rc_3");
  ExpectInvalid("a:.x", "invalid reference format");
  ExpectInvalid("a:-x", "invalid reference format");
  ExpectInvalid("a:x:y", "invalid reference format");
  ExpectInvalid("a:x/y", "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesUppercase) {
  ExpectInvalid("Busybox",
                "invalid reference format: repository name (library/Busybox) "
                "must be lowercase");
  ExpectInvalid("user/Repo:tag",
                "invalid reference format: repository name (user/Repo) must "
                "be lowercase");
  ExpectInvalid("localhost:5000/Foo",
                "invalid reference format: repository name (Foo) must be "
                "lowercase");
  // Uppercase is fine in a tag.
  EXPECT_EQ(MustParse("busybox:LATEST").tag, "LATEST");
}

TEST(ParseNormalizedNamedTest, RefusesEmpty) {
  ExpectInvalid("", "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesEmptyTag) {
  ExpectInvalid("a:", "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesEmptyName) {
  ExpectInvalid(":tag", "invalid reference format");
  ExpectInvalid("@" + DigestString(), "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesEmptyPathComponent) {
  ExpectInvalid("a//b", "invalid reference format");
  ExpectInvalid("a/", "invalid reference format");
  ExpectInvalid("example.com/", "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesTrailingSeparator) {
  ExpectInvalid("busybox-", "invalid reference format");
  ExpectInvalid("user/repo-:tag", "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesHexName) {
  ExpectInvalid(Hex(), "invalid repository name (" + Hex() +
                           "), cannot specify 64-byte hexadecimal strings");
  // Only exactly 64 hex digits are an ID; with a tag it is a name.
  EXPECT_EQ(MustParse(Hex() + ":tag").path, "library/" + Hex());
  EXPECT_EQ(MustParse(Hex().substr(0, 12)).path,
            "library/" + Hex().substr(0, 12));
}

TEST(ParseNormalizedNamedTest, RefusesTooLongTag) {
  EXPECT_EQ(MustParse("a:" + std::string(128, 't')).tag.size(), 128u);
  ExpectInvalid("a:" + std::string(129, 't'), "invalid reference format");
}

TEST(ParseNormalizedNamedTest, RefusesTooLongName) {
  // The limit applies to the normalized name, "docker.io/library/" included.
  std::string at_limit(255 - std::string("docker.io/library/").size(), 'a');
  EXPECT_EQ(MustParse(at_limit).Name().size(), 255u);
  ExpectInvalid(at_limit + "a",
                "repository name must not be more than 255 characters");
}

TEST(ParseNormalizedNamedTest, RefusesBadDigest) {
  ExpectInvalid("busybox@sha256:abc", "invalid reference format");
  ExpectInvalid("busybox@" + DigestString() + "@" + DigestString(),
                "invalid reference format");
  absl::StatusOr<Reference> ref =
      ParseNormalizedNamed("busybox@sha256:" + Hex().substr(0, 32));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ref.status().message()),
              HasSubstr("invalid checksum digest length"));
  ref = ParseNormalizedNamed("busybox@sha512:" + Hex() + Hex());
  ASSERT_FALSE(ref.ok());
  EXPECT_THAT(std::string(ref.status().message()),
              HasSubstr("unsupported digest algorithm"));
}

TEST(WithDefaultTagTest, AddsLatestToBareName) {
  Reference ref = WithDefaultTag(MustParse("busybox"));
  EXPECT_EQ(ref.tag, "latest");
  EXPECT_EQ(ref.String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ref.FamiliarString(), "busybox:latest");
}

TEST(WithDefaultTagTest, KeepsTag) {
  EXPECT_EQ(WithDefaultTag(MustParse("busybox:1.36")).tag, "1.36");
}

TEST(WithDefaultTagTest, KeepsDigestOnly) {
  Reference ref = WithDefaultTag(MustParse("busybox@" + DigestString()));
  EXPECT_EQ(ref.tag, "");
  EXPECT_EQ(ref.String(), "docker.io/library/busybox@" + DigestString());
}

TEST(LooksLikeImageIdTest, FullAndShortForms) {
  EXPECT_TRUE(LooksLikeImageId(Hex()));
  EXPECT_TRUE(LooksLikeImageId(DigestString()));
  EXPECT_TRUE(LooksLikeImageId(Hex().substr(0, 12)));
  EXPECT_TRUE(LooksLikeImageId("a"));
  EXPECT_TRUE(LooksLikeImageId("sha256:" + Hex().substr(0, 12)));
}

TEST(LooksLikeImageIdTest, RejectsNonIds) {
  EXPECT_FALSE(LooksLikeImageId(""));
  EXPECT_FALSE(LooksLikeImageId("sha256:"));
  EXPECT_FALSE(LooksLikeImageId(Hex() + "0"));
  EXPECT_FALSE(LooksLikeImageId("ABCDEF"));
  EXPECT_FALSE(LooksLikeImageId("busybox"));
  EXPECT_FALSE(LooksLikeImageId("abc:tag"));
  EXPECT_FALSE(LooksLikeImageId("sha512:abc"));
}

class ResolveIdPrefixTest : public ::testing::Test {
 protected:
  const std::vector<std::string> ids_ = {
      "abcdef" + std::string(58, '0'),
      "abc123" + std::string(58, '1'),
      "ff" + std::string(62, '2'),
  };
};

TEST_F(ResolveIdPrefixTest, UniqueMatch) {
  EXPECT_EQ(ResolveIdPrefix("abcd", ids_).value(), ids_[0]);
  EXPECT_EQ(ResolveIdPrefix("f", ids_).value(), ids_[2]);
  EXPECT_EQ(ResolveIdPrefix(ids_[1], ids_).value(), ids_[1]);
}

TEST_F(ResolveIdPrefixTest, AcceptsSha256Prefix) {
  EXPECT_EQ(ResolveIdPrefix("sha256:abc1", ids_).value(), ids_[1]);
  EXPECT_EQ(ResolveIdPrefix("sha256:" + ids_[2], ids_).value(), ids_[2]);
  // IDs listed with the prefix still come back as bare hex.
  EXPECT_EQ(ResolveIdPrefix("ff", {"sha256:" + ids_[2]}).value(), ids_[2]);
}

TEST_F(ResolveIdPrefixTest, NoMatch) {
  absl::StatusOr<std::string> id = ResolveIdPrefix("abd", ids_);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(id.status().message(), "No such image: abd");
  EXPECT_EQ(ResolveIdPrefix("abc", {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ResolveIdPrefixTest, Ambiguous) {
  absl::StatusOr<std::string> id = ResolveIdPrefix("abc", ids_);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("ambiguous"));
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("abc"));
}

TEST_F(ResolveIdPrefixTest, DuplicateIdIsNotAmbiguous) {
  EXPECT_EQ(ResolveIdPrefix("ff", {ids_[2], "sha256:" + ids_[2]}).value(),
            ids_[2]);
}

TEST_F(ResolveIdPrefixTest, EmptyPrefix) {
  EXPECT_EQ(ResolveIdPrefix("", ids_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveIdPrefix("sha256:", ids_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
