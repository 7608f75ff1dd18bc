// Little-endian fixed-width encoding. Every integer in an artidx file is little-endian and may
// be unaligned, so reads go through memcpy (one mov on x86-64 and arm64).

#ifndef ARTIDX_COMMON_CODING_H_
#define ARTIDX_COMMON_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace artidx::common {

static_assert(std::endian::native == std::endian::little,
              "artidx reads its files by memcpy and so needs a little-endian host");

template <typename T>
inline T Load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

template <typename T>
inline void Append(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
inline void Store(char* p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

}  // namespace artidx::common

#endif  // ARTIDX_COMMON_CODING_H_
