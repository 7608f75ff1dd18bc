/* Copyright artidx authors.
 *
 * artidx.h: the C API of the artidx lookup library, for a symbolication worker written in C,
 * Rust, Python (ctypes/cffi) or anything else that can call C. Plain C99, no C++ types and no
 * exceptions cross it. Link with -lartidx (libartidx.so; pkg-config `artidx`, CMake
 * `find_package(artidx)` -> artidx::artidx or artidx::artidx_static).
 *
 * What it does: resolves a stack frame's URL, or a debug id, to the bundles of a store that hold
 * the file (newest first), and reads the file's bytes from the stored archive. Stores are
 * written by the `artidx` command line tool (`artidx add`); this API only reads them, apart
 * from the two repairs a worker makes (artidx_mark_used, artidx_drop_missing).
 *
 * Errors. Every function returning an artidx_status reports failure through it and never
 * aborts or throws: NULL pointer arguments are ARTIDX_INVALID_ARGUMENT, out-of-memory and any
 * unexpected failure are ARTIDX_ERROR. ARTIDX_NOT_FOUND is not an error: the lookup ran and no
 * bundle holds the file. artidx_last_error() gives a one-line message for the latest call of
 * this thread that returned a status (the file or input concerned, and the problem); it is ""
 * after ARTIDX_OK.
 *
 * Ownership and lifetimes.
 *  - artidx_store: from artidx_store_open (or artidx_store_open_with_cache), released by
 *    artidx_store_close. It keeps the indexes it opened memory-mapped across calls (at most
 *    max_open_indexes, least recently used closed first) and sees what writers publish within
 *    staleness_ms.
 *  - artidx_result: from a lookup, released by artidx_result_free. It holds a reference to the
 *    index snapshot it came from, so every pointer in its candidates stays valid until the
 *    result is freed, even after the store is closed or the index changes on disk. Functions
 *    that take a store and a result need the store to be open.
 *  - artidx_candidate: a plain struct filled by artidx_result_get. Its bundle_id, url, path and
 *    sourcemap are (pointer, length) views into the index's mapping, NOT NUL-terminated (print
 *    them with "%.*s"); they live as long as the result. debug_id and archive_sha1 are
 *    NUL-terminated text inside the struct itself.
 *  - File bytes from artidx_read_file are malloc'ed for the caller: release with artidx_free.
 *  - Freeing NULL (artidx_store_close, artidx_result_free, artidx_free) does nothing.
 *
 * Thread safety. A store may be used by any number of threads at once. A result may be read
 * (count, get, read_file, mark_used) by several threads at once, but artidx_drop_missing and
 * artidx_result_free need it to themselves. artidx_last_error is per thread.
 *
 * ABI. The structs below are part of the ABI of libartidx.so.0: fields are not reordered or
 * resized, nor added, without a new SOVERSION (a caller's struct has the size its header gave
 * it). Settings that came later are arguments of functions that came later:
 * artidx_store_open_with_cache takes the cache settings of a store on S3. Always fill
 * artidx_store_options with artidx_store_options_init first.
 *
 * Usage:
 *   artidx_store* store;
 *   artidx_result* found;
 *   if (artidx_store_open("/var/lib/artidx", NULL, &store) != ARTIDX_OK) {
 *     fprintf(stderr, "%s\n", artidx_last_error());
 *     return 1;
 *   }
 *   artidx_status s = artidx_lookup_url(store, "web", "shop@2.4.0", NULL,
 *                                       "https://cdn.example/js/app.min.js?v=3", &found);
 *   if (s == ARTIDX_OK) {
 *     artidx_candidate c;
 *     for (size_t i = 0; i < artidx_result_count(found); ++i) {
 *       artidx_result_get(found, i, &c);
 *       printf("%.*s %.*s\n", (int)c.bundle_id_len, c.bundle_id, (int)c.path_len, c.path);
 *     }
 *     char* data;
 *     size_t len;
 *     if (artidx_read_file(store, found, 0, &data, &len) == ARTIDX_OK) {
 *       fwrite(data, 1, len, stdout);
 *       artidx_free(data);
 *     }
 *     artidx_result_free(found);
 *   } else if (s != ARTIDX_NOT_FOUND && s != ARTIDX_NO_SUCH_INDEX) {
 *     fprintf(stderr, "%s: %s\n", artidx_status_name(s), artidx_last_error());
 *   }
 *   artidx_store_close(store);
 */

