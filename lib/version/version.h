#ifndef BERTH_LIB_VERSION_VERSION_H_
#define BERTH_LIB_VERSION_VERSION_H_

#include "lib/version/build_info.h"

namespace berth {

inline constexpr char kVersion[] = "0.1.0";
// The Docker Engine API versions the gateway serves. 1.43 is Docker 24's:
// the newest whose behaviour berth implements.
inline constexpr char kApiVersion[] = "1.43";
inline constexpr char kMinApiVersion[] = "1.24";

}  // namespace berth

#endif  // BERTH_LIB_VERSION_VERSION_H_
