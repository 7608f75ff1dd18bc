#include "bench/harness.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "common/strings.h"
#include "format/index_encoder.h"
#include "store/segments.h"

extern char** environ;

namespace artidx::bench {
namespace {

Flags& MutableFlags() {
  static Flags* flags = new Flags();
  return *flags;
}

std::map<std::string, Row>& Rows() {
  static auto* rows = new std::map<std::string, Row>();
  return *rows;
}

std::map<std::string, double>& Values() {
  static auto* values = new std::map<std::string, double>();
  return *values;
}

struct Plot {
  std::vector<std::string> series;
  std::map<double, std::map<std::string, double>> points;
};
std::map<std::string, Plot>& Plots() {
  static auto* plots = new std::map<std::string, Plot>();
  return *plots;
}

std::vector<std::string>& TempDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

pid_t main_pid = 0;

void RemoveTempDirs() {
  if (::getpid() != main_pid) return;  // a forked child must not remove its parent's data
  for (const std::string& dir : TempDirs()) RemoveTree(dir);
  TempDirs().clear();
}

void WriteOutputs() {
  const Flags& flags = GetFlags();
  if (!flags.results_file.empty()) {
    std::string table;
    for (const auto& [id, row] : Rows()) {
      StrAppend(&table, id, "\t| ", row.what, " | ", row.workload, " | ", row.artidx, " | ",
                row.baseline, " | ", row.ratio, " | ", row.target.empty() ? "—" : row.target, " | ",
                row.met < 0 ? "—" : Met(row.met == 1), " |\n");
    }
    WriteFileOrDie(flags.results_file, table);
  }
  if (!flags.plot_dir.empty()) {
    std::filesystem::create_directories(flags.plot_dir);
    for (const auto& [name, plot] : Plots()) {
      std::string data = "x";  // a header line: gnuplot's columnheader
      for (const std::string& s : plot.series) StrAppend(&data, " ", s);
      data += "\n";
      for (const auto& [x, ys] : plot.points) {
        StrAppend(&data, x);
        for (const std::string& s : plot.series) {
          auto it = ys.find(s);
          if (it == ys.end()) {
            data += " NaN";
          } else {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, " %.6g", it->second);
            data += buffer;
          }
        }
        data += "\n";
      }
      WriteFileOrDie(StrCat(flags.plot_dir, "/", name, ".dat"), data);
    }
  }
}

}  // namespace

[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "bench: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(2);
}

const Flags& GetFlags() { return MutableFlags(); }

void ParseFlags(int* argc, char** argv) {
  main_pid = ::getpid();
  std::atexit(RemoveTempDirs);
  Flags& flags = MutableFlags();
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    flags.work_dir = tmp;
  } else {
    flags.work_dir = "/tmp";
  }
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--full") {
      flags.full = true;
    } else if (arg == "--quick") {
      flags.full = false;
    } else if (arg.starts_with("--results=")) {
      flags.results_file = std::string(arg.substr(10));
    } else if (arg.starts_with("--plot_dir=")) {
      flags.plot_dir = std::string(arg.substr(11));
    } else if (arg.starts_with("--work_dir=")) {
      flags.work_dir = std::string(arg.substr(11));
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
}

int RunMain(int argc, char** argv) {
  // A short default run: --benchmark_min_time=0.1 unless the command line sets it (a later
  // flag wins).
  static char min_time[] = "--benchmark_min_time=0.1";
  std::vector<char*> args(argv, argv + argc);
  args.insert(args.begin() + (argc > 0 ? 1 : 0), min_time);
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  WriteOutputs();
  return 0;
}

void Record(Row row) {
  std::string id = row.id;
  Rows()[id] = std::move(row);
}

void SetValue(const std::string& key, double value) { Values()[key] = value; }

double GetValue(const std::string& key) {
  auto it = Values().find(key);
  return it == Values().end() ? -1 : it->second;
}

void PlotPoint(const std::string& name, double x, const std::string& series, double y) {
  Plot& plot = Plots()[name];
  if (std::find(plot.series.begin(), plot.series.end(), series) == plot.series.end()) {
    plot.series.push_back(series);
  }
  plot.points[x][series] = y;
}

std::string FormatNs(double ns) {
  char buffer[32];
  if (ns < 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.3g µs", ns / 1e3);
  } else if (ns < 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.3g ms", ns / 1e6);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g s", ns / 1e9);
  }
  return buffer;
}

std::string FormatBytes(double bytes) {
  char buffer[32];
  if (bytes < 1024) {
    std::snprintf(buffer, sizeof buffer, "%.0f B", bytes);
  } else if (bytes < 1024.0 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.3g KiB", bytes / 1024);
  } else if (bytes < 1024.0 * 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.3g MiB", bytes / (1024.0 * 1024));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g GiB", bytes / (1024.0 * 1024 * 1024));
  }
  return buffer;
}

std::string FormatRatio(double r) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, r >= 100 ? "%.0f×" : "%.3g×", r);
  return buffer;
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Met(bool met) { return met ? "met" : "**missed**"; }

std::string MakeTempDir(std::string_view tag) {
  std::filesystem::create_directories(GetFlags().work_dir);
  std::string pattern = StrCat(GetFlags().work_dir, "/artidx-bench-", tag, "-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) Die(StrCat("mkdtemp ", pattern, " failed"));
  TempDirs().push_back(pattern);
  return pattern;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void WriteFileOrDie(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) Die(StrCat("cannot write ", path));
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(StrCat("cannot read ", path));
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) Die(StrCat("cannot stat ", path));
  return size;
}

uint64_t TreeBytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

void CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  if (ec) Die(StrCat("cannot copy ", from, " to ", to, ": ", ec.message()));
}

std::string PublishIndex(const std::string& dir, format::IndexContent content) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
  if (!bytes.ok()) Die(StrCat("EncodeIndex: ", StdView(bytes.status().message())));
  absl::StatusOr<std::string> name = store::PublishSegment(store::Layout(dir), dir, *bytes);
  if (!name.ok()) Die(StrCat("PublishSegment: ", StdView(name.status().message())));
  return StrCat(dir, "/", *name);
}

std::string ExeDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) Die("cannot read /proc/self/exe");
  return exe.parent_path().string();
}

int RunProcess(const std::vector<std::string>& argv, const std::string& stdout_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  pid_t pid;
  const int error = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) Die(StrCat("cannot run ", argv[0], ": ", std::strerror(error)));
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) Die(StrCat("waitpid failed for ", argv[0]));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace artidx::bench
