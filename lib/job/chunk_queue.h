#ifndef BERTH_LIB_JOB_CHUNK_QUEUE_H_
#define BERTH_LIB_JOB_CHUNK_QUEUE_H_

#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "lib/job/job.h"

namespace berth {

// A bounded hand-off of stdin chunks from a producer thread to a job.
// Bounded so a slow job pushes back on its caller instead of buffering a
// whole upload in memory.
class ChunkQueue : public InputStream {
 public:
  explicit ChunkQueue(size_t capacity = 8) : capacity_(capacity) {}

  // Blocks while full. Returns false once the reader has abandoned it.
  bool Push(std::string chunk);
  // No more chunks will come.
  void Close();
  bool Read(std::string* chunk) override;
  // Pending and future chunks are dropped; a blocked Read or Push returns.
  void Abandon() override;

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<std::string> chunks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_CHUNK_QUEUE_H_
