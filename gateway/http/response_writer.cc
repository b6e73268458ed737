#include "gateway/http/response_writer.h"

#include <utility>

namespace berth::gateway {

std::string JsonBody(const nlohmann::json& body) {
  std::string out =
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

void ResponseWriter::SendJson(int status, const nlohmann::json& body) {
  Send(status, {{"Content-Type", "application/json"}}, JsonBody(body));
}

void ResponseWriter::SendError(int status, absl::string_view message) {
  SendJson(status, nlohmann::json{{"message", std::string(message)}});
}

}  // namespace berth::gateway
