// The bad-input catalogue: hostile bundles and damaged index segments, each generated here and
// fed to the real CLI, which must answer with its clear error (exit 2, one line on stderr naming
// the input and the problem, the store unchanged) in bounded memory and time. The inputs that
// tests/bad_input_test.cc already covers are not repeated; where a case there is close, the
// variants here are the ones it lacks.
//
// Bounds: every CLI run here is measured (peak RSS and CPU time from wait4's rusage) and must
// stay within kMaxRssKib and kMaxCpuSeconds. Time is CPU time, enforced by RLIMIT_CPU on the
// CLI (SIGXCPU past it), not wall time: other processes on a loaded machine stretch a run on the
// wall clock but add nothing to its own CPU time, so the bound cannot flake (it is generous
// for ASan, which does add CPU time). The CLI is started through a small launcher process
// (this test binary re-executed, see LaunchAndMeasure) so that ru_maxrss is the CLI's own: a
// child started with fork or vfork inherits its parent's RSS high-water mark at exec, which
// would make the measurement include this test's own memory. Each test prints its peak figures.
//
//
// One file of more than 600 lines: every case runs through the one measuring launcher above;
// the catalogue is one list, and the hostile inputs are generated inline beside their checks.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bundle/bundle_writer.h"
#include "common/coding.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

extern char** environ;

namespace artidx {
namespace {

namespace fs = std::filesystem;
using ::artidx::testing::FixturePath;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;

// The bounds every CLI run must respect. Generous: each input's documented cap keeps it far below
// them, except where a test says otherwise.
constexpr long kMaxRssKib = 256 * 1024;  // 256 MiB
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr int kMaxCpuSeconds = 20;
// A run still going after this long on the wall clock is killed (and fails): a hang that uses
// no CPU (a blocked read, say) must not hang the suite. Far past any run's time on any machine.
constexpr int kKillSeconds = 600;

constexpr char kLaunchFlag[] = "--artidx-catalogue-launch";
constexpr char kDebugId[] = "2f259f80-58b7-44cb-d7cd-de1505e7e718";

// --- the launcher --------------------------------------------------------------------------------

// `<this test> --artidx-catalogue-launch RESULT_FILE CLI ARGS...` runs before main(): it forks,
// execs CLI with ARGS (inheriting stdin, stdout and stderr), waits with wait4, and writes
// "<exit code> <signal> <timed out> <ru_maxrss KiB> <CPU seconds>" to RESULT_FILE; the CLI
// runs under RLIMIT_CPU of kMaxCpuSeconds. Being a
// fresh, small process, its child's ru_maxrss measures the CLI alone.
__attribute__((constructor)) void LaunchAndMeasure(int argc, char** argv, char** /*envp*/) {
  if (argc < 4 || std::strcmp(argv[1], kLaunchFlag) != 0) return;
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const pid_t pid = fork();
  if (pid < 0) _exit(100);
  if (pid == 0) {
    const rlimit cpu = {kMaxCpuSeconds, kMaxCpuSeconds + 1};  // SIGXCPU, then SIGKILL
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) _exit(126);
    execv(argv[3], argv + 3);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  bool timed_out = false;
  for (;;) {
    const pid_t r = wait4(pid, &status, WNOHANG, &usage);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) _exit(101);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > kKillSeconds) {
      timed_out = true;
      kill(pid, SIGKILL);
      while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
      }
      break;
    }
    const timespec pause = {0, 1'000'000};  // 1 ms
    nanosleep(&pause, nullptr);
  }
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  FILE* out = std::fopen(argv[2], "w");
  if (out == nullptr) _exit(102);
  std::fprintf(out, "%d %d %d %ld %.6f\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
               WIFSIGNALED(status) ? WTERMSIG(status) : 0, timed_out ? 1 : 0, usage.ru_maxrss, cpu);
  std::fclose(out);
  _exit(0);
}

struct CliRun {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  long max_rss_kib = 0;
  double cpu_seconds = 0;
  std::string out, err;
};

// Runs the CLI with these arguments through the launcher.
CliRun RunMeasured(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string out_path = dir / "out", err_path = dir / "err", result_path = dir / "result";
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv_storage = {self, kLaunchFlag, result_path, ARTIDX_CLI};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0644);
  pid_t pid;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CliRun run;
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << self;
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "the launcher failed with status " << status;
    return run;
  }
  const std::string result = ReadFileOrDie(result_path);
  int timed_out = 0;
  if (std::sscanf(result.c_str(), "%d %d %d %ld %lf", &run.exit_code, &run.signal, &timed_out,
                  &run.max_rss_kib, &run.cpu_seconds) != 5) {
    ADD_FAILURE() << "unreadable launcher result: " << result;
  }
  run.timed_out = timed_out != 0;
  run.out = ReadFileOrDie(out_path);
  run.err = ReadFileOrDie(err_path);
  return run;
}

::testing::AssertionResult Contains(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << haystack.substr(0, 2000) << "\" does not contain \"" << needle << "\"";
}

// Every path under root (directories marked) with the content of every file.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!fs::exists(root, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), root).generic_string();
    files[rel] = it->is_directory() ? "<directory>" : ReadFileOrDie(it->path().string());
  }
  EXPECT_FALSE(ec) << ec.message();
  return files;
}

// Whether `line` is printable: no byte below 0x20 or equal to 0x7f, and valid UTF-8 as far as
// the error escaping guarantees (the CLI escapes invalid sequences as \xNN).
bool Printable(std::string_view line) {
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f || c == 0xff || c == 0xfe || c == 0xc0 || c == 0xc1) return false;
  }
  return true;
}

// --- zip archives, made byte by byte ---------------------------------------------------------

uint32_t Crc32(std::string_view data, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

struct RawEntry {
  std::string name;  // any bytes, NUL included
  std::string data;  // stored, uncompressed
  uint32_t mode = 0100644;
};

void AppendLocalHeader(std::string* out, std::string_view name, std::string_view data) {
  common::Append<uint32_t>(out, 0x04034b50);
  common::Append<uint16_t>(out, 20);    // version needed
  common::Append<uint16_t>(out, 0);     // flags
  common::Append<uint16_t>(out, 0);     // stored
  common::Append<uint16_t>(out, 0);     // time
  common::Append<uint16_t>(out, 0x21);  // date: 1980-01-01
  common::Append<uint32_t>(out, Crc32(data));
  common::Append<uint32_t>(out, static_cast<uint32_t>(data.size()));
  common::Append<uint32_t>(out, static_cast<uint32_t>(data.size()));
  common::Append<uint16_t>(out, static_cast<uint16_t>(name.size()));
  common::Append<uint16_t>(out, 0);  // extra length
  out->append(name);
  out->append(data);
}

void AppendCentralRecord(std::string* cd, std::string_view name, std::string_view data,
                         uint32_t mode, uint32_t local_offset) {
  common::Append<uint32_t>(cd, 0x02014b50);
  common::Append<uint16_t>(cd, 3 << 8 | 20);  // made by Unix, so the mode bits count
  common::Append<uint16_t>(cd, 20);
  common::Append<uint16_t>(cd, 0);
  common::Append<uint16_t>(cd, 0);
  common::Append<uint16_t>(cd, 0);
  common::Append<uint16_t>(cd, 0x21);
  common::Append<uint32_t>(cd, Crc32(data));
  common::Append<uint32_t>(cd, static_cast<uint32_t>(data.size()));
  common::Append<uint32_t>(cd, static_cast<uint32_t>(data.size()));
  common::Append<uint16_t>(cd, static_cast<uint16_t>(name.size()));
  common::Append<uint16_t>(cd, 0);  // extra
  common::Append<uint16_t>(cd, 0);  // comment
  common::Append<uint16_t>(cd, 0);  // disk
  common::Append<uint16_t>(cd, 0);  // internal attributes
  common::Append<uint32_t>(cd, mode << 16);
  common::Append<uint32_t>(cd, local_offset);
  cd->append(name);
}

// Appends the central directory and its end records (ZIP64 ones when there are more than 65,535
// entries).
void Finish(std::string* out, const std::string& cd, uint64_t entries) {
  const uint64_t cd_offset = out->size();
  out->append(cd);
  const bool zip64 = entries > 0xfffe;
  if (zip64) {
    const uint64_t zip64_eocd = out->size();
    common::Append<uint32_t>(out, 0x06064b50);
    common::Append<uint64_t>(out, 44);
    common::Append<uint16_t>(out, 45);
    common::Append<uint16_t>(out, 45);
    common::Append<uint32_t>(out, 0);
    common::Append<uint32_t>(out, 0);
    common::Append<uint64_t>(out, entries);
    common::Append<uint64_t>(out, entries);
    common::Append<uint64_t>(out, cd.size());
    common::Append<uint64_t>(out, cd_offset);
    common::Append<uint32_t>(out, 0x07064b50);
    common::Append<uint32_t>(out, 0);
    common::Append<uint64_t>(out, zip64_eocd);
    common::Append<uint32_t>(out, 1);
  }
  common::Append<uint32_t>(out, 0x06054b50);
  common::Append<uint16_t>(out, 0);
  common::Append<uint16_t>(out, 0);
  common::Append<uint16_t>(out, zip64 ? 0xffff : static_cast<uint16_t>(entries));
  common::Append<uint16_t>(out, zip64 ? 0xffff : static_cast<uint16_t>(entries));
  common::Append<uint32_t>(out, zip64 ? 0xffffffff : static_cast<uint32_t>(cd.size()));
  common::Append<uint32_t>(out, zip64 ? 0xffffffff : static_cast<uint32_t>(cd_offset));
  common::Append<uint16_t>(out, 0);
}

// A stored zip of exactly these entries: names and modes are written as given, which
// libarchive's writer (bundle::WriteZip) would not do for every one of them.
std::string HandMadeZip(const std::vector<RawEntry>& entries) {
  std::string out, cd;
  for (const RawEntry& e : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    AppendLocalHeader(&out, e.name, e.data);
    AppendCentralRecord(&cd, e.name, e.data, e.mode, offset);
  }
  Finish(&out, cd, entries.size());
  return out;
}

// --- zip archives, made with libarchive --------------------------------------------------------

// A deflated zip written straight to a file, for entries too large to hold in memory and for
// entry types bundle::WriteZip does not write.
class DeflatedZip {
 public:
  explicit DeflatedZip(const std::string& path)
      : a_(archive_write_new(), archive_write_free), e_(archive_entry_new(), archive_entry_free) {
    Check(archive_write_set_format_zip(a_.get()));
    Check(archive_write_zip_set_compression_deflate(a_.get()));
    Check(archive_write_open_filename(a_.get(), path.c_str()));
  }
  ~DeflatedZip() { Check(archive_write_close(a_.get())); }

  void Add(const std::string& name, std::string_view data) {
    Header(name, AE_IFREG, data.size());
    Write(data);
  }

  // An entry of `prefix`, then `count` copies of `unit`, then `suffix`, written in pieces.
  void AddRepeated(const std::string& name, std::string_view prefix, std::string_view unit,
                   uint64_t count, std::string_view suffix) {
    Header(name, AE_IFREG, prefix.size() + count * unit.size() + suffix.size());
    Write(prefix);
    std::string chunk;
    for (size_t i = 0; i < (size_t{1} << 20) / unit.size(); ++i) chunk.append(unit);
    const uint64_t per_chunk = chunk.size() / unit.size();
    for (uint64_t left = count; left > 0;) {
      const uint64_t n = std::min<uint64_t>(left, per_chunk);
      Write(std::string_view(chunk.data(), n * unit.size()));
      left -= n;
    }
    Write(suffix);
  }

  void AddSymlink(const std::string& name, const std::string& target) {
    archive_entry_clear(e_.get());
    archive_entry_set_pathname(e_.get(), name.c_str());
    archive_entry_set_filetype(e_.get(), AE_IFLNK);
    archive_entry_set_perm(e_.get(), 0777);
    archive_entry_set_symlink(e_.get(), target.c_str());
    archive_entry_set_mtime(e_.get(), 315532800, 0);
    Check(archive_write_header(a_.get(), e_.get()));
  }

 private:
  void Header(const std::string& name, mode_t type, uint64_t size) {
    archive_entry_clear(e_.get());
    archive_entry_set_pathname(e_.get(), name.c_str());
    archive_entry_set_filetype(e_.get(), type);
    archive_entry_set_perm(e_.get(), 0644);
    archive_entry_set_size(e_.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e_.get(), 315532800, 0);
    Check(archive_write_header(a_.get(), e_.get()));
  }
  void Write(std::string_view data) {
    if (data.empty()) return;
    const la_ssize_t n = archive_write_data(a_.get(), data.data(), data.size());
    EXPECT_EQ(n, static_cast<la_ssize_t>(data.size())) << archive_error_string(a_.get());
  }
  void Check(int r) {
    EXPECT_EQ(r, ARCHIVE_OK) << (archive_error_string(a_.get()) ? archive_error_string(a_.get())
                                                                : "libarchive error");
  }

  std::unique_ptr<struct archive, decltype(&archive_write_free)> a_;
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e_;
};

// --- manifests ---------------------------------------------------------------------------------

std::string GoodEntry(const std::string& zip_path, const std::string& url) {
  return StrCat("\"", zip_path, "\":{\"type\":\"minified_source\",\"url\":\"", url,
                "\",\"headers\":{\"debug-id\":\"", kDebugId, "\"}}");
}

// The manifest of one good file, files/a.js at ~/a.js.
std::string GoodManifest() {
  return StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a.js"), "}}");
}

// --- the fixture -------------------------------------------------------------------------------

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "store";
    // Something in the store, so that "unchanged" means something: one good bundle.
    bundle::BundleSpec spec;
    spec.files.push_back(
        {"~/base.js", FileType::kMinifiedSource, "base", *DebugId::Parse(kDebugId), std::nullopt});
    absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
    ASSERT_TRUE(bytes.ok());
    WriteFileOrDie(dir_ / "base.zip", *bytes);
    CliRun r = Measured({"--store", root_, "add", dir_ / "base.zip", "--project", "web",
                         "--release", "1.0", "--timestamp", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override {
    std::printf("[ bounds   ] %s: %d CLI runs, peak RSS %.1f MiB, slowest %.2f s of CPU\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(), runs_,
                static_cast<double>(peak_rss_kib_) / 1024, slowest_seconds_);
    RecordProperty("cli_runs", runs_);
    RecordProperty("peak_rss_kib", std::to_string(peak_rss_kib_));
    RecordProperty("slowest_run_cpu_ms",
                   std::to_string(static_cast<long>(slowest_seconds_ * 1000)));
  }

  // Runs the CLI measured, checking the bounds: no signal (SIGXCPU: over the CPU time), no
  // time-out, RSS within the limits (`max_rss_kib` when given).
  CliRun Measured(const std::vector<std::string>& args, long max_rss_kib = kMaxRssKib) {
    CliRun r = RunMeasured(args);
    ++runs_;
    peak_rss_kib_ = std::max(peak_rss_kib_, r.max_rss_kib);
    slowest_seconds_ = std::max(slowest_seconds_, r.cpu_seconds);
    std::string command;
    for (const std::string& a : args) command += " " + a.substr(0, 120);
    EXPECT_NE(r.signal, SIGXCPU) << "over " << kMaxCpuSeconds << " s of CPU time:" << command;
    EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << ":" << command;
    EXPECT_FALSE(r.timed_out) << "still running after " << kKillSeconds << " s:" << command;
    // AddressSanitizer's shadow memory and quarantine (256 MiB by default) inflate every
    // process it instruments: the memory bound is a property of the uninstrumented build.
    if (!kSanitized) {
      EXPECT_LE(r.max_rss_kib, max_rss_kib) << "peak RSS over the bound:" << command;
    }
    return r;
  }

  // Checks a refusal: exit 2, nothing on stdout, one printable line on stderr naming `names`
  // (unless empty) and `problem`.
  void ExpectOneLineError(const CliRun& r, const std::string& names, const std::string& problem) {
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err.substr(0, 2000);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("artidx: ", 0), 0u) << r.err.substr(0, 2000);
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n');
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
    EXPECT_TRUE(Printable(r.err.substr(0, r.err.size() - 1))) << r.err;
    if (!names.empty()) {
      EXPECT_TRUE(Contains(r.err, names));
    }
    EXPECT_TRUE(Contains(r.err, problem));
  }

  // `add <bundle> --project web --release 1.0 --timestamp 2000 <extra>` is refused for
  // `problem`, within the bounds, and leaves the store as it was.
  void ExpectRefused(const std::string& bundle, const std::string& problem,
                     const std::vector<std::string>& extra = {}, long max_rss_kib = kMaxRssKib) {
    SCOPED_TRACE(bundle);
    const auto before = Snapshot(root_);
    std::vector<std::string> args = {"--store", root_,       "add", bundle,        "--project",
                                     "web",     "--release", "1.0", "--timestamp", "2000"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun r = Measured(args, max_rss_kib);
    ExpectOneLineError(r, bundle, problem);
    EXPECT_TRUE(before == Snapshot(root_)) << "the store changed";
  }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ / name;
    WriteFileOrDie(path, bytes);
    return path;
  }

  // A zip (bundle::WriteZip, deflated, SYSB prefix) of these entries.
  std::string WriteZip(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
    absl::StatusOr<std::string> bytes = bundle::WriteZip(entries, /*sysb_prefix=*/true);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return Write(name, bytes.ok() ? *bytes : "");
  }

  // A zip of files/a.js and this manifest.
  std::string WithManifest(const std::string& name, const std::string& manifest) {
    return WriteZip(name, {{"files/a.js", "a"}, {"manifest.json", manifest}});
  }

  TempDir dir_;
  std::string root_;
  int runs_ = 0;
  long peak_rss_kib_ = 0;
  double slowest_seconds_ = 0;
};

// The floor of the measurements: the CLI answering a lookup on a small store.
TEST_F(CatalogueTest, BaselineLookup) {
  const CliRun r = Measured(
      {"--store", root_, "lookup", "--project", "web", "--release", "1.0", "--url", "~/base.js"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// --- the archive -------------------------------------------------------------------------------

// A 200 MiB manifest of spaces inside JSON, deflated to a few hundred KiB: reading stops at the
// manifest cap (64 MiB by default), and a lower --max-manifest-bytes lowers the memory with it.
TEST_F(CatalogueTest, ZipBombManifest) {
  const std::string bomb = dir_ / "bomb.zip";
  {
    DeflatedZip zip(bomb);
    zip.Add("files/a.js", "a");
    zip.AddRepeated("manifest.json", StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a.js"), "}"),
                    " ", uint64_t{200} << 20, "}");
  }
  const uint64_t size = fs::file_size(bomb);
  EXPECT_LT(size, uint64_t{1} << 20) << "not a small archive";
  std::printf("zip bomb: %llu bytes inflating to 200 MiB\n", static_cast<unsigned long long>(size));
  ExpectRefused(bomb, "manifest.json inflates past the limit of 67108864 bytes");
  ExpectRefused(bomb, "manifest.json inflates past the limit of 1048576 bytes",
                {"--max-manifest-bytes", "1048576"}, 64 * 1024);
}

// A manifest within every cap (just under 64 MiB, one file) that is dense in JSON values: 32
// million zeros in an array, in a 64 KiB archive. Memory must stay bounded by the caps; the
// bundle may be accepted or refused.
// A manifest within the byte cap but dense with values: refused by the value count before the
// parser builds its document, so memory stays bounded.
TEST_F(CatalogueTest, DenseManifestWithinTheCaps) {
  const std::string bundle = dir_ / "dense.zip";
  constexpr uint64_t kZeros = ((uint64_t{64} << 20) - 4096) / 2;  // the manifest just under 64 MiB
  {
    DeflatedZip zip(bundle);
    zip.Add("files/a.js", "a");
    zip.AddRepeated("manifest.json",
                    StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a.js"), "},\"x\":["), "0,",
                    kZeros - 1, "0]}");
  }
  EXPECT_LT(fs::file_size(bundle), uint64_t{1} << 20) << "not a small archive";
  const CliRun r = Measured({"--store", root_, "add", bundle, "--project", "web", "--release",
                             "1.0", "--timestamp", "2000"});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.err;
}

// A file of the bundle that inflates to 1.25 GiB from 1.2 MiB. An add does not inflate
// files, so the bundle is accepted; `cat` must refuse it in bounded memory.
// A file entry that inflates far past StoreOptions::max_file_bytes: `cat` refuses it once the
// cap is reached, in bounded memory.
TEST_F(CatalogueTest, ZipBombFileThroughCat) {
  const std::string bomb = dir_ / "file-bomb.zip";
  {
    DeflatedZip zip(bomb);
    zip.AddRepeated("files/a.js", "", " ", (uint64_t{5} << 30) / 4, "");
    zip.Add("manifest.json", GoodManifest());
  }
  const uint64_t size = fs::file_size(bomb);
  EXPECT_LT(size, uint64_t{4} << 20) << "not a small archive";
  std::printf("file bomb: %llu bytes inflating to 1.25 GiB\n",
              static_cast<unsigned long long>(size));
  CliRun r = Measured({"--store", root_, "add", bomb, "--project", "web", "--release", "1.0",
                       "--timestamp", "2000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Measured(
      {"--store", root_, "cat", "--project", "web", "--release", "1.0", "--url", "~/a.js"});
  ExpectOneLineError(r, "files/a.js", "inflates past the limit");
}

// `..` components in entry names, in the forms tests/bad_input_test.cc does not try: the whole
// name, the last component, a name escaping from the top, and backslash separators.
TEST_F(CatalogueTest, DotDotEntryNames) {
  int n = 0;
  for (const std::string& name :
       {std::string(".."), std::string("files/.."), std::string("../manifest.json"),
        std::string("files/a/../../../x.js"), std::string("files\\..\\..\\x.js"),
        std::string("files/./../x.js")}) {
    SCOPED_TRACE(name);
    const std::string bundle =
        Write(StrCat("dotdot-", n++, ".zip"),
              HandMadeZip({{"files/a.js", "a"}, {name, "x"}, {"manifest.json", GoodManifest()}}));
    ExpectRefused(bundle, "has an unsafe name");
  }
}

// Absolute entry names, Unix and UNC style, including one that the manifest names.
TEST_F(CatalogueTest, AbsoluteEntryNames) {
  int n = 0;
  for (const std::string& name : {std::string("/etc/passwd"), std::string("/files/a.js"),
                                  std::string("//server/share/a.js"), std::string("/")}) {
    SCOPED_TRACE(name);
    const std::string manifest = name == "/files/a.js"
                                     ? StrCat("{\"files\":{", GoodEntry(name, "~/a.js"), "}}")
                                     : GoodManifest();
    const std::string bundle =
        Write(StrCat("absolute-", n++, ".zip"),
              HandMadeZip({{"files/a.js", "a"}, {name, "x"}, {"manifest.json", manifest}}));
    ExpectRefused(bundle, "has an unsafe name");
  }
}

// Entry names holding NUL bytes. libarchive hands out names as C strings, cut at the first NUL.
// A NUL name that collides with another entry, or is empty once cut, is refused; one that does
// not collide must be refused too, as no writer produces it and other zip readers see the whole
// name (so they would not find the file under the name the index gives it).
// libarchive cuts an entry name at a NUL byte ("files/a.js\0../../evil" would read as
// "files/a.js"), so the central directory is checked before libarchive reads it.
TEST_F(CatalogueTest, NulBytesInEntryNames) {
  using namespace std::string_literals;
  ExpectRefused(Write("nul-collides.zip", HandMadeZip({{"files/a.js", "a"},
                                                       {"files/a.js\0.exe"s, "b"},
                                                       {"manifest.json", GoodManifest()}})),
                "has a NUL byte in its name");
  ExpectRefused(Write("nul-first.zip", HandMadeZip({{"files/a.js", "a"},
                                                    {"\0files/b.js"s, "b"},
                                                    {"manifest.json", GoodManifest()}})),
                "has a NUL byte in its name");
  ExpectRefused(Write("nul-alone.zip", HandMadeZip({{"files/a.js\0../../evil"s, "a"},
                                                    {"manifest.json", GoodManifest()}})),
                "has a NUL byte in its name");
  ExpectRefused(Write("nul-manifest.zip",
                      HandMadeZip({{"files/a.js", "a"}, {"manifest.json\0.txt"s, GoodManifest()}})),
                "has a NUL byte in its name");
}

// Symbolic links, whether the manifest names them or not, and made both by libarchive's writer
// and by hand (a regular-looking entry whose Unix mode says symlink).
TEST_F(CatalogueTest, SymlinkEntries) {
  const std::string named = dir_ / "symlink-named.zip";
  {
    DeflatedZip zip(named);
    zip.AddSymlink("files/a.js", "/etc/passwd");
    zip.Add("manifest.json", GoodManifest());
  }
  ExpectRefused(named, "zip entry \"files/a.js\" is not a regular file");
  const std::string unnamed = dir_ / "symlink-unnamed.zip";
  {
    DeflatedZip zip(unnamed);
    zip.Add("files/a.js", "a");
    zip.AddSymlink("files/link", "../../../etc/passwd");
    zip.Add("manifest.json", GoodManifest());
  }
  ExpectRefused(unnamed, "zip entry \"files/link\" is not a regular file");
  ExpectRefused(Write("symlink-mode.zip", HandMadeZip({{"files/a.js", "/etc/passwd", 0120777},
                                                       {"manifest.json", GoodManifest()}})),
                "zip entry \"files/a.js\" is not a regular file");
  ExpectRefused(
      Write("symlink-manifest.zip",
            HandMadeZip({{"files/a.js", "a"}, {"manifest.json", "/etc/passwd", 0120777}})),
      "zip entry \"manifest.json\" is not a regular file");
}

// Two manifest.json entries, either of them the good one: readers that take the first and
// readers that take the last would see different bundles.
TEST_F(CatalogueTest, DuplicateManifestEntries) {
  const std::string other = StrCat("{\"files\":{", GoodEntry("files/a.js", "~/evil.js"), "}}");
  ExpectRefused(
      WriteZip("two-manifests.zip",
               {{"files/a.js", "a"}, {"manifest.json", GoodManifest()}, {"manifest.json", other}}),
      "zip entry \"manifest.json\" appears twice");
  ExpectRefused(
      WriteZip("two-manifests-2.zip",
               {{"manifest.json", other}, {"files/a.js", "a"}, {"manifest.json", GoodManifest()}}),
      "zip entry \"manifest.json\" appears twice");
  ExpectRefused(WriteZip("two-identical-manifests.zip", {{"manifest.json", GoodManifest()},
                                                         {"files/a.js", "a"},
                                                         {"manifest.json", GoodManifest()}}),
                "zip entry \"manifest.json\" appears twice");
}

// --- the manifest ------------------------------------------------------------------------------

// Nesting 100,000 levels deep, in arrays, in objects, and inside a file's headers.
TEST_F(CatalogueTest, ManifestNested100000Levels) {
  constexpr int kDepth = 100'000;
  std::string arrays = StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a.js"), "},\"x\":");
  arrays += std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  ExpectRefused(WithManifest("nested-arrays.zip", arrays),
                "manifest.json nests deeper than the limit of 64");
  std::string objects = StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a.js"), "},\"x\":");
  for (int i = 0; i < kDepth; ++i) objects += "{\"a\":";
  objects += "0" + std::string(kDepth, '}') + "}";
  ExpectRefused(WithManifest("nested-objects.zip", objects),
                "manifest.json nests deeper than the limit of 64");
  std::string headers =
      "{\"files\":{\"files/a.js\":{\"type\":\"source\",\"url\":\"~/a.js\","
      "\"headers\":{\"x\":";
  headers += std::string(kDepth, '[') + std::string(kDepth, ']') + "}}}}";
  ExpectRefused(WithManifest("nested-headers.zip", headers),
                "manifest.json nests deeper than the limit of 64");
}

// URLs that are not UTF-8: raw invalid sequences, and an escaped lone surrogate. The manifest is
// refused as a whole (simdjson validates UTF-8), and the error does not echo the bytes.
TEST_F(CatalogueTest, InvalidUtf8InUrls) {
  int n = 0;
  for (const std::string& bad :
       {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
        std::string("\xf4\x90\x80\x80"), std::string("\xe2\x82"), std::string("\x80"),
        std::string("\xf8\x88\x80\x80\x80")}) {
    SCOPED_TRACE(n);
    ExpectRefused(
        WithManifest(StrCat("utf8-", n++, ".zip"),
                     StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a" + bad + ".js"), "}}")),
        "manifest.json is not valid JSON: The input is not valid UTF-8");
  }
  for (const std::string& escaped :
       {std::string("\\ud800"), std::string("\\udfff"), std::string("\\ud800\\u0041")}) {
    SCOPED_TRACE(escaped);
    ExpectRefused(
        WithManifest(StrCat("utf8-", n++, ".zip"),
                     StrCat("{\"files\":{", GoodEntry("files/a.js", "~/a" + escaped), "}}")),
        "manifest.json is not valid JSON");
  }
  // A lookup of a frame URL that is not UTF-8 finds nothing, in bounded memory and time.
  const CliRun r = Measured({"--store", root_, "lookup", "--project", "web", "--release", "1.0",
                             "--url", "https://example.com/\xff\xfe\xc0\xaf.js"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

// A single 1 MiB url (and path, and header value): refused by the string cap (16 KiB). Lookups
// of a long frame URL (the longest one argument can be, 128 KiB) stay bounded too.
TEST_F(CatalogueTest, OneMebibyteUrl) {
  const std::string huge = "~/" + std::string((1 << 20) - 2, 'u');
  ASSERT_EQ(huge.size(), 1u << 20);
  ExpectRefused(
      WithManifest("huge-url.zip", StrCat("{\"files\":{", GoodEntry("files/a.js", huge), "}}")),
      "manifest entry \"files/a.js\": \"url\" has 1048576 bytes, over the limit of 16384");
  ExpectRefused(
      WithManifest("huge-path.zip", StrCat("{\"files\":{\"files/a.js\":{\"type\":\"source\","
                                           "\"path\":\"",
                                           huge, "\"}}}")),
      "manifest entry \"files/a.js\": \"path\" has 1048576 bytes, over the limit of 16384");
  ExpectRefused(
      WithManifest("huge-header.zip", StrCat("{\"files\":{\"files/a.js\":{\"type\":\"source\","
                                             "\"url\":\"~/a.js\",\"headers\":{\"sourcemap\":\"",
                                             huge, "\"}}}}")),
      "manifest entry \"files/a.js\": header \"sourcemap\" is over the limit of 16384 bytes");
  // Exactly at the cap is fine.
  const std::string at_cap = "~/" + std::string((16 << 10) - 2, 'u');
  CliRun r = Measured(
      {"--store", root_, "add",
       WithManifest("cap-url.zip", StrCat("{\"files\":{", GoodEntry("files/a.js", at_cap), "}}")),
       "--project", "web", "--release", "1.0", "--timestamp", "2000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Measured({"--store", root_, "lookup", "--project", "web", "--release", "1.0", "--url",
                "https://example.com/" + std::string(120 << 10, 'x') + "?q#f"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = Measured(
      {"--store", root_, "lookup", "--project", "web", "--release", "1.0", "--url", at_cap});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// 1,000,000 entries, three ways, none of which builds a well-formed million-entry archive:
// 1. a manifest listing 1,000,000 files (48 MB of JSON, under the manifest cap) in a zip that
//    holds only the manifest: refused by the max_entries cap on the manifest (200,000);
// 2. a well-formed zip of 200,001 empty files and the manifest: refused by the max_entries cap
//    on the archive (N + 1 entries);
// 3. a zip whose central directory lists 1,000,001 entries that all point at one local header.
TEST_F(CatalogueTest, MillionEntriesInTheManifest) {
  std::string manifest = "{\"files\":{";
  manifest.reserve(50 << 20);
  char key[64];
  for (int i = 0; i < 1'000'000; ++i) {
    std::snprintf(key, sizeof key, "%s\"f/%07d\":{\"type\":\"source\",\"url\":\"~/%07d\"}",
                  i == 0 ? "" : ",", i, i);
    manifest += key;
  }
  manifest += "}}";
  const std::string bundle = dir_ / "million-manifest.zip";
  {
    DeflatedZip zip(bundle);
    zip.Add("manifest.json", manifest);
  }
  manifest = std::string();
  ExpectRefused(bundle, "manifest.json lists 1000000 files, over the limit of 200000");
}

TEST_F(CatalogueTest, MoreZipEntriesThanTheCap) {
  std::string out, cd;
  char name[32];
  constexpr int kEntries = 200'001;  // files, plus the manifest: two past the cap of N + 1
  for (int i = 0; i <= kEntries; ++i) {
    const bool manifest = i == kEntries;
    std::snprintf(name, sizeof name, "f/%07d", i);
    const std::string entry_name = manifest ? "manifest.json" : name;
    const std::string data = manifest ? "{\"files\":{}}" : "";
    const uint32_t offset = static_cast<uint32_t>(out.size());
    AppendLocalHeader(&out, entry_name, data);
    AppendCentralRecord(&cd, entry_name, data, 0100644, offset);
  }
  Finish(&out, cd, kEntries + 1);
  ExpectRefused(Write("many-entries.zip", out), "archive holds more than 200000 entries");
}

// The central directory's record count is checked before libarchive loads the directory.
TEST_F(CatalogueTest, CentralDirectoryOfAMillionEntries) {
  constexpr int kRecords = 1'000'000;
  const std::string manifest = "{\"files\":{}}";
  std::string out, cd;
  AppendLocalHeader(&out, "manifest.json", manifest);
  AppendCentralRecord(&cd, "manifest.json", manifest, 0100644, 0);
  char name[32];
  for (int i = 0; i < kRecords; ++i) {
    std::snprintf(name, sizeof name, "f/%07d", i);
    AppendCentralRecord(&cd, name, "", 0100644, 0);
  }
  Finish(&out, cd, kRecords + 1);
  const long archive_kib = static_cast<long>(out.size() / 1024);
  const std::string bundle = Write("aliased-directory.zip", out);
  out = cd = std::string();
  // The archive is held in memory by design; beyond it, no more than the cap's worth of entries.
  ExpectRefused(bundle, "entries", {}, archive_kib + 64 * 1024);
}

// --- truncation --------------------------------------------------------------------------------

// A bundle of about 64 KiB and a sentry-cli fixture, cut at every 1 KiB offset.
TEST_F(CatalogueTest, TruncatedArchiveAtEveryKibibyte) {
  bundle::BundleSpec spec;
  std::mt19937 random(6);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789(){};=+-*/ \n";
  for (int f = 0; f < 8; ++f) {
    std::string content;
    for (int i = 0; i < 11'000; ++i) content += alphabet[random() % alphabet.size()];
    spec.files.push_back({StrCat("~/chunk", f, ".js"), FileType::kMinifiedSource, content,
                          *DebugId::Parse(kDebugId), std::nullopt});
  }
  absl::StatusOr<std::string> generated = bundle::WriteBundle(spec);
  ASSERT_TRUE(generated.ok());
  ASSERT_GT(generated->size(), 48u << 10);
  ASSERT_LT(generated->size(), 96u << 10);
  const std::vector<std::pair<std::string, std::string>> wholes = {
      {"generated", *generated},
      {"preact-nightly", ReadFileOrDie(FixturePath("sentry-cli/preact-nightly.zip"))}};
  for (const auto& [label, whole] : wholes) {
    // Whole, it is a good bundle.
    const std::string good = Write(label + ".zip", whole);
    CliRun r = RunMeasured({"--store", (dir_ / "scratch") + "-" + label, "add", good, "--project",
                            "web", "--release", "1.0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (size_t cut = 0; cut < whole.size(); cut += 1024) {
      SCOPED_TRACE(StrCat(label, " cut at ", cut, " of ", whole.size()));
      const std::string bundle = Write(StrCat(label, "-cut-", cut, ".zip"), whole.substr(0, cut));
      const auto before = Snapshot(root_);
      r = Measured({"--store", root_, "add", bundle, "--project", "web", "--release", "1.0"});
      ExpectOneLineError(r, bundle, cut == 0 ? "not a zip archive" : "zip archive");
      EXPECT_TRUE(before == Snapshot(root_)) << "the store changed";
      fs::remove(bundle);
    }
  }
}

// --- index segments ----------------------------------------------------------------------------

class CorruptSegmentTest : public CatalogueTest {
 protected:
  void SetUp() override {
    CatalogueTest::SetUp();
    if (HasFatalFailure()) return;
    // Three more bundles, two of them sharing a url with each other and a debug id with the
    // base bundle, then one removed: the segments hold files, shared keys and a tombstone.
    int n = 0;
    for (const std::string url : {"~/app.js", "~/app.js", "~/other.js"}) {
      bundle::BundleSpec spec;
      spec.files.push_back({url, FileType::kMinifiedSource, StrCat("content ", n),
                            *DebugId::Parse(kDebugId), std::string("app.js.map")});
      spec.files.push_back({url + ".map", FileType::kSourceMap, StrCat("map ", n),
                            *DebugId::Parse(kDebugId), std::nullopt});
      absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
      ASSERT_TRUE(bytes.ok());
      const std::string path = Write(StrCat("segment-", n, ".zip"), *bytes);
      const CliRun r = RunMeasured({"--store", root_, "add", path, "--project", "web", "--release",
                                    "1.0", "--timestamp", std::to_string(2000 + n), "--bundle-id",
                                    StrCat("bundle-", n)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      ++n;
    }
    CliRun r = RunMeasured({"--store", root_, "rm", "bundle-2", "--timestamp", "3000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunMeasured({"--store", root_, "compact"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Damages the one segment of `dir` in each way `damaged` gives (a label and the new bytes),
  // runs `lookup` (which must have answered before) and checks: never a crash, bounded; exit 2
  // with one line naming the segment when `must_fail`, else that or the undamaged segment's
  // answer (a clear error or a correct result); and `verify` always finds the damage, naming
  // the segment.
  void Damage(const std::string& dir, const std::vector<std::string>& lookup,
              const std::vector<std::pair<std::string, std::string>>& damaged, bool must_fail) {
    const std::string segment = testing::OnlySegmentPath(dir);
    const std::string original = ReadFileOrDie(segment);
    std::vector<std::string> args = {"--store", root_, "lookup"};
    args.insert(args.end(), lookup.begin(), lookup.end());
    CliRun r = Measured(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string answer = r.out;
    std::map<int, int> outcomes;
    int changed = 0;  // answers (exit 0) other than the undamaged segment's
    for (const auto& [label, bytes] : damaged) {
      SCOPED_TRACE(label);
      WriteFileOrDie(segment, bytes);
      r = Measured(args);
      ++outcomes[r.exit_code];
      changed += r.exit_code == 0 && r.out != answer;
      if (must_fail || r.exit_code == 2) {
        ExpectOneLineError(r, segment, "corrupt index");
      } else {
        EXPECT_TRUE(r.exit_code == 0 && r.out == answer)
            << "a wrong answer from a damaged segment, exit " << r.exit_code << ":\n"
            << r.out << r.err << "instead of:\n"
            << answer;
      }
      r = Measured({"--store", root_, "verify"});
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_TRUE(Contains(r.out, segment));
    }
    WriteFileOrDie(segment, original);
    std::printf(
        "%s: %zu damaged copies; lookup exit 0: %d (%d of them a different answer), "
        "1: %d, 2: %d\n",
        segment.c_str(), damaged.size(), outcomes[0], changed, outcomes[1], outcomes[2]);
  }

  // The directory of the URL index of web 1.0, the only one.
  std::string UrlIndexDir() const {
    std::string dir;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ + "/projects/web/urls", ec)) {
      dir = entry.path().string();
    }
    return dir;
  }

  // Damaged copies are sampled: each costs two CLI runs (a second under the sanitizers, which
  // sample four times more sparsely; the index_reader fuzz target covers every byte there).
  static constexpr size_t kSparse = kSanitized ? 4 : 1;

  static std::vector<std::pair<std::string, std::string>> Truncations(const std::string& whole) {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t cut = 0; cut < whole.size(); cut += (cut < 200 ? 8 : 24) * kSparse) {
      out.emplace_back(StrCat("cut at ", cut), whole.substr(0, cut));
    }
    out.emplace_back("last byte cut", whole.substr(0, whole.size() - 1));
    out.emplace_back("a byte appended", whole + '\0');
    return out;
  }

  // One bit flipped: at every offset of the header and the footer, every seventh one elsewhere
  // (every fourth and every 28th under the sanitizers).
  static std::vector<std::pair<std::string, std::string>> BitFlips(const std::string& whole) {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t at = 0; at < whole.size();
         at += ((at < 184 || at + 8 >= whole.size()) ? 1 : 7) * kSparse) {
      std::string bytes = whole;
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
      out.emplace_back(StrCat("bit ", at % 8, " of byte ", at, " flipped"), bytes);
    }
    return out;
  }
};

TEST_F(CorruptSegmentTest, UrlSegmentTruncated) {
  const std::string url_dir = UrlIndexDir();
  ASSERT_FALSE(url_dir.empty());
  const std::string whole = ReadFileOrDie(testing::OnlySegmentPath(url_dir));
  Damage(url_dir, {"--project", "web", "--release", "1.0", "--url", "https://example.com/app.js"},
         Truncations(whole), /*must_fail=*/true);
}

// The Store checks each segment's checksum when it maps it: a flipped bit is an error naming the
// file, never a wrong answer.
TEST_F(CorruptSegmentTest, UrlSegmentBitFlipped) {
  const std::string url_dir = UrlIndexDir();
  ASSERT_FALSE(url_dir.empty());
  const std::string whole = ReadFileOrDie(testing::OnlySegmentPath(url_dir));
  Damage(url_dir, {"--project", "web", "--release", "1.0", "--url", "https://example.com/app.js"},
         BitFlips(whole), /*must_fail=*/false);
}

// As for UrlSegmentBitFlipped, for the debug-id index.
TEST_F(CorruptSegmentTest, DebugIdSegmentTruncatedOrBitFlipped) {
  const std::string dir = root_ + "/projects/web/debug-ids";
  const std::string whole = ReadFileOrDie(testing::OnlySegmentPath(dir));
  Damage(dir, {"--project", "web", "--debug-id", kDebugId}, Truncations(whole),
         /*must_fail=*/true);
  Damage(dir, {"--project", "web", "--debug-id", kDebugId}, BitFlips(whole), /*must_fail=*/false);
}

}  // namespace
}  // namespace artidx
