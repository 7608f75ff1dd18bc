// artidx: the command-line front end. It only wires: it parses arguments (with CLI11, through
// cli/command.h), calls the indexer or the lookup library, and prints; everything it does is
// available from the libraries. The verbs live in the files cli/verbs.h names.

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/verbs.h"
#include "common/strings.h"

namespace artidx::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: artidx [--store DIR|s3://BUCKET[/PREFIX]] [--cache DIR] VERB [ARGS]

Indexes JavaScript artifact bundles and looks files up in them.

verbs:
  add          add bundles to the indexes of projects and a release
  rm           remove a bundle from every index that names it, and from the store
  compact      merge each index's segments into one
  gc           remove bundles past their retention, clean up after crashed writers
  hold, unhold keep a bundle from gc, or no longer
  ls           list bundles newest first, or a project's releases
  verify       check every index, archive and reference of the store
  rebuild      regenerate every index from the archives and the record of adds and removals
  export       write an index as the JSON of Sentry's RFC 0106
  import       add the bundles such a JSON names
  lookup       find the bundles and files for a URL or a debug id
  cat          print the bytes of the file a lookup finds first
  inspect      show what an index holds
  make-bundle  make a bundle from a directory of JavaScript and source maps
  serve        serve the store over HTTP (Sentry's artifact-lookup API, for Symbolicator)

The store is --store DIR, else $ARTIDX_STORE, else ./artidx-store. A store may be on any
S3-compatible object store, s3://BUCKET[/PREFIX], configured from the environment as AWS
tools are (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, ...); its
segments and archives are copied to a local cache, --cache DIR, else $ARTIDX_CACHE, else
$XDG_CACHE_HOME/artidx or ~/.cache/artidx, of at most --cache-max-bytes N bytes (default: no
limit; least recently used copies go first).
Run `artidx VERB --help` for a verb's options. Exit status: 0 success (lookup: found),
1 lookup found nothing, 2 error.
)";

int Run(const StoreFlags& at, const std::string& verb, const std::vector<std::string>& tokens) {
  struct Verb {
    const char* name;
    bool needs_store;  // all but those that create a store or need none
    int (*run)(const StoreFlags& at, const std::vector<std::string>& tokens);
  };
  static constexpr Verb kVerbs[] = {
      {"add", false, Add},
      {"rm", true, Rm},
      {"compact", true, Compact},
      {"gc", true, Gc},
      {"hold", true,
       [](const StoreFlags& a, const std::vector<std::string>& t) { return Hold(a, t, true); }},
      {"unhold", true,
       [](const StoreFlags& a, const std::vector<std::string>& t) { return Hold(a, t, false); }},
      {"ls", true, Ls},
      {"export", true, Export},
      {"verify", true, Verify},
      {"rebuild", true, Rebuild},
      {"import", false, Import},
      {"lookup", true, Lookup},
      {"cat", true, Cat},
      {"inspect", false, Inspect},
      {"make-bundle", false,
       [](const StoreFlags&, const std::vector<std::string>& t) { return MakeBundle(t); }},
      {"serve", false, Serve},
  };
  for (const Verb& v : kVerbs) {
    if (verb != v.name) continue;
    // Asking for help needs no store.
    const bool help = std::find_if(tokens.begin(), tokens.end(), [](const std::string& t) {
                        return t == "--help" || t == "-h";
                      }) != tokens.end();
    if (v.needs_store && !help) RequireStore(at);
    return v.run(at, tokens);
  }
  std::cerr << "artidx: unknown verb \"" << verb << "\"\n" << kUsage;
  return kExitError;
}

int Main(int argc, char** argv) {
  // The flags before the verb (the last one given counts).
  Args args = ParseArgs("", kUsage,
                        {{"store", FlagSpec::kRepeated},
                         {"cache", FlagSpec::kRepeated},
                         {"cache-max-bytes", FlagSpec::kRepeated}},
                        std::vector<std::string>(argv + 1, argv + argc), true);
  for (const char* flag : {"store", "cache"}) {
    for (const std::string& value : args.All(flag)) {
      if (value.empty()) Fail(StrCat("--", flag, " is empty"));
    }
  }
  StoreFlags at;
  at.root = args.Get("store");
  if (at.root.empty()) {
    const char* env = std::getenv("ARTIDX_STORE");
    at.root = env != nullptr && *env != '\0' ? env : "artidx-store";
  }
  at.cache.dir = args.Get("cache");
  if (args.Has("cache-max-bytes")) {
    at.cache.max_bytes = ParseInt("cache-max-bytes", args.Get("cache-max-bytes"), 0, INT64_MAX);
  }
  if (args.positional.empty()) {
    std::cerr << kUsage;
    return kExitError;
  }
  const std::string& verb = args.positional[0];
  std::vector<std::string> tokens(args.positional.begin() + 1, args.positional.end());
  if (verb == "help" && !tokens.empty()) return Run(at, tokens[0], {"--help"});  // help VERB
  if (verb == "help") {
    std::cout << kUsage;
    return 0;
  }
  return Run(at, verb, tokens);
}

}  // namespace
}  // namespace artidx::cli

int main(int argc, char** argv) { return artidx::cli::Main(argc, argv); }
