#include "common/sha1.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace artidx {

Sha1Digest Sha1Digest::Of(std::string_view data) {
  // The implementation is fetched from libcrypto's providers once, and each thread reuses one
  // context: EVP_Digest with EVP_sha1() fetches (under a lock) and allocates on every call,
  // which cost more than hashing the few bytes of an index directory's name (Store::UrlIndex
  // names one per lookup).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  Sha1Digest digest;
  unsigned int size = 0;
  // Fails only when libcrypto cannot allocate or has no SHA-1, neither of which a caller could
  // handle.
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1 || size != digest.size()) {
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
