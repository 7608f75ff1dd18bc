// What the benchmark binaries share: their flags (--full and where results go), the results
// table, paired timing of artidx against a baseline, and file and memory helpers.
//
// Every comparison is measured in the same process on the same data. Paired benchmarks run
// artidx and its baseline alternately, one batch each per benchmark iteration, so that load
// from other processes on a shared machine falls on both alike; the counters `artidx_ns`,
// `base_ns` and `ratio` (artidx / baseline) are the result, and the benchmark's own time is
// that of one batch of each.
//
// Not thread-safe: the registry is filled by benchmark functions, which Google Benchmark runs
// one at a time.

#ifndef ARTIDX_BENCH_HARNESS_H_
#define ARTIDX_BENCH_HARNESS_H_

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/index_content.h"

namespace artidx::bench {

[[noreturn]] void Die(std::string_view message);

struct Flags {
  bool full = false;         // --full: production-scale workloads (W3x, W4, 2,000 releases)
  std::string results_file;  // --results=FILE: the table's rows, "<id>\t| markdown row |"
  std::string plot_dir;      // --plot_dir=DIR: gnuplot data files
  std::string work_dir;      // --work_dir=DIR: generated data (default $TMPDIR or /tmp)
};
const Flags& GetFlags();
// Takes this harness's flags out of argv (before benchmark::Initialize sees it) and sets the
// default minimum time of 0.1 s per benchmark unless the command line gives one.
void ParseFlags(int* argc, char** argv);
// Initialize, run, write the results; the main() of a benchmark binary.
int RunMain(int argc, char** argv);

// One row of the results table.
struct Row {
  std::string id;        // sorts the table: "<2 digits> <name>"
  std::string what;      // what is measured
  std::string workload;  // and on what
  std::string artidx;    // artidx's number, with unit
  std::string baseline;  // the baseline's, with what it is
  std::string ratio;     // the compared quantity, e.g. "1.18×"
  std::string target;    // e.g. "≤ 1.5×"; empty when only reported
  int met = -1;          // 1 met, 0 missed, -1 no target
};
// Adds or replaces (by id) a row. The last run of a benchmark wins.
void Record(Row row);
// The value recorded with Record* under `key` (a benchmark's headline number), or < 0.
void SetValue(const std::string& key, double value);
double GetValue(const std::string& key);
// A point of a plot: file `name`.dat in --plot_dir, one line per x, one column per series.
void PlotPoint(const std::string& name, double x, const std::string& series, double y);

// Time of a paired measurement.
struct PairTimes {
  double a_ns = 0, b_ns = 0;  // per operation
  double ratio() const { return b_ns > 0 ? a_ns / b_ns : 0; }
};

using Clock = std::chrono::steady_clock;
inline double NsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// Each benchmark iteration runs batch_a calls of a() then batch_b calls of b(). Sets the
// iteration time (the benchmark must UseManualTime) and the counters artidx_ns, base_ns and
// ratio, and returns the per-call times.
template <typename A, typename B>
PairTimes RunPaired(benchmark::State& state, int batch_a, int batch_b, A&& a, B&& b) {
  double total_a = 0, total_b = 0;
  uint64_t ops_a = 0, ops_b = 0;
  for (auto _ : state) {
    const Clock::time_point t0 = Clock::now();
    for (int i = 0; i < batch_a; ++i) a();
    const Clock::time_point t1 = Clock::now();
    for (int i = 0; i < batch_b; ++i) b();
    const Clock::time_point t2 = Clock::now();
    const double da = std::chrono::duration<double, std::nano>(t1 - t0).count();
    const double db = std::chrono::duration<double, std::nano>(t2 - t1).count();
    total_a += da;
    total_b += db;
    ops_a += batch_a;
    ops_b += batch_b;
    state.SetIterationTime((da + db) * 1e-9);
  }
  PairTimes t;
  t.a_ns = ops_a ? total_a / static_cast<double>(ops_a) : 0;
  t.b_ns = ops_b ? total_b / static_cast<double>(ops_b) : 0;
  state.counters["artidx_ns"] = t.a_ns;
  state.counters["base_ns"] = t.b_ns;
  state.counters["ratio"] = t.ratio();
  return t;
}

// Formatting for the table.
std::string FormatNs(double ns);        // "212 ns", "1.23 µs", "45.6 ms", "1.23 s"
std::string FormatBytes(double bytes);  // "812 KiB", "3.10 MiB", "1.95 GiB"
std::string FormatRatio(double r);      // "1.18×", "0.031×", "123×"
std::string Thousands(uint64_t n);      // "20,000"
std::string Met(bool met);              // for Row::met

// Files. Temporary directories are made under --work_dir and removed at exit (also on Die).
std::string MakeTempDir(std::string_view tag);
void RemoveTree(const std::string& path);
void WriteFileOrDie(const std::string& path, std::string_view data);
std::string ReadFileOrDie(const std::string& path);
uint64_t FileBytes(const std::string& path);
uint64_t TreeBytes(const std::string& path);  // apparent size of every file under path
// Copies a directory tree (files and directories only).
void CopyTree(const std::string& from, const std::string& to);
// Encodes `content` and publishes it as a segment of index directory `dir`; returns the
// segment's path.
std::string PublishIndex(const std::string& dir, format::IndexContent content);
// The directory of this executable (to find the artidx CLI and the other bench binaries).
std::string ExeDir();

// Runs `argv` (argv[0] a path) to completion; returns its exit status, or dies if it could not
// start. Standard output goes to `stdout_path` when given.
int RunProcess(const std::vector<std::string>& argv, const std::string& stdout_path = "");

}  // namespace artidx::bench

#endif  // ARTIDX_BENCH_HARNESS_H_
