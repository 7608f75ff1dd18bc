// ReadFile: the bounded read of a whole local file, for the files artidx is given (bundles to
// add, a tokens file, a JSON to import) and, through store/file_util.h, the store's own. Errors
// name the path and the system's reason.
//
// Thread-safe: no shared state.

#ifndef ARTIDX_COMMON_FILE_H_
#define ARTIDX_COMMON_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace artidx::common {

// Reads the whole file. NotFound when it does not exist; InvalidArgument when it is not a
// regular file; ResourceExhausted when it is larger than max_bytes.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_bytes);

}  // namespace artidx::common

#endif  // ARTIDX_COMMON_FILE_H_
