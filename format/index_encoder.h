// EncodeIndex turns an IndexContent into the bytes of an index file (SPEC.md). The encoding is
// canonical: equal content gives byte-identical files whatever the order of its bundles and
// files, which is what makes adds commutative down to the bytes.
//
// Thread-safe: a pure function.

#ifndef ARTIDX_FORMAT_INDEX_ENCODER_H_
#define ARTIDX_FORMAT_INDEX_ENCODER_H_

#include <string>

#include "absl/status/statusor.h"
#include "format/index_content.h"

namespace artidx::format {

// Fails with InvalidArgument on two bundles with one id, two files with one path in a bundle,
// or content past the format's u32 limits.
[[nodiscard]] absl::StatusOr<std::string> EncodeIndex(IndexContent content);

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_ENCODER_H_