#ifndef ARTIDX_ARTIDX_H_
#define ARTIDX_ARTIDX_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ARTIDX_API
#elif defined(__GNUC__) || defined(__clang__)
#define ARTIDX_API __attribute__((visibility("default")))
#else
#define ARTIDX_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What a call did. The values are stable. */
typedef enum artidx_status {
  ARTIDX_OK = 0,
  ARTIDX_NOT_FOUND = 1,        /* the lookup ran and found nothing: not an error */
  ARTIDX_INVALID_ARGUMENT = 2, /* NULL argument, bad name, debug id, type or index */
  ARTIDX_NO_SUCH_INDEX = 3,    /* nothing was ever added to that (project, release, dist)
                                  or project */
  ARTIDX_CORRUPT_INDEX = 4,    /* an index file failed its checks; the message names it */
  ARTIDX_ARCHIVE_MISSING = 5,  /* the index names a bundle whose archive the store no longer
                                  has (see artidx_drop_missing) */
  ARTIDX_ENTRY_MISSING = 6,    /* the archive lacks the entry, or it cannot be read */
  ARTIDX_ERROR = 7             /* I/O errors, out of memory, resource limits and the rest */
} artidx_status;

/* The manifest's file types; stored in index files, so stable. */
typedef enum artidx_file_type {
  ARTIDX_TYPE_ANY = 0, /* for artidx_lookup_debug_id only: any type */
  ARTIDX_TYPE_SOURCE = 1,
  ARTIDX_TYPE_MINIFIED_SOURCE = 2,
  ARTIDX_TYPE_SOURCE_MAP = 3,
  ARTIDX_TYPE_INDEXED_RAM_BUNDLE = 4
} artidx_file_type;

typedef struct artidx_store artidx_store;   /* opaque */
typedef struct artidx_result artidx_result; /* opaque */

typedef struct artidx_store_options {
  /* An open index is checked for new segments (one directory listing) at most this often;
     lookups in between touch no file system. Default 1000. */
  int64_t staleness_ms;
  /* At most this many indexes stay mapped; the least recently used are closed. Default 1024. */
  size_t max_open_indexes;
  /* How long artidx_drop_missing trusts that an archive exists (or not). Default 10000. */
  int64_t archive_check_ttl_ms;
} artidx_store_options;

/* One (bundle, file) answer. See "Ownership and lifetimes" above. */
typedef struct artidx_candidate {
  const char* bundle_id; /* not NUL-terminated */
  size_t bundle_id_len;
  const char* url; /* the manifest url, e.g. "~/static/app.min.js"; not NUL-terminated */
  size_t url_len;
  const char* path; /* the entry's zip path in the archive; not NUL-terminated */
  size_t path_len;
  const char* sourcemap; /* the Sourcemap header; NULL (and length 0) when absent */
  size_t sourcemap_len;
  int64_t timestamp_ms;  /* when the bundle was added (or the --timestamp given) */
  int type;              /* an artidx_file_type, 1..4 */
  char debug_id[48];     /* canonical lowercase text, NUL-terminated; "" when none */
  char archive_sha1[41]; /* lowercase hex SHA-1 of the stored archive, NUL-terminated */
} artidx_candidate;

/* The library's version, e.g. "0.1.0". Static storage. */
ARTIDX_API const char* artidx_version(void);

/* "ok", "not_found", "invalid_argument", "no_such_index", "corrupt_index", "archive_missing",
   "entry_missing", "error" for the artidx_status values; "unknown" for any other int. Static
   storage. */
ARTIDX_API const char* artidx_status_name(int status);

/* The message of the latest call on this thread that returned a status ("" after ARTIDX_OK).
   Valid until the next such call on this thread. Never NULL. */
ARTIDX_API const char* artidx_last_error(void);

/* Fills *options with the defaults. */
ARTIDX_API void artidx_store_options_init(artidx_store_options* options);

/* Opens the store at `root` (options NULL: the defaults): a directory, or
   "s3://BUCKET[/PREFIX]", a store on an S3-compatible object store configured from the
   environment as AWS tools are (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   AWS_REGION...; README "Object storage"), whose segments and archives are copied into the
   default cache directory (see artidx_store_open_with_cache). Reads nothing yet: a root that
   does not exist gives ARTIDX_NO_SUCH_INDEX on lookups until something is added there, and
   one that cannot be opened fails every lookup with a message naming it
   (ARTIDX_INVALID_ARGUMENT for an invalid s3:// URL or missing credentials). On failure
   *store is NULL. */
ARTIDX_API artidx_status artidx_store_open(const char* root, const artidx_store_options* options,
                                           artidx_store** store);

/* artidx_store_open with the local cache of a store on S3 (a local store has none): the copies
   of the segments and archives that lookups and reads map go into directory cache_dir (NULL or
   "": $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else $HOME/.cache/artidx), named by content
   so that processes may share it, and take at most cache_max_bytes (0: no limit; the least
   recently used go first). */
ARTIDX_API artidx_status artidx_store_open_with_cache(const char* root,
                                                      const artidx_store_options* options,
                                                      const char* cache_dir,
                                                      uint64_t cache_max_bytes,
                                                      artidx_store** store);

ARTIDX_API void artidx_store_close(artidx_store* store);

/* The candidates for a frame's abs_path in the URL index of (project, release, dist): the URL
   forms Symbolicator tries, in order, and for each the bundles holding exactly that URL,
   newest first. dist NULL or "" means none. ARTIDX_OK with *result holding at least one
   candidate; otherwise *result is NULL (ARTIDX_NOT_FOUND when the index has no such file,
   ARTIDX_NO_SUCH_INDEX when nothing was added to that release and dist). */
ARTIDX_API artidx_status artidx_lookup_url(artidx_store* store, const char* project,
                                           const char* release, const char* dist, const char* url,
                                           artidx_result** result);

/* The files of the project with this debug id (any case, hyphenated or compact, as
   artidx::DebugId::Parse accepts), and of this artidx_file_type (ARTIDX_TYPE_ANY: any),
   newest bundle first. Results as for artidx_lookup_url. */
ARTIDX_API artidx_status artidx_lookup_debug_id(artidx_store* store, const char* project,
                                                const char* debug_id, int type,
                                                artidx_result** result);

ARTIDX_API void artidx_result_free(artidx_result* result);

/* The number of candidates (0 for NULL, or after artidx_drop_missing removed all). */
ARTIDX_API size_t artidx_result_count(const artidx_result* result);

/* Fills *candidate with candidate i (0 = best). ARTIDX_INVALID_ARGUMENT when i is out of
   range. */
ARTIDX_API artidx_status artidx_result_get(const artidx_result* result, size_t i,
                                           artidx_candidate* candidate);

/* The bytes of candidate i's file, extracted from its stored archive, in a malloc'ed buffer of
   *len bytes followed by a NUL (not counted; the file may itself hold NULs). Release with
   artidx_free. ARTIDX_ARCHIVE_MISSING when the archive is gone (a removal or gc raced the
   lookup: see artidx_drop_missing), ARTIDX_ENTRY_MISSING when it lacks the entry. On failure
   *data is NULL and *len 0. */
ARTIDX_API artidx_status artidx_read_file(artidx_store* store, const artidx_result* result,
                                          size_t i, char** data, size_t* len);

ARTIDX_API void artidx_free(void* data);

/* Records that the worker used candidate i's bundle, renewing its age for `artidx gc`. One
   system call; writes no index. ARTIDX_ARCHIVE_MISSING when the archive is gone, ARTIDX_ERROR
   when it cannot be touched otherwise. */
ARTIDX_API artidx_status artidx_mark_used(artidx_store* store, const artidx_result* result,
                                          size_t i);

/* Repair on read: removes from the result the candidates whose archive no longer exists, and
   publishes a tombstone for each such bundle in the index so that later lookups no longer see
   it. ARTIDX_OK when candidates remain, ARTIDX_NOT_FOUND when none do; on another status the
   result may have lost missing candidates but every remaining one is still valid. Candidate
   numbers change: call artidx_result_count and artidx_result_get again. */
ARTIDX_API artidx_status artidx_drop_missing(artidx_store* store, artidx_result* result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ARTIDX_ARTIDX_H_ */
