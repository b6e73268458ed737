#include "services/daemon/containers/container_names.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth {

std::string RandomId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 8; ++i) {
    absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  }
  return id;
}

absl::Status ValidateContainerName(absl::string_view name) {
  absl::string_view bare = absl::StripPrefix(name, "/");
  bool valid = bare.size() >= 2 && absl::ascii_isalnum(bare[0]);
  for (size_t i = 1; valid && i < bare.size(); ++i) {
    char c = bare[i];
    valid = absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid container name (", name,
                     "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  return absl::OkStatus();
}

std::string RandomContainerName(int attempt) {
  static constexpr const char* kAdjectives[] = {
      "brave",  "calm",  "eager",  "fervent", "gallant",  "happy",
      "jolly",  "keen",  "lucid",  "modest",  "nifty",    "quirky",
      "serene", "stoic", "tender", "vibrant", "wizardly", "zealous"};
  static constexpr const char* kNames[] = {
      "babbage", "curie",    "dijkstra", "euler",   "hopper",  "knuth",
      "lamport", "lovelace", "noether",  "ritchie", "shannon", "thompson",
      "turing",  "wozniak",  "hamilton", "liskov",  "perlman", "torvalds"};
  thread_local std::mt19937 random(std::random_device{}());
  std::string name =
      absl::StrCat(kAdjectives[random() % std::size(kAdjectives)], "_",
                   kNames[random() % std::size(kNames)]);
  // As docker does once a name is taken: digits on the end, here as many
  // as it takes for the space to outgrow the containers.
  for (int i = 0; i < attempt; ++i) absl::StrAppend(&name, random() % 10);
  return name;
}

}  // namespace berth
