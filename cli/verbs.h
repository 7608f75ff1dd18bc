// The verbs of the CLI, each in the file of its group (bundles in and out: add.cc; lookups:
// lookup.cc; ls.cc; upkeep: maintain.cc; serve.cc) with its help text beside it. Each parses its
// arguments
// (`tokens`: those after the verb) with ParseArgs, calls the indexer or the lookup library,
// prints, and returns the exit status; usage and other errors exit through Fail.
//
// Thread safety: for the CLI's one thread.

#ifndef ARTIDX_CLI_VERBS_H_
#define ARTIDX_CLI_VERBS_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace artidx::cli {

// add.cc
int Add(const StoreFlags& at, const std::vector<std::string>& tokens);
int Import(const StoreFlags& at, const std::vector<std::string>& tokens);
int Export(const StoreFlags& at, const std::vector<std::string>& tokens);
int MakeBundle(const std::vector<std::string>& tokens);

// lookup.cc
int Lookup(const StoreFlags& at, const std::vector<std::string>& tokens);
int Cat(const StoreFlags& at, const std::vector<std::string>& tokens);
int Inspect(const StoreFlags& at, const std::vector<std::string>& tokens);

// ls.cc
int Ls(const StoreFlags& at, const std::vector<std::string>& tokens);

// maintain.cc
int Rm(const StoreFlags& at, const std::vector<std::string>& tokens);
int Compact(const StoreFlags& at, const std::vector<std::string>& tokens);
int Gc(const StoreFlags& at, const std::vector<std::string>& tokens);
int Hold(const StoreFlags& at, const std::vector<std::string>& tokens, bool hold);
int Verify(const StoreFlags& at, const std::vector<std::string>& tokens);
int Rebuild(const StoreFlags& at, const std::vector<std::string>& tokens);

// serve.cc
int Serve(const StoreFlags& at, const std::vector<std::string>& tokens);

}  // namespace artidx::cli

#endif  // ARTIDX_CLI_VERBS_H_
