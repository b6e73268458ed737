#include "lib/testing/temp_dir.h"

#include <stdlib.h>

#include <filesystem>

#include "glog/logging.h"

namespace berth::testing {

TempDir::TempDir() {
  std::string templ = "/tmp/berth-test-XXXXXX";
  CHECK(mkdtemp(templ.data()) != nullptr) << "mkdtemp failed";
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace berth::testing
