// The plumbing every verb of the CLI shares: exit statuses, failing with one line on stderr, and
// the parse of a command line with CLI11 (verb flags, `--flag VALUE` and `--flag=VALUE` options,
// positionals, -h/--help) into Args, with artidx's own one-line messages for CLI11's errors.
//
// Thread safety: for the CLI's one thread; Fail and a --help exit the process.

#ifndef ARTIDX_CLI_COMMAND_H_
#define ARTIDX_CLI_COMMAND_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "artidx/types.h"

namespace artidx::cli {

inline constexpr int kExitFound = 0, kExitNotFound = 1, kExitError = 2;

// Prints "artidx: <message>" as one line on stderr and exits with kExitError.
[[noreturn]] void Fail(std::string_view message);

// Fails with the status's message unless it is OK.
void Check(const absl::Status& s);

// The store a verb works on, from the flags before the verb: --store (a directory or
// s3://BUCKET[/PREFIX]) and, for a store on S3, --cache and --cache-max-bytes.
struct StoreFlags {
  std::string root;
  CacheOptions cache;
};

// A store is a location that an add has written to: it holds bundles/ or projects/. Every
// verb but add and import (which create one) needs one, so that a mistyped --store is an
// error, not an empty store that looks healthy.
void RequireStore(const StoreFlags& at);

// The integer `value` of --flag, within [min, max], or a failure naming the flag.
int64_t ParseInt(std::string_view flag, const std::string& value, int64_t min, int64_t max);

// What a command line may hold besides positionals: `--name` (and `-s` when `short_name` is
// set) as a flag without a value, an option with one value given at most once, or one
// given any number of times.
struct FlagSpec {
  enum Kind { kFlag, kValue, kRepeated };
  std::string name;
  Kind kind;
  char short_name = 0;
};

// A parsed command line: the flags given, with their values in order, and the positionals.
class Args {
 public:
  bool Has(std::string_view flag) const { return flags_.find(flag) != flags_.end(); }
  // The flag's (last) value, or `fallback` when it was not given.
  std::string Get(std::string_view flag, std::string fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> All(std::string_view flag) const;

  std::vector<std::string> positional;

 private:
  friend Args ParseArgs(std::string_view, std::string_view, const std::vector<FlagSpec>&,
                        const std::vector<std::string>&, bool);
  std::map<std::string, std::vector<std::string>, std::less<>> flags_;
};

// Parses `tokens` (the arguments after the verb) with CLI11. -h or --help prints `help` to
// stdout and exits 0 (what follows it is not looked at). Usage errors fail with a line naming
// `verb` (when not empty) and the flag: unknown option, a value missing or given to a flag,
// an option given twice. With `stop_at_positional` (the command line before the verb), the
// first positional and everything after it, and any unknown option, are left in `positional`
// in order.
Args ParseArgs(std::string_view verb, std::string_view help, const std::vector<FlagSpec>& flags,
               const std::vector<std::string>& tokens, bool stop_at_positional = false);

}  // namespace artidx::cli

#endif  // ARTIDX_CLI_COMMAND_H_
