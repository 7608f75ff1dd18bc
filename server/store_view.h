// Copyright artidx authors.
//
// store_view.h: the server's view of its store. Lookups go through the lookup library's
// artidx::Store, which keeps indexes mapped and lists an index's segments again at most once
// per staleness bound (1 s): what another process publishes is seen within that bound. What
// this server's own assembles publish is seen at once: Published(projects) marks the projects
// an assemble wrote to, and for one staleness bound after it, their indexes are opened through
// a second Store that lists the segments on every request (so no entry the main Store listed
// before the publish can answer), after which the main Store has necessarily listed them
// again. A lookup thus finds an assemble's files as soon as the assemble's poll says "ok",
// while lookups of every other project keep touching no file system.
//
// Thread safety: every method may be called from any thread. The common case (no assemble in
// the last second) reads one atomic; the window takes a mutex.
//
// Usage:
//   server::StoreView view(root);
//   auto index = view.UrlIndex("web", "shop@2.4.0", "");  // as Store::UrlIndex
//   view.Published({"web"});  // after an assemble added to project web

#ifndef ARTIDX_SERVER_STORE_VIEW_H_
#define ARTIDX_SERVER_STORE_VIEW_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "artidx/lookup.h"

namespace artidx::server {

class StoreView {
 public:
  StoreView(const std::string& root, const CacheOptions& cache);

  // The main Store: everything but opening indexes (reads, downloads, repair on read).
  const Store& store() const { return store_; }
  // As Store::UrlIndex and Store::DebugIdIndex, but current for a project this server
  // published to in the last staleness bound.
  absl::StatusOr<std::shared_ptr<const Index>> UrlIndex(std::string_view project,
                                                        std::string_view release,
                                                        std::string_view dist) const;
  absl::StatusOr<std::shared_ptr<const Index>> DebugIdIndex(std::string_view project) const;
  // The caches' counts, of both Stores.
  Store::Stats GetStats() const;

  // Records that this server just published to the indexes of `projects`: call once the
  // publish is complete, before anyone is told.
  void Published(const std::vector<std::string>& projects);

 private:
  // The Store to open `project`'s indexes with now.
  const Store& For(std::string_view project) const;

  const int64_t staleness_ms_;
  Store store_;
  Store fresh_;  // staleness 0: lists on every request
  // The end of the latest window (monotonic ms); 0 before the first publish.
  std::atomic<int64_t> fresh_until_{0};
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, int64_t> windows_;  // project -> end; guarded by mu_
};

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_STORE_VIEW_H_
