#include "lib/job/chunk_queue.h"

namespace berth {

bool ChunkQueue::Push(std::string chunk) {
  absl::MutexLock lock(&mu_);
  auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return abandoned_ || chunks_.size() < capacity_;
  };
  mu_.Await(absl::Condition(&room));
  if (abandoned_) return false;
  chunks_.push_back(std::move(chunk));
  return true;
}

void ChunkQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

void ChunkQueue::Abandon() {
  absl::MutexLock lock(&mu_);
  abandoned_ = true;
  chunks_.clear();
}

bool ChunkQueue::Read(std::string* chunk) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return abandoned_ || closed_ || !chunks_.empty();
  };
  mu_.Await(absl::Condition(&ready));
  if (abandoned_ || chunks_.empty()) return false;
  *chunk = std::move(chunks_.front());
  chunks_.pop_front();
  return true;
}

}  // namespace berth
