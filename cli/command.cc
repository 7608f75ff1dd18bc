#include "cli/command.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "common/text.h"
#include "store/layout.h"

namespace artidx::cli {
namespace {

// "--name" of a token "--name=value" (or of "--name", "-x").
std::string_view FlagName(std::string_view token) { return token.substr(0, token.find('=')); }

std::string Prefix(std::string_view verb) { return verb.empty() ? "" : StrCat(verb, ": "); }

}  // namespace

void Fail(std::string_view message) {
  std::cerr << "artidx: " << OneLine(message) << "\n";
  std::exit(kExitError);
}

void Check(const absl::Status& s) {
  if (!s.ok()) Fail(StdView(s.message()));
}

void RequireStore(const StoreFlags& at) {
  absl::StatusOr<bool> exists =
      store::Layout(store::OpenBackendOrFailing(at.root, {at.cache.dir, at.cache.max_bytes}))
          .Exists();
  Check(exists.status());
  if (!*exists) Fail(StrCat("no artidx store at ", at.root));
}

int64_t ParseInt(std::string_view flag, const std::string& value, int64_t min, int64_t max) {
  int64_t v;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    Fail(StrCat("--", flag, ": expected an integer from ", min, " to ", max, ", got \"", value,
                "\""));
  }
  return v;
}

std::string Args::Get(std::string_view flag, std::string fallback) const {
  auto it = flags_.find(flag);
  return it == flags_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::All(std::string_view flag) const {
  auto it = flags_.find(flag);
  return it == flags_.end() ? std::vector<std::string>{} : it->second;
}

Args ParseArgs(std::string_view verb, std::string_view help, const std::vector<FlagSpec>& flags,
               const std::vector<std::string>& tokens, bool stop_at_positional) {
  CLI::App app;
  app.set_help_flag();  // CLI11's help would print its own text: ours is `help`
  app.add_flag_callback("-h,--help", [] { throw CLI::CallForHelp(); })
      ->disable_flag_override()
      ->trigger_on_parse();
  app.allow_extras();
  app.prefix_command(stop_at_positional);
  std::vector<std::string> positional;
  if (!stop_at_positional) app.add_option("positional", positional);
  std::map<const CLI::Option*, const FlagSpec*> spec_of;
  for (const FlagSpec& f : flags) {
    const std::string names = StrCat(
        f.short_name != 0 ? StrCat("-", std::string(1, f.short_name), ",") : "", "--", f.name);
    CLI::Option* option = f.kind == FlagSpec::kFlag ? app.add_flag(names)->disable_flag_override()
                                                    : app.add_option(names)->expected(1);
    option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    spec_of[option] = &f;
  }
  // CLI11 reads "--name=" as "--name" followed by the next argument: it is an empty value.
  std::vector<std::string> args;
  for (const std::string& t : tokens) {
    const CLI::Option* option =
        t.starts_with("--") && t.ends_with("=") && t.find('=') == t.size() - 1
            ? app.get_option_no_throw(t.substr(0, t.size() - 1))
            : nullptr;
    auto spec = spec_of.find(option);
    if (option != nullptr && (spec == spec_of.end() || spec->second->kind == FlagSpec::kFlag)) {
      Fail(StrCat(Prefix(verb), t.substr(0, t.size() - 1), " takes no value"));
    }
    args.push_back(option != nullptr ? t.substr(0, t.size() - 1) : t);
    if (option != nullptr) args.emplace_back();
  }
  const std::vector<std::string> given = args;
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::cout << help;
    std::exit(0);
  } catch (const CLI::ArgumentMismatch&) {
    // A value missing (after the last argument) or given to a flag: the argument CLI11 was
    // reading is the last one it consumed.
    const std::string token =
        args.size() < given.size() ? given[given.size() - args.size() - 1] : "";
    const CLI::Option* option = app.get_option_no_throw(std::string(FlagName(token)));
    const std::string name = option != nullptr ? "--" + option->get_lnames().front() : token;
    auto spec = spec_of.find(option);
    const bool flag = spec == spec_of.end() || spec->second->kind == FlagSpec::kFlag;  // or help
    Fail(StrCat(Prefix(verb), name, flag ? " takes no value" : " needs a value"));
  } catch (const CLI::ParseError& e) {
    Fail(StrCat(Prefix(verb), e.what()));
  }
  Args result;
  if (stop_at_positional) {
    result.positional = app.remaining();
  } else {
    result.positional = std::move(positional);
    if (std::vector<std::string> unknown = app.remaining(); !unknown.empty()) {
      Fail(StrCat(Prefix(verb), "unknown option ", FlagName(unknown.front()), " (see --help)"));
    }
  }
  for (const CLI::Option* option : app.parse_order()) {
    auto spec = spec_of.find(option);
    if (spec == spec_of.end()) continue;
    std::vector<std::string>& values = result.flags_[spec->second->name];
    if (spec->second->kind != FlagSpec::kRepeated && !values.empty()) {
      Fail(StrCat(Prefix(verb), "--", spec->second->name, " given twice"));
    }
    values.push_back(spec->second->kind == FlagSpec::kFlag ? std::string()
                                                           : option->results()[values.size()]);
  }
  return result;
}

}  // namespace artidx::cli
