// rss_probe INDEX_DIR QUERIES_FILE LOOKUPS: what a symbolication worker holds in memory. Opens
// the URL index in INDEX_DIR, runs LOOKUPS lookups of the frame URLs in QUERIES_FILE (one per
// line, cycled), then prints
//   rss_bytes=<resident bytes> index_rss_bytes=<resident bytes of the index mappings>
//   start_rss_bytes=<resident bytes before the index was opened>
// on one line. Used by lookup_bench's rss/<W> benchmark; links only the lookup library, as a
// worker would.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "artidx/lookup.h"

namespace {

// Resident memory of this process (/proc/self/statm), and that of the mappings whose path
// contains `path_part` (/proc/self/smaps).
uint64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t MappedRssBytes(std::string_view path_part) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_mapping = false;
  uint64_t total = 0;
  while (std::getline(smaps, line)) {
    // A mapping's first line: "start-end perms offset dev inode [path]".
    const size_t dash = line.find('-');
    if (dash != std::string::npos && dash > 0 &&
        line.find_first_not_of("0123456789abcdef") == dash) {
      in_mapping = line.find(path_part) != std::string::npos;
      continue;
    }
    if (in_mapping && line.starts_with("Rss:")) {
      total += std::strtoull(line.c_str() + 4, nullptr, 10) * 1024;
    }
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: rss_probe INDEX_DIR QUERIES_FILE LOOKUPS\n");
    return 2;
  }
  std::vector<std::string> queries;
  {
    std::ifstream in(argv[2]);
    for (std::string line; std::getline(in, line);) queries.push_back(line);
  }
  if (queries.empty()) {
    std::fprintf(stderr, "rss_probe: no queries in %s\n", argv[2]);
    return 2;
  }
  const long lookups = std::atol(argv[3]);
  const uint64_t start_rss = RssBytes();
  absl::StatusOr<std::unique_ptr<artidx::Index>> index = artidx::Index::Open(argv[1]);
  if (!index.ok()) {
    std::fprintf(stderr, "rss_probe: %s\n", std::string(index.status().message()).c_str());
    return 2;
  }
  std::vector<artidx::Candidate> out;
  size_t found = 0;
  for (long i = 0; i < lookups; ++i) {
    out.clear();
    if (!(*index)->LookupUrl(queries[static_cast<size_t>(i) % queries.size()], &out).ok()) {
      std::fprintf(stderr, "rss_probe: lookup failed\n");
      return 2;
    }
    found += out.size();
  }
  if (found == 0) {
    std::fprintf(stderr, "rss_probe: no lookup found anything\n");
    return 2;
  }
  std::printf("rss_bytes=%lu index_rss_bytes=%lu start_rss_bytes=%lu\n",
              static_cast<unsigned long>(RssBytes()),
              static_cast<unsigned long>(MappedRssBytes(".aix")),
              static_cast<unsigned long>(start_rss));
  return 0;
}
