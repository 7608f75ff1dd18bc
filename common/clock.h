// NowMs: the wall clock in milliseconds since the Unix epoch, the unit of every timestamp artidx
// stores (adds, removals, uses, tombstone horizons). The one reading of it outside tests.
//
// Thread-safe.

#ifndef ARTIDX_COMMON_CLOCK_H_
#define ARTIDX_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace artidx {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace artidx

#endif  // ARTIDX_COMMON_CLOCK_H_
