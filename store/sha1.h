// SHA-1 (FIPS 180-4), for two compatibility needs only: Sentry names a bundle without a manifest
// `debug_id` by the SHA-1 hex of its archive, and the store names archives by that same digest.
// Not used for anything security-relevant.
//
// Thread-safe: a pure function.

#ifndef ARTIDX_STORE_SHA1_H_
#define ARTIDX_STORE_SHA1_H_

#include <string>
#include <string_view>

#include "format/index_content.h"

namespace artidx::store {

format::Sha1Digest Sha1(std::string_view data);
std::string HexDigest(const format::Sha1Digest& digest);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_SHA1_H_
