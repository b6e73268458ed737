#ifndef BERTH_LIB_TESTING_TEMP_DIR_H_
#define BERTH_LIB_TESTING_TEMP_DIR_H_

#include <string>

namespace berth::testing {

// A fresh directory under /tmp, removed with everything in it when this
// object goes away. Not under TEST_TMPDIR: unix socket paths must stay
// shorter than 108 bytes, and Bazel's test tmpdir is deeper than that.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace berth::testing

#endif  // BERTH_LIB_TESTING_TEMP_DIR_H_
