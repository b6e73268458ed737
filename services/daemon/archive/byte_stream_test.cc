#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/tee_source.h"

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

// A sink that fails once it has taken `limit` bytes.
class LimitedSink : public ByteSink {
 public:
  explicit LimitedSink(size_t limit) : limit_(limit) {}
  absl::Status Write(absl::string_view data) override {
    if (taken_.size() + data.size() > limit_) {
      return absl::ResourceExhaustedError("sink full");
    }
    taken_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  const std::string& taken() const { return taken_; }

 private:
  size_t limit_;
  std::string taken_;
};

TEST(ByteStreamTest, TeeSourceCopiesWhatIsReadAndDrainsTheRest) {
  StringSource in("layer bytes, then the rest");
  StringSink copy;
  TeeSource tee(&in, &copy);
  char buf[5];
  ASSERT_EQ(*tee.Read(buf, sizeof(buf)), 5u);
  EXPECT_EQ(std::string(buf, 5), "layer");
  EXPECT_EQ(copy.data(), "layer");
  ASSERT_TRUE(tee.Drain().ok());
  EXPECT_EQ(copy.data(), "layer bytes, then the rest");
  EXPECT_EQ(*tee.Read(buf, sizeof(buf)), 0u);
}

TEST(ByteStreamTest, TeeSourceFailsTheReadWhenTheCopyFails) {
  StringSource in("0123456789");
  LimitedSink copy(4);
  TeeSource tee(&in, &copy);
  char buf[8];
  absl::StatusOr<size_t> n = tee.Read(buf, sizeof(buf));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace berth
