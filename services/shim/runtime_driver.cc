#include "services/shim/runtime_driver.h"

#include "services/shim/native_driver.h"
#include "services/shim/runc_driver.h"

namespace berth::shim {

std::unique_ptr<RuntimeDriver> MakeRuntimeDriver(const std::string& bundle,
                                                 const ShimConfig& config) {
  // ParseShimConfig accepts only these two.
  if (config.runtime == "oci") {
    return std::make_unique<RuncDriver>(bundle, config);
  }
  return std::make_unique<NativeDriver>();
}

}  // namespace berth::shim
