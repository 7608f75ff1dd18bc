// Sha1Digest: a SHA-1 digest (FIPS 180-4, computed by OpenSSL's libcrypto) and its two textual
// forms. artidx needs SHA-1 for compatibility only: Sentry names a bundle without a manifest
// `debug_id` by the SHA-1 hex of its archive, the store names archives by that same digest, and
// index files hold it raw (20 bytes). Not used for anything security-relevant.
//
// Usage:
//   Sha1Digest d = Sha1Digest::Of(archive_bytes);
//   std::string name = d.Hex() + ".zip";              // 40 lowercase hex digits
//   std::optional<Sha1Digest> back = Sha1Digest::FromHex(name.substr(0, 40));
//
// Plain data (a std::array of the 20 digest bytes, compared bytewise); thread-safe.

#ifndef ARTIDX_COMMON_SHA1_H_
#define ARTIDX_COMMON_SHA1_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artidx {

struct Sha1Digest : std::array<uint8_t, 20> {
  // The digest of `data`.
  static Sha1Digest Of(std::string_view data);
  // From exactly 40 lowercase hex digits (the only form artidx writes); nullopt otherwise.
  static std::optional<Sha1Digest> FromHex(std::string_view hex);
  // From exactly 20 raw bytes; nullopt otherwise.
  static std::optional<Sha1Digest> FromRaw(std::string_view raw);

  // 40 lowercase hex digits.
  std::string Hex() const;
  // The 20 bytes, viewing this digest.
  std::string_view Raw() const { return {reinterpret_cast<const char*>(data()), size()}; }
};

}  // namespace artidx

#endif  // ARTIDX_COMMON_SHA1_H_
