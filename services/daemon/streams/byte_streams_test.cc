#include <deque>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/daemon/streams/grpc_bytes.h"
#include "services/daemon/streams/job_bytes.h"

namespace berth {
namespace {

struct FakeMessage {
  std::string data;
  std::string* mutable_data() { return &data; }
};

struct FakeStream {
  std::deque<std::string> chunks;
  bool Read(FakeMessage* message) {
    if (chunks.empty()) return false;
    message->data = chunks.front();
    chunks.pop_front();
    return true;
  }
};

std::string ReadAll(ByteSource& source, size_t step) {
  std::string out;
  std::string buf(step, '\0');
  while (true) {
    absl::StatusOr<size_t> n = source.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(StreamSourceTest, JoinsMessagesAndSkipsEmptyOnes) {
  FakeStream stream{{"ab", "", "cde", "f"}};
  StreamSource<FakeStream, FakeMessage> source(&stream);
  EXPECT_EQ(ReadAll(source, 2), "abcdef");
  // The end stays the end.
  char c;
  EXPECT_EQ(*source.Read(&c, 1), 0u);
}

TEST(ChunkSinkTest, SendsWholeChunksThenTheRestOnFlush) {
  std::vector<std::string> sent;
  ChunkSink sink([&](std::string chunk) {
    sent.push_back(std::move(chunk));
    return true;
  });
  std::string big(ChunkSink::kChunkSize + 10, 'x');
  ASSERT_TRUE(sink.Write(big).ok());
  ASSERT_TRUE(sink.Write("yz").ok());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], big);
  ASSERT_TRUE(sink.Flush().ok());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], "yz");
  // Nothing left: nothing sent.
  ASSERT_TRUE(sink.Flush().ok());
  EXPECT_EQ(sent.size(), 2u);
}

TEST(ChunkSinkTest, AGoneReceiverIsCancelled) {
  ChunkSink sink([](std::string) { return false; });
  ASSERT_TRUE(sink.Write("x").ok());
  EXPECT_EQ(sink.Flush().code(), absl::StatusCode::kCancelled);
}

class ChunkInput : public InputStream {
 public:
  explicit ChunkInput(std::deque<std::string> chunks)
      : chunks_(std::move(chunks)) {}
  bool Read(std::string* chunk) override {
    if (chunks_.empty()) return false;
    *chunk = chunks_.front();
    chunks_.pop_front();
    return true;
  }

 private:
  std::deque<std::string> chunks_;
};

TEST(JobBytesTest, StdinInAndStdoutOut) {
  ChunkInput in({"hel", "", "lo"});
  StringOutput out, err;
  Job job("x", {}, Env(), &out, &err, &in);
  JobStdinSource source(job);
  EXPECT_EQ(ReadAll(source, 4), "hello");
  JobStdoutSink sink(job);
  ASSERT_TRUE(sink.Write("tar").ok());
  EXPECT_EQ(out.data(), "tar");
  job.set_cancelled([] { return true; });
  EXPECT_EQ(sink.Write("more").code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(out.data(), "tar");
}

}  // namespace
}  // namespace berth
