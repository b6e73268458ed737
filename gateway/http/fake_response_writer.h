#ifndef BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_
#define BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gateway/http/response_writer.h"

namespace berth::gateway {

// Records what a handler wrote, for handler and router tests that need no
// socket.
class FakeResponseWriter : public ResponseWriter {
 public:
  void Send(int status, const Headers& headers, std::string body) override {
    responded_ = true;
    this->status = status;
    this->headers = headers;
    this->body = std::move(body);
  }
  bool StartStream(int status, const Headers& headers) override {
    responded_ = true;
    streaming = true;
    this->status = status;
    this->headers = headers;
    return !client_gone;
  }
  bool Write(absl::string_view chunk) override {
    if (client_gone) return false;
    chunks.emplace_back(chunk);
    body.append(chunk.data(), chunk.size());
    return true;
  }
  void EndStream() override { ended = true; }
  bool ClientGone() override { return client_gone; }
  bool responded() const override { return responded_; }

  std::string Header(absl::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (absl::EqualsIgnoreCase(key, name)) return value;
    }
    return "";
  }

  int status = 0;
  Headers headers;
  std::string body;
  std::vector<std::string> chunks;
  bool streaming = false;
  bool ended = false;
  // Set by a test to simulate a client that hung up.
  bool client_gone = false;

 private:
  bool responded_ = false;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_
