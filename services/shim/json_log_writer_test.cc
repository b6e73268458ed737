#include "services/shim/json_log_writer.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace berth {
namespace {

std::vector<nlohmann::json> Records(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<nlohmann::json> out;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(JsonLogWriterTest, WritesWholeLinesPerStream) {
  testing::TempDir dir;
  absl::StatusOr<JsonLogWriter> log =
      JsonLogWriter::Open({.path = dir.Join("c.log")});
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE(log->Write(1, "hel").ok());
  ASSERT_TRUE(log->Write(2, "oops\n").ok());
  ASSERT_TRUE(log->Write(1, "lo\nwor").ok());
  ASSERT_TRUE(log->Flush().ok());
  std::vector<nlohmann::json> records = Records(dir.Join("c.log"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["log"], "oops\n");
  EXPECT_EQ(records[0]["stream"], "stderr");
  EXPECT_EQ(records[1]["log"], "hello\n");
  EXPECT_EQ(records[1]["stream"], "stdout");
  EXPECT_EQ(records[2]["log"], "wor");
  std::string time = records[1]["time"];
  EXPECT_LE(time.size(), 30u) << time;
  EXPECT_GE(time.size(), 20u) << time;
  EXPECT_EQ(time.back(), 'Z');
}

TEST(JsonLogWriterTest, CutsLongLines) {
  testing::TempDir dir;
  absl::StatusOr<JsonLogWriter> log =
      JsonLogWriter::Open({.path = dir.Join("c.log")});
  ASSERT_TRUE(log.ok());
  std::string line(40000, 'x');
  ASSERT_TRUE(log->Write(1, line + "\n").ok());
  std::vector<nlohmann::json> records = Records(dir.Join("c.log"));
  ASSERT_EQ(records.size(), 3u);
  std::string joined;
  for (auto& r : records) joined += r["log"].get<std::string>();
  EXPECT_EQ(joined, line + "\n");
  EXPECT_EQ(records[0]["log"].get<std::string>().size(),
            JsonLogWriter::kMaxLineBytes);
}

TEST(JsonLogWriterTest, EscapesControlAndInvalidUtf8) {
  testing::TempDir dir;
  absl::StatusOr<JsonLogWriter> log =
      JsonLogWriter::Open({.path = dir.Join("c.log")});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log->Write(1, std::string("a\"\\\t\x01<\xff\xc3\xa9\n")).ok());
  std::vector<nlohmann::json> records = Records(dir.Join("c.log"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["log"], "a\"\\\t\x01<\xEF\xBF\xBD\xC3\xA9\n");
}

TEST(JsonLogWriterTest, RotatesKeepingMaxFiles) {
  testing::TempDir dir;
  std::string path = dir.Join("c.log");
  absl::StatusOr<JsonLogWriter> log =
      JsonLogWriter::Open({.path = path, .max_size = 200, .max_files = 3});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(log->Write(1, "line " + std::to_string(i) + "\n").ok());
  }
  EXPECT_TRUE(ReadFile(path + ".1").ok());
  EXPECT_TRUE(ReadFile(path + ".2").ok());
  EXPECT_FALSE(ReadFile(path + ".3").ok());
  std::vector<nlohmann::json> live = Records(path);
  ASSERT_FALSE(live.empty());
  EXPECT_EQ(live.back()["log"], "line 19\n");
  EXPECT_LE(ReadFile(path)->size(), 200u);
}

}  // namespace
}  // namespace berth
