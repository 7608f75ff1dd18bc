#include "server/store_view.h"

#include <algorithm>
#include <chrono>

namespace artidx::server {
namespace {

// The clock the lookup library's staleness checks use.
int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

StoreOptions Fresh(const CacheOptions& cache) {
  StoreOptions options;
  options.cache = cache;
  options.staleness_ms = 0;
  options.max_open_indexes = 64;  // only the projects published to in the last second
  return options;
}

}  // namespace

StoreView::StoreView(const std::string& root, const CacheOptions& cache)
    : staleness_ms_(StoreOptions().staleness_ms),
      store_(root, {.cache = cache}),
      fresh_(root, Fresh(cache)) {}

const Store& StoreView::For(std::string_view project) const {
  const int64_t until = fresh_until_.load(std::memory_order_acquire);
  if (until == 0) return store_;
  const int64_t now = MonotonicMs();
  if (now >= until) return store_;
  std::lock_guard lock(mu_);
  auto it = windows_.find(absl::string_view(project.data(), project.size()));
  return it != windows_.end() && now < it->second ? fresh_ : store_;
}

absl::StatusOr<std::shared_ptr<const Index>> StoreView::UrlIndex(std::string_view project,
                                                                 std::string_view release,
                                                                 std::string_view dist) const {
  return For(project).UrlIndex(project, release, dist);
}

absl::StatusOr<std::shared_ptr<const Index>> StoreView::DebugIdIndex(
    std::string_view project) const {
  return For(project).DebugIdIndex(project);
}

Store::Stats StoreView::GetStats() const {
  Store::Stats a = store_.GetStats();
  const Store::Stats b = fresh_.GetStats();
  a.index_hits += b.index_hits;
  a.index_misses += b.index_misses;
  a.open_indexes += b.open_indexes;
  return a;
}

void StoreView::Published(const std::vector<std::string>& projects) {
  // The main Store may have listed an index just before the publish; it lists it again once
  // its listing is staleness_ms old, so the window ends staleness_ms after the publish ended.
  const int64_t until = MonotonicMs() + staleness_ms_;
  std::lock_guard lock(mu_);
  for (auto it = windows_.begin(); it != windows_.end();) {  // the windows closed
    if (it->second <= until - staleness_ms_) {
      windows_.erase(it++);
    } else {
      ++it;
    }
  }
  for (const std::string& p : projects) windows_[p] = until;
  fresh_until_.store(std::max(fresh_until_.load(std::memory_order_relaxed), until),
                     std::memory_order_release);
}

}  // namespace artidx::server
