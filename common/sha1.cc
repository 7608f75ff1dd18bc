#include "common/sha1.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

namespace artidx {

Sha1Digest Sha1Digest::Of(std::string_view data) {
  Sha1Digest digest;
  unsigned int size = 0;
  // Fails only when libcrypto cannot allocate or has no SHA-1, neither of which a caller could
  // handle.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1 ||
      size != digest.size()) {
    std::abort();
  }
  return digest;
}

std::optional<Sha1Digest> Sha1Digest::FromHex(std::string_view hex) {
  if (hex.size() != 40) return std::nullopt;
  Sha1Digest digest;
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    uint8_t nibble;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<uint8_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<uint8_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    digest[i / 2] = static_cast<uint8_t>(i % 2 == 0 ? nibble << 4 : digest[i / 2] | nibble);
  }
  return digest;
}

std::optional<Sha1Digest> Sha1Digest::FromRaw(std::string_view raw) {
  if (raw.size() != 20) return std::nullopt;
  Sha1Digest digest;
  std::copy_n(raw.begin(), digest.size(), digest.begin());
  return digest;
}

std::string Sha1Digest::Hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (uint8_t b : *this) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace artidx
