#include "services/daemon/store/reference_store.h"

#include "absl/time/clock.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "nlohmann/json.hpp"

namespace berth {

absl::Status ReferenceStore::Load() {
  absl::StatusOr<std::string> text = ReadFile(path_);
  if (!text.ok()) {
    return text.status().code() == absl::StatusCode::kNotFound
               ? absl::OkStatus()
               : text.status();
  }
  nlohmann::json in = nlohmann::json::parse(*text, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return absl::DataLossError(path_ + " is not valid JSON");
  }
  absl::MutexLock lock(&mu_);
  nlohmann::json refs = JsonObject(in, "Refs");
  for (const auto& [ref_text, id_text] : refs.items()) {
    if (!id_text.is_string()) continue;
    absl::StatusOr<Reference> ref = ParseNormalizedNamed(ref_text);
    absl::StatusOr<Digest> id = Digest::Parse(id_text.get<std::string>());
    if (ref.ok() && id.ok())
      refs_.insert_or_assign(ref_text, std::make_pair(*ref, *id));
  }
  nlohmann::json times = JsonObject(in, "TagTimes");
  for (const auto& [id_text, nanos] : times.items()) {
    if (!nanos.is_number_integer()) continue;
    absl::StatusOr<Digest> id = Digest::Parse(id_text);
    if (id.ok()) tagged_at_[*id] = absl::FromUnixNanos(nanos.get<int64_t>());
  }
  return absl::OkStatus();
}

absl::Status ReferenceStore::SaveLocked() {
  nlohmann::json refs = nlohmann::json::object();
  for (const auto& [text, entry] : refs_) refs[text] = entry.second.ToString();
  nlohmann::json times = nlohmann::json::object();
  for (const auto& [id, time] : tagged_at_) {
    times[id.ToString()] = absl::ToUnixNanos(time);
  }
  return WriteFileAtomic(
      path_, nlohmann::json{{"Refs", refs}, {"TagTimes", times}}.dump(), 0600);
}

absl::StatusOr<std::optional<Digest>> ReferenceStore::Add(const Reference& ref,
                                                          const Digest& id) {
  absl::MutexLock lock(&mu_);
  std::string key = ref.String();
  std::optional<Digest> previous;
  auto it = refs_.find(key);
  if (it != refs_.end() && it->second.second != id)
    previous = it->second.second;
  refs_.insert_or_assign(key, std::make_pair(ref, id));
  tagged_at_[id] = absl::Now();
  BERTH_RETURN_IF_ERROR(SaveLocked());
  return previous;
}

absl::Status ReferenceStore::Delete(const Reference& ref) {
  absl::MutexLock lock(&mu_);
  if (refs_.erase(ref.String()) == 0) {
    return absl::NotFoundError("No such image: " + ref.FamiliarString());
  }
  return SaveLocked();
}

std::optional<Digest> ReferenceStore::Get(const Reference& ref) const {
  absl::MutexLock lock(&mu_);
  auto it = refs_.find(ref.String());
  if (it == refs_.end()) return std::nullopt;
  return it->second.second;
}

std::vector<Reference> ReferenceStore::RefsOf(const Digest& id) const {
  absl::MutexLock lock(&mu_);
  std::vector<Reference> out;
  for (const auto& [text, entry] : refs_) {
    if (entry.second == id) out.push_back(entry.first);
  }
  return out;
}

absl::flat_hash_map<Digest, std::vector<Reference>> ReferenceStore::ByImage()
    const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<Digest, std::vector<Reference>> out;
  for (const auto& [text, entry] : refs_)
    out[entry.second].push_back(entry.first);
  return out;
}

std::optional<absl::Time> ReferenceStore::LastTagTime(const Digest& id) const {
  absl::MutexLock lock(&mu_);
  auto it = tagged_at_.find(id);
  if (it == tagged_at_.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth
