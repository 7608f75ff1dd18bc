// The C API (include/artidx/artidx.h) over artidx::Store and artidx::Index. Every entry point
// catches everything: no exception crosses into C.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "artidx/artidx.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "common/strings.h"

struct artidx_store {
  explicit artidx_store(std::string root, artidx::StoreOptions options)
      : store(std::move(root), options) {}
  artidx::Store store;
};

struct artidx_result {
  // Keeps the mappings the candidates' views point into.
  std::shared_ptr<const artidx::Index> index;
  std::vector<artidx::Candidate> candidates;
};

namespace {

thread_local std::string last_error;

artidx_status Ok() {
  last_error.clear();
  return ARTIDX_OK;
}

// Sets this thread's message to the concatenation of `pieces`. Never throws.
template <typename... T>
artidx_status Fail(artidx_status status, const T&... pieces) {
  try {
    last_error = artidx::StrCat(pieces...);
  } catch (...) {
    last_error.clear();  // out of memory: the status alone must do
  }
  return status;
}

artidx_status FromStatus(const absl::Status& status) {
  switch (artidx::GetErrorKind(status)) {
    case artidx::ErrorKind::kNone:
      return Ok();
    case artidx::ErrorKind::kInvalidArgument:
    case artidx::ErrorKind::kInvalidBundle:
      return Fail(ARTIDX_INVALID_ARGUMENT, artidx::StdView(status.message()));
    case artidx::ErrorKind::kNoSuchIndex:
      return Fail(ARTIDX_NO_SUCH_INDEX, artidx::StdView(status.message()));
    case artidx::ErrorKind::kCorruptIndex:
      return Fail(ARTIDX_CORRUPT_INDEX, artidx::StdView(status.message()));
    case artidx::ErrorKind::kArchiveMissing:
      return Fail(ARTIDX_ARCHIVE_MISSING, artidx::StdView(status.message()));
    case artidx::ErrorKind::kEntryMissing:
      return Fail(ARTIDX_ENTRY_MISSING, artidx::StdView(status.message()));
    case artidx::ErrorKind::kOther:
      break;
  }
  return Fail(ARTIDX_ERROR, artidx::StdView(status.message()));
}

artidx_status Null(const char* function, const char* argument) {
  return Fail(ARTIDX_INVALID_ARGUMENT, function, ": ", argument, " is NULL");
}

// Runs `body` (which returns an artidx_status), turning any exception into ARTIDX_ERROR.
template <typename Body>
artidx_status Guard(const char* function, Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(ARTIDX_ERROR, function, ": out of memory");
  } catch (const std::exception& e) {
    return Fail(ARTIDX_ERROR, function, ": ", e.what());
  } catch (...) {
    return Fail(ARTIDX_ERROR, function, ": unknown exception");
  }
}

// A lookup's answer as a result: NOT_FOUND when empty.
artidx_status Answer(std::shared_ptr<const artidx::Index> index,
                     std::vector<artidx::Candidate> candidates, const char* kind,
                     std::string_view what, artidx_result** result) {
  if (candidates.empty()) {
    return Fail(ARTIDX_NOT_FOUND, index->dir(), ": no candidate for ", kind, " ", what);
  }
  *result = new artidx_result{std::move(index), std::move(candidates)};
  return Ok();
}

// artidx_store_open and artidx_store_open_with_cache, as `function`.
artidx_status OpenStore(const char* function, const char* root, const artidx_store_options* options,
                        const char* cache_dir, uint64_t cache_max_bytes,
                        artidx_store** store) noexcept {
  return Guard(function, [&] {
    if (store == nullptr) return Null(function, "store");
    *store = nullptr;
    if (root == nullptr) return Null(function, "root");
    if (*root == '\0') return Fail(ARTIDX_INVALID_ARGUMENT, function, ": root is empty");
    artidx::StoreOptions store_options;
    if (options != nullptr) {
      if (options->staleness_ms < 0 || options->archive_check_ttl_ms < 0) {
        return Fail(ARTIDX_INVALID_ARGUMENT, function,
                    ": staleness_ms and archive_check_ttl_ms must be >= 0");
      }
      store_options.staleness_ms = options->staleness_ms;
      store_options.max_open_indexes = options->max_open_indexes;
      store_options.archive_check_ttl_ms = options->archive_check_ttl_ms;
    }
    if (cache_dir != nullptr) store_options.cache.dir = cache_dir;
    store_options.cache.max_bytes = cache_max_bytes;
    *store = new artidx_store(root, store_options);
    return Ok();
  });
}

void Hex(std::string_view bytes, char* out, size_t out_size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t n = 0;
  for (unsigned char c : bytes) {
    if (n + 2 >= out_size) break;
    out[n++] = kDigits[c >> 4];
    out[n++] = kDigits[c & 15];
  }
  out[n] = '\0';
}

}  // namespace

extern "C" {

const char* artidx_version(void) { return ARTIDX_VERSION; }

const char* artidx_status_name(int status) {
  switch (status) {
    case ARTIDX_OK:
      return "ok";
    case ARTIDX_NOT_FOUND:
      return "not_found";
    case ARTIDX_INVALID_ARGUMENT:
      return "invalid_argument";
    case ARTIDX_NO_SUCH_INDEX:
      return "no_such_index";
    case ARTIDX_CORRUPT_INDEX:
      return "corrupt_index";
    case ARTIDX_ARCHIVE_MISSING:
      return "archive_missing";
    case ARTIDX_ENTRY_MISSING:
      return "entry_missing";
    case ARTIDX_ERROR:
      return "error";
  }
  return "unknown";
}

const char* artidx_last_error(void) { return last_error.c_str(); }

void artidx_store_options_init(artidx_store_options* options) {
  if (options == nullptr) return;
  const artidx::StoreOptions defaults;
  options->staleness_ms = defaults.staleness_ms;
  options->max_open_indexes = defaults.max_open_indexes;
  options->archive_check_ttl_ms = defaults.archive_check_ttl_ms;
}

artidx_status artidx_store_open(const char* root, const artidx_store_options* options,
                                artidx_store** store) {
  return OpenStore(__func__, root, options, nullptr, 0, store);
}

artidx_status artidx_store_open_with_cache(const char* root, const artidx_store_options* options,
                                           const char* cache_dir, uint64_t cache_max_bytes,
                                           artidx_store** store) {
  return OpenStore(__func__, root, options, cache_dir, cache_max_bytes, store);
}

void artidx_store_close(artidx_store* store) { delete store; }

artidx_status artidx_lookup_url(artidx_store* store, const char* project, const char* release,
                                const char* dist, const char* url, artidx_result** result) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (result == nullptr) return Null(fn, "result");
    *result = nullptr;
    if (store == nullptr) return Null(fn, "store");
    if (project == nullptr) return Null(fn, "project");
    if (release == nullptr) return Null(fn, "release");
    if (url == nullptr) return Null(fn, "url");
    absl::StatusOr<std::shared_ptr<const artidx::Index>> index =
        store->store.UrlIndex(project, release, dist == nullptr ? "" : dist);
    if (!index.ok()) return FromStatus(index.status());
    std::vector<artidx::Candidate> candidates;
    if (absl::Status s = (*index)->LookupUrl(url, &candidates); !s.ok()) return FromStatus(s);
    return Answer(*std::move(index), std::move(candidates), "url", url, result);
  });
}

artidx_status artidx_lookup_debug_id(artidx_store* store, const char* project, const char* debug_id,
                                     int type, artidx_result** result) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (result == nullptr) return Null(fn, "result");
    *result = nullptr;
    if (store == nullptr) return Null(fn, "store");
    if (project == nullptr) return Null(fn, "project");
    if (debug_id == nullptr) return Null(fn, "debug_id");
    if (type < 0 || type > artidx::kFileTypeCount) {
      return Fail(ARTIDX_INVALID_ARGUMENT, fn, ": invalid file type ", type, " (0 to ",
                  artidx::kFileTypeCount, ")");
    }
    absl::StatusOr<artidx::DebugId> id = artidx::DebugId::Parse(debug_id);
    if (!id.ok()) return FromStatus(id.status());
    std::optional<artidx::FileType> file_type;
    if (type != ARTIDX_TYPE_ANY) file_type = static_cast<artidx::FileType>(type);
    absl::StatusOr<std::shared_ptr<const artidx::Index>> index = store->store.DebugIdIndex(project);
    if (!index.ok()) return FromStatus(index.status());
    std::vector<artidx::Candidate> candidates;
    if (absl::Status s = (*index)->LookupDebugId(*id, file_type, &candidates); !s.ok()) {
      return FromStatus(s);
    }
    return Answer(*std::move(index), std::move(candidates), "debug id", debug_id, result);
  });
}

void artidx_result_free(artidx_result* result) { delete result; }

size_t artidx_result_count(const artidx_result* result) {
  return result == nullptr ? 0 : result->candidates.size();
}

artidx_status artidx_result_get(const artidx_result* result, size_t i,
                                artidx_candidate* candidate) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (candidate == nullptr) return Null(fn, "candidate");
    std::memset(candidate, 0, sizeof *candidate);
    if (result == nullptr) return Null(fn, "result");
    if (i >= result->candidates.size()) {
      return Fail(ARTIDX_INVALID_ARGUMENT, fn, ": candidate ", i, " of ",
                  result->candidates.size());
    }
    const artidx::Candidate& c = result->candidates[i];
    candidate->bundle_id = c.bundle_id.data();
    candidate->bundle_id_len = c.bundle_id.size();
    candidate->url = c.url.data();
    candidate->url_len = c.url.size();
    candidate->path = c.path.data();
    candidate->path_len = c.path.size();
    if (c.sourcemap) {
      // A present but empty header still gets a non-NULL pointer.
      candidate->sourcemap = c.sourcemap->data() != nullptr ? c.sourcemap->data() : "";
      candidate->sourcemap_len = c.sourcemap->size();
    }
    candidate->timestamp_ms = c.timestamp_ms;
    candidate->type = static_cast<int>(c.type);
    if (c.debug_id) {
      const std::string text = c.debug_id->ToString();
      const size_t n = std::min(text.size(), sizeof candidate->debug_id - 1);
      std::memcpy(candidate->debug_id, text.data(), n);
      candidate->debug_id[n] = '\0';
    }
    Hex(c.archive_sha1, candidate->archive_sha1, sizeof candidate->archive_sha1);
    return Ok();
  });
}

artidx_status artidx_read_file(artidx_store* store, const artidx_result* result, size_t i,
                               char** data, size_t* len) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (data != nullptr) *data = nullptr;
    if (len != nullptr) *len = 0;
    if (data == nullptr) return Null(fn, "data");
    if (len == nullptr) return Null(fn, "len");
    if (store == nullptr) return Null(fn, "store");
    if (result == nullptr) return Null(fn, "result");
    if (i >= result->candidates.size()) {
      return Fail(ARTIDX_INVALID_ARGUMENT, fn, ": candidate ", i, " of ",
                  result->candidates.size());
    }
    absl::StatusOr<std::string> bytes = store->store.ReadFile(result->candidates[i]);
    if (!bytes.ok()) return FromStatus(bytes.status());
    char* copy = static_cast<char*>(std::malloc(bytes->size() + 1));
    if (copy == nullptr) return Fail(ARTIDX_ERROR, fn, ": out of memory");
    std::memcpy(copy, bytes->data(), bytes->size());
    copy[bytes->size()] = '\0';
    *data = copy;
    *len = bytes->size();
    return Ok();
  });
}

void artidx_free(void* data) { std::free(data); }

artidx_status artidx_mark_used(artidx_store* store, const artidx_result* result, size_t i) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (store == nullptr) return Null(fn, "store");
    if (result == nullptr) return Null(fn, "result");
    if (i >= result->candidates.size()) {
      return Fail(ARTIDX_INVALID_ARGUMENT, fn, ": candidate ", i, " of ",
                  result->candidates.size());
    }
    return FromStatus(store->store.MarkUsed(result->candidates[i]));
  });
}

artidx_status artidx_drop_missing(artidx_store* store, artidx_result* result) {
  const char* const fn = __func__;
  return Guard(fn, [&] {
    if (store == nullptr) return Null(fn, "store");
    if (result == nullptr) return Null(fn, "result");
    if (absl::Status s = store->store.DropMissing(*result->index, &result->candidates); !s.ok()) {
      return FromStatus(s);
    }
    if (result->candidates.empty()) {
      return Fail(ARTIDX_NOT_FOUND, result->index->dir(), ": every candidate's archive is missing");
    }
    return Ok();
  });
}

}  // extern "C"
