// Copyright artidx authors.
//
// query.h: decodes an HTTP request target (RFC 9112 origin-form, "/path?query") into its
// percent-decoded path and its query parameters, in order, repeated names kept (Symbolicator
// repeats `debug_id` and `url`). Nothing from the client is trusted: the target, the number of
// parameters and every decoded byte are bounded and checked, and a malformed target is an
// InvalidArgument naming the problem, never a crash (fuzz/query_fuzz.cc).
//
// Thread safety: functions only; Target is a plain value.
//
// Usage:
//   absl::StatusOr<server::Target> t =
//   server::ParseTarget("/v1/lookup?project=web&url=%7E%2Fa.js"); if (t.ok()) for (std::string_view
//   u : t->All("url")) ...;  // "~/a.js"

#ifndef ARTIDX_SERVER_QUERY_H_
#define ARTIDX_SERVER_QUERY_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace artidx::server {

// Limits of a request target.
inline constexpr size_t kMaxTargetBytes = 32 * 1024;
inline constexpr size_t kMaxParams = 512;

struct Target {
  std::string raw_path;  // the path as sent, before percent-decoding
  std::string path;      // percent-decoded
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order

  // Every value of parameter `name`, in order.
  std::vector<std::string_view> All(std::string_view name) const;
  // The value of a parameter given at most once: nullopt when absent; InvalidArgument when it
  // is repeated.
  absl::StatusOr<std::optional<std::string_view>> Single(std::string_view name) const;
};

// Splits `target` at its first '?', percent-decodes the path and each `name=value` of the query
// (separated by '&'; '+' is a space in the query; a parameter without '=' has an empty value;
// empty parameters are skipped). InvalidArgument when the target is empty, longer than
// kMaxTargetBytes, does not start with '/', holds a '#', a bad %-escape, more than kMaxParams
// parameters, or decodes to a control character (U+0000-U+001F, U+007F) or invalid UTF-8.
absl::StatusOr<Target> ParseTarget(std::string_view target);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_QUERY_H_
