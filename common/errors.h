// Tagging of errors with an artidx::ErrorKind (include/artidx/types.h) where the absl code
// alone does not tell them apart: three different things are "not found".

#ifndef ARTIDX_COMMON_ERRORS_H_
#define ARTIDX_COMMON_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"
#include "artidx/types.h"

namespace artidx {

// `status` with `kind` attached, so that GetErrorKind returns it.
absl::Status WithKind(absl::Status status, ErrorKind kind);

// `status` with its message replaced by `message`, keeping its code and its kind.
absl::Status WithMessage(const absl::Status& status, std::string_view message);

}  // namespace artidx

#endif  // ARTIDX_COMMON_ERRORS_H_
