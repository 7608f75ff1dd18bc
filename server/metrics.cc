#include "server/metrics.h"

#include <cstdio>

#include "common/strings.h"

namespace artidx::server {
namespace {

int StatusSlot(int status) {
  for (int i = 0; i < static_cast<int>(std::size(kStatuses)); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatusSlots - 1;
}

}  // namespace

void Metrics::Record(Endpoint e, int status, std::chrono::nanoseconds d) {
  Shard& shard = shards_[ThisShard()];
  shard.requests[e][StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(d).count();
  int b = 0;
  while (b < kBucketCount && seconds > kBuckets[b]) ++b;
  shard.buckets[b].fetch_add(1, std::memory_order_relaxed);
  shard.duration_ns.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
}

Metrics::Totals Metrics::Sum() const {
  Totals t;
  for (const Shard& shard : shards_) {
    for (int e = 0; e < kEndpoints; ++e) {
      for (int s = 0; s < kStatusSlots; ++s) {
        t.requests[e][s] += shard.requests[e][s].load(std::memory_order_relaxed);
      }
    }
    for (int b = 0; b <= kBucketCount; ++b) {
      const uint64_t n = shard.buckets[b].load(std::memory_order_relaxed);
      t.buckets[b] += n;
      t.count += n;
    }
    t.duration_ns += shard.duration_ns.load(std::memory_order_relaxed);
  }
  return t;
}

int Metrics::ThisShard() {
  static std::atomic<int> next{0};
  thread_local const int shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::string MetricsText(const Metrics::Totals& totals, const Store::Stats& stats, int in_flight) {
  std::string out;
  out +=
      "# HELP artidx_http_requests_total HTTP requests answered, by endpoint and status.\n"
      "# TYPE artidx_http_requests_total counter\n";
  for (int e = 0; e < kEndpoints; ++e) {
    for (int s = 0; s < kStatusSlots; ++s) {
      const uint64_t n = totals.requests[e][s];
      if (n == 0) continue;
      StrAppend(&out, "artidx_http_requests_total{endpoint=\"", kEndpointNames[e], "\",status=\"",
                s < kStatusSlots - 1 ? StrCat(kStatuses[s]) : std::string("other"), "\"} ", n,
                "\n");
    }
  }
  out +=
      "# HELP artidx_http_request_duration_seconds Time from request line to response sent.\n"
      "# TYPE artidx_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (int b = 0; b <= kBucketCount; ++b) {
    cumulative += totals.buckets[b];
    char le[32];
    if (b < kBucketCount) {
      snprintf(le, sizeof le, "%g", kBuckets[b]);
    } else {
      snprintf(le, sizeof le, "+Inf");
    }
    StrAppend(&out, "artidx_http_request_duration_seconds_bucket{le=\"", le, "\"} ", cumulative,
              "\n");
  }
  char sum[64];
  snprintf(sum, sizeof sum, "%.9f", static_cast<double>(totals.duration_ns) / 1e9);
  StrAppend(&out, "artidx_http_request_duration_seconds_sum ", sum, "\n",
            "artidx_http_request_duration_seconds_count ", totals.count, "\n");
  StrAppend(&out,
            "# HELP artidx_index_cache_hits_total Index requests answered by an open index.\n"
            "# TYPE artidx_index_cache_hits_total counter\n"
            "artidx_index_cache_hits_total ",
            stats.index_hits, "\n",
            "# HELP artidx_index_cache_misses_total Index requests that listed an index "
            "directory.\n"
            "# TYPE artidx_index_cache_misses_total counter\n"
            "artidx_index_cache_misses_total ",
            stats.index_misses, "\n",
            "# HELP artidx_indexes_open Indexes open (mapped) now.\n"
            "# TYPE artidx_indexes_open gauge\n"
            "artidx_indexes_open ",
            stats.open_indexes, "\n",
            "# HELP artidx_http_requests_in_flight Requests being answered now.\n"
            "# TYPE artidx_http_requests_in_flight gauge\n"
            "artidx_http_requests_in_flight ",
            in_flight, "\n");
  return out;
}

}  // namespace artidx::server
