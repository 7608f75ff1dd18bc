// Helpers shared by the tests: scratch directories, running the real CLI, the paths of the
// fixtures in ../shared, and the small synthetic bundles and store snapshots that several
// tests compare.

#ifndef ARTIDX_TESTS_TESTING_H_
#define ARTIDX_TESTS_TESTING_H_

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace artidx::testing {

// A fresh empty directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs the built `artidx` binary with these arguments (no shell), capturing its output.
CommandResult RunCli(const std::vector<std::string>& args);

// Runs `artidx --store <store> args...`.
CommandResult Artidx(const std::string& store, std::vector<std::string> args);

// Every file and directory under `root`, by relative path, with the bytes of the files
// ("<dir>" for a directory); empty when `root` does not exist.
std::map<std::string, std::string> Tree(const std::string& root);

// n random lowercase hex digits (for names no other run uses, such as a test's S3 prefix).
std::string RandomHex(size_t n);

// A store of its own on the tests' loopback S3 server ($ARTIDX_TEST_S3_URL, which scripts/test
// sets): "<that URL>/<name>-<random hex>"; "" when the variable is not set.
std::string FreshS3Store(const std::string& name);

// In a test body or SetUp, given FreshS3Store's answer: without an S3 server, skips the test, or
// fails it when $ARTIDX_REQUIRE_S3 is set (as scripts/test does).
#define ARTIDX_SKIP_WITHOUT_S3(location)                                                \
  do {                                                                                  \
    if (!(location).empty()) break;                                                     \
    if (std::getenv("ARTIDX_REQUIRE_S3") != nullptr) FAIL() << "no ARTIDX_TEST_S3_URL"; \
    GTEST_SKIP() << "no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)";         \
  } while (false)

// Copies every key of store `from` into store `to` (each a directory or an s3:// URL, through
// the store's backend; `cache` is the local directory an S3 store needs), failing the test on
// error.
void CopyStore(const std::string& from, const std::string& to, const std::string& cache);

// The manifest debug_id (hence bundle id) of test bundle n, and the debug id of its files.
std::string IdOf(int n);
std::string FileIdOf(int n);

// Test bundle n: `~/static/app.js` (minified source, shared by every bundle) and
// `~/static/<own>.js` (a source map, own-<n> by default), both with debug id FileIdOf(n). A
// different `own` gives another archive of the same bundle id, and so does a `salt` appended
// to the files' bytes (the same urls).
std::string MakeBundle(int n, const std::string& own = "", const std::string& salt = "");

// The first capture group of every match of `pattern` in `text`, in order; BundleIds gives the
// "bundle_id" values of JSON output.
std::vector<std::string> Matches(const std::string& text, const std::string& pattern);
std::vector<std::string> BundleIds(const std::string& json);

// ../shared/fixtures/<relative>.
std::string FixturePath(const std::string& relative);

// Names the paths on which two Trees differ, for failure messages.
std::string TreeDiff(const std::map<std::string, std::string>& a,
                     const std::map<std::string, std::string>& b);

// The modification time of `path` in ms since the epoch; setting it (and the access time).
// Fail the test on error.
int64_t MtimeMs(const std::string& path);
void SetMtimeMs(const std::string& path, int64_t ms);

// Writes `data` to `path`, failing the test on error.
void WriteFileOrDie(const std::string& path, const std::string& data);
// Reads all of `path`, failing the test on error.
std::string ReadFileOrDie(const std::string& path);

// The paths of the live segments of index directory `dir` (store::ListSegments), sorted; empty
// when there is none.
std::vector<std::string> LiveSegmentPaths(const std::string& dir);

// The path of the one segment of index directory `dir`. Fails the test unless the directory
// holds exactly one file and it is a segment named by the digest of its bytes
// (store::SegmentName): what a small index is after every add or removal.
std::string OnlySegmentPath(const std::string& dir);

}  // namespace artidx::testing

#endif  // ARTIDX_TESTS_TESTING_H_
