#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {
namespace {

std::string ReadAll(ByteSource& source, size_t chunk) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    absl::StatusOr<size_t> n = source.Read(buf.data(), chunk);
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(ByteStreamTest, StringSourceReadsInChunksThenEof) {
  StringSource source("hello world");
  EXPECT_EQ(ReadAll(source, 3), "hello world");
  char c;
  EXPECT_EQ(*source.Read(&c, 1), 0u);
}

TEST(ByteStreamTest, FdSourceAndSinkThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FdSink sink(fds[1]);
  ASSERT_TRUE(sink.Write("through ").ok());
  ASSERT_TRUE(sink.Write("a pipe").ok());
  close(fds[1]);
  FdSource source(fds[0]);
  EXPECT_EQ(ReadAll(source, 4), "through a pipe");
  close(fds[0]);
}

TEST(ByteStreamTest, FdSourceOnBadFdFails) {
  FdSource source(-1);
  char c;
  EXPECT_FALSE(source.Read(&c, 1).ok());
}

TEST(ByteStreamTest, StringSinkAppends) {
  StringSink sink;
  ASSERT_TRUE(sink.Write("ab").ok());
  ASSERT_TRUE(sink.Write(absl::string_view("c\0d", 3)).ok());
  EXPECT_EQ(sink.data(), std::string("abc\0d", 5));
}

}  // namespace
}  // namespace berth
