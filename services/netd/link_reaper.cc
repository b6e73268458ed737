#include "services/netd/link_reaper.h"

#include "glog/logging.h"

namespace berth::netd {

LinkReaper::LinkReaper(Netlink* netlink)
    : netlink_(netlink), thread_(&LinkReaper::Run, this) {}

LinkReaper::~LinkReaper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void LinkReaper::Delete(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (pending_.insert(name).second) queue_.push_back(name);
}

void LinkReaper::AwaitGone(const std::string& name) {
  struct Args {
    LinkReaper* self;
    const std::string* name;
  } args{this, &name};
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Args* args) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return !args->self->pending_.contains(*args->name);
      },
      &args));
}

void LinkReaper::Run() {
  for (;;) {
    std::string name;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](LinkReaper* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;
      name = queue_.front();
      queue_.pop_front();
    }
    absl::Status deleted = netlink_->DeleteLink(name);
    // Gone already: its namespace went first and took the pair with it.
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      LOG(WARNING) << "netd: delete " << name << ": " << deleted;
    }
    VLOG(1) << "netd: deleted " << name;
    absl::MutexLock lock(&mu_);
    pending_.erase(name);
  }
}

}  // namespace berth::netd
