// Tagging of errors with an artidx::ErrorKind (include/artidx/types.h) where the absl code
// alone does not tell them apart: three different things are "not found".

#ifndef ARTIDX_COMMON_ERRORS_H_
#define ARTIDX_COMMON_ERRORS_H_

#include "absl/status/status.h"
#include "artidx/types.h"

namespace artidx {

// `status` with `kind` attached, so that GetErrorKind returns it.
absl::Status WithKind(absl::Status status, ErrorKind kind);

}  // namespace artidx

#endif  // ARTIDX_COMMON_ERRORS_H_
