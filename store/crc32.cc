#include "store/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace artidx::store {
namespace {

// zlib's, for what is left after folding and on CPUs without carry-less multiplication.
uint32_t TableCrc32(uint32_t crc, std::string_view data) {
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), std::numeric_limits<uInt>::max());
    crc = static_cast<uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n)));
    data.remove_prefix(n);
  }
  return crc;
}

#if defined(__x86_64__)

#define ARTIDX_CLMUL __attribute__((target("pclmul,sse4.1")))

ARTIDX_CLMUL inline __m128i Load(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// x·k folded onto `next`: each 64-bit half of x multiplied by its constant (k's halves).
ARTIDX_CLMUL inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(
      _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

// The CRC state (inverted CRC) after `size` bytes, a multiple of 16 and at least 64, as in
// Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ": four 128-bit lanes
// are folded forward 512 bits at a time, then onto one another, then 128 bits at a time; the
// last 128 bits are reduced to 64, then to 32 by Barrett reduction. The constants are powers
// of x modulo the polynomial, bit-reflected.
ARTIDX_CLMUL uint32_t FoldCrc32(uint32_t state, const char* p, size_t size) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);     // x^(512+64±32)
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);     // x^(128+64±32)
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);                  // x^64
  const __m128i barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);  // mu, P
  const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
  __m128i x1 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(static_cast<int>(state)));
  __m128i x2 = Load(p + 16), x3 = Load(p + 32), x4 = Load(p + 48);
  for (p += 64, size -= 64; size >= 64; p += 64, size -= 64) {
    x1 = Fold(x1, k1k2, Load(p));
    x2 = Fold(x2, k1k2, Load(p + 16));
    x3 = Fold(x3, k1k2, Load(p + 32));
    x4 = Fold(x4, k1k2, Load(p + 48));
  }
  x1 = Fold(Fold(Fold(x1, k3k4, x2), k3k4, x3), k3k4, x4);
  for (; size >= 16; p += 16, size -= 16) x1 = Fold(x1, k3k4, Load(p));
  __m128i t = _mm_clmulepi64_si128(x1, k3k4, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
  t = _mm_srli_si128(x1, 4);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00), t);
  t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
}

bool HasClmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}

#endif

}  // namespace

uint32_t Crc32(uint32_t crc, std::string_view data) {
#if defined(__x86_64__)
  if (data.size() >= 64 && HasClmul()) {
    const size_t folded = data.size() & ~size_t{15};
    crc = ~FoldCrc32(~crc, data.data(), folded);
    data.remove_prefix(folded);
  }
#endif
  return TableCrc32(crc, data);
}

}  // namespace artidx::store
