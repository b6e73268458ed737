#ifndef BERTH_LIB_JOB_JOB_H_
#define BERTH_LIB_JOB_JOB_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "lib/job/env.h"

namespace berth {

// Where a job writes its stdout or stderr. Implementations are safe to call
// from any thread, one call at a time per job.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual void Write(absl::string_view data) = 0;
};

// A job's stdin. Read returns false at end of input.
class InputStream {
 public:
  virtual ~InputStream() = default;
  virtual bool Read(std::string* chunk) = 0;
  // The reader wants no more input: a Read blocked in another thread
  // returns false. Input that cannot block needs nothing here.
  virtual void Abandon() {}
};

// A named unit of work: the seed's engine.Job, minus the engine pointer
// (handlers that run other jobs are given a dispatcher explicitly).
class Job {
 public:
  Job(std::string name, std::vector<std::string> args, Env env,
      OutputStream* out, OutputStream* err, InputStream* in)
      : name_(std::move(name)),
        args_(std::move(args)),
        env_(std::move(env)),
        stdout_(out),
        stderr_(err),
        stdin_(in) {}

  const std::string& name() const { return name_; }
  const std::vector<std::string>& args() const { return args_; }
  const Env& env() const { return env_; }
  Env& mutable_env() { return env_; }
  OutputStream& Stdout() { return *stdout_; }
  OutputStream& Stderr() { return *stderr_; }
  InputStream& Stdin() { return *stdin_; }

  // True once whoever asked for the job has gone away; long-running jobs
  // (event streams) poll it.
  bool Cancelled() const { return cancelled_ && cancelled_(); }
  void set_cancelled(std::function<bool()> cancelled) {
    cancelled_ = std::move(cancelled);
  }

 private:
  std::string name_;
  std::vector<std::string> args_;
  Env env_;
  OutputStream* stdout_;
  OutputStream* stderr_;
  InputStream* stdin_;
  std::function<bool()> cancelled_;
};

// Collects output in memory.
class StringOutput : public OutputStream {
 public:
  void Write(absl::string_view data) override {
    data_.append(data.data(), data.size());
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

// Input from a string given up front (empty for no stdin).
class StringInput : public InputStream {
 public:
  explicit StringInput(std::string data = "") : data_(std::move(data)) {}
  bool Read(std::string* chunk) override {
    if (done_ || data_.empty()) return false;
    *chunk = std::move(data_);
    done_ = true;
    return true;
  }

 private:
  std::string data_;
  bool done_ = false;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_JOB_H_
