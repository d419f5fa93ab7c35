// infogeo — information-geometric measurements of learned representations.
// The single source of the library version: CMake reads these three macros.
#pragma once

#define INFOGEO_VERSION_MAJOR 0
#define INFOGEO_VERSION_MINOR 1
#define INFOGEO_VERSION_PATCH 0

#define INFOGEO_DETAIL_STR2(x) #x
#define INFOGEO_DETAIL_STR(x) INFOGEO_DETAIL_STR2(x)
#define INFOGEO_VERSION_STRING                                                                     \
  INFOGEO_DETAIL_STR(INFOGEO_VERSION_MAJOR)                                                        \
  "." INFOGEO_DETAIL_STR(INFOGEO_VERSION_MINOR) "." INFOGEO_DETAIL_STR(INFOGEO_VERSION_PATCH)

namespace infogeo {
/// The library version as "MAJOR.MINOR.PATCH".
inline constexpr const char* version_string = INFOGEO_VERSION_STRING;
}  // namespace infogeo
