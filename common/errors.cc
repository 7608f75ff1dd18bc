#include "common/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"

namespace artidx {
namespace {

constexpr char kPayloadUrl[] = "type.artidx.dev/error-kind";

}  // namespace

absl::Status WithKind(absl::Status status, ErrorKind kind) {
  status.SetPayload(kPayloadUrl, absl::Cord(std::to_string(static_cast<int>(kind))));
  return status;
}

ErrorKind GetErrorKind(const absl::Status& status) {
  if (status.ok()) return ErrorKind::kNone;
  if (absl::optional<absl::Cord> tag = status.GetPayload(kPayloadUrl)) {
    const std::string text(*tag);
    if (text.size() == 1 && text[0] >= '1' && text[0] <= '6') {
      return static_cast<ErrorKind>(text[0] - '0');
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return ErrorKind::kInvalidArgument;
    case absl::StatusCode::kDataLoss:
      return ErrorKind::kCorruptIndex;
    default:
      return ErrorKind::kOther;
  }
}

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "ok";
    case ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case ErrorKind::kNoSuchIndex:
      return "no_such_index";
    case ErrorKind::kCorruptIndex:
      return "corrupt_index";
    case ErrorKind::kArchiveMissing:
      return "archive_missing";
    case ErrorKind::kEntryMissing:
      return "entry_missing";
    case ErrorKind::kOther:
      break;
  }
  return "other";
}

}  // namespace artidx
