// Copyright artidx authors.
//
// metrics.h: what `artidx serve` counts and shows at /metrics (Prometheus text format 0.0.4):
// requests by endpoint and status, a histogram of their durations, the lookup library's index
// cache, and the requests in flight. Counting is on every request's path, so the counters are
// kept in shards of their own cache lines: each worker thread counts in its own shard (threads
// beyond kShards share one), and requests on several CPUs do not contend for the same lines;
// Sum adds the shards up.
//
// Thread safety: Record and Sum from any thread, without a lock (relaxed atomics: a sum taken
// while requests are counted may miss the latest of them).
//
// Usage:
//   server::Metrics metrics;
//   metrics.Record(server::kHealthz, 200, elapsed);
//   std::string text = server::MetricsText(metrics.Sum(), store.GetStats(), in_flight);

#ifndef ARTIDX_SERVER_METRICS_H_
#define ARTIDX_SERVER_METRICS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>

#include "artidx/lookup.h"

namespace artidx::server {

enum Endpoint {
  kArtifactLookup,
  kDownload,
  kV1Lookup,
  kV1File,
  kHealthz,
  kMetrics,
  kChunkUpload,
  kAssemble,
  kOther,
  kEndpoints
};
// The endpoints as /metrics and the JSON access log name them.
inline constexpr const char* kEndpointNames[kEndpoints] = {
    "artifact_lookup", "artifact_download", "v1_lookup", "v1_file", "healthz",
    "metrics",         "chunk_upload",      "assemble",  "other"};
// The statuses counted each on their own; others count as "other".
inline constexpr int kStatuses[] = {200, 206, 304, 400, 401, 403, 404, 405, 413, 416, 500, 503};
inline constexpr int kStatusSlots = std::size(kStatuses) + 1;  // + "other"
// The upper bounds of the duration histogram's buckets, in seconds (then +Inf).
inline constexpr double kBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                      0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
inline constexpr int kBucketCount = std::size(kBuckets);

class Metrics {
 public:
  struct Totals {
    uint64_t requests[kEndpoints][kStatusSlots] = {};
    uint64_t buckets[kBucketCount + 1] = {};  // + Inf; not cumulative
    uint64_t duration_ns = 0;
    uint64_t count = 0;
  };

  // Counts one request answered.
  void Record(Endpoint e, int status, std::chrono::nanoseconds d);
  Totals Sum() const;

 private:
  static constexpr int kShards = 16;
  struct alignas(64) Shard {
    std::atomic<uint64_t> requests[kEndpoints][kStatusSlots] = {};
    std::atomic<uint64_t> buckets[kBucketCount + 1] = {};
    std::atomic<uint64_t> duration_ns{0};
  };
  static int ThisShard();
  Shard shards_[kShards];
};

// The /metrics page.
std::string MetricsText(const Metrics::Totals& totals, const Store::Stats& stats, int in_flight);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_METRICS_H_
