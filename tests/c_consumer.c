/* A C program using the installed libartidx, built by c_api_test with pkg-config and with
 * find_package(artidx) (c_consumer/CMakeLists.txt). Plain C99.
 *
 * Usage: c_consumer STORE PROJECT RELEASE URL
 * Prints the candidates of the URL lookup, one line each, then the bytes of the first
 * candidate's file between "file <length>" and "end" lines, then the status of a lookup in a
 * project that does not exist. Exits 0, or 1 with the error on stderr. */

#include <stdio.h>
#include <string.h>

#include "artidx/artidx.h"

int main(int argc, char** argv) {
  artidx_store* store = NULL;
  artidx_result* found = NULL;
  artidx_store_options options;
  artidx_candidate c;
  artidx_status status;
  char* data = NULL;
  size_t len = 0;
  size_t i;

  if (argc != 5) {
    fprintf(stderr, "usage: %s STORE PROJECT RELEASE URL\n", argv[0]);
    return 1;
  }
  printf("artidx %s\n", artidx_version());
  artidx_store_options_init(&options);
  options.staleness_ms = 0;
  if (artidx_store_open(argv[1], &options, &store) != ARTIDX_OK) {
    fprintf(stderr, "open: %s\n", artidx_last_error());
    return 1;
  }
  status = artidx_lookup_url(store, argv[2], argv[3], NULL, argv[4], &found);
  if (status != ARTIDX_OK) {
    fprintf(stderr, "lookup: %s: %s\n", artidx_status_name(status), artidx_last_error());
    artidx_store_close(store);
    return 1;
  }
  printf("candidates %lu\n", (unsigned long)artidx_result_count(found));
  for (i = 0; i < artidx_result_count(found); ++i) {
    if (artidx_result_get(found, i, &c) != ARTIDX_OK) return 1;
    printf("%lu bundle=%.*s url=%.*s path=%.*s type=%d debug_id=%s timestamp=%lld sourcemap=",
           (unsigned long)i, (int)c.bundle_id_len, c.bundle_id, (int)c.url_len, c.url,
           (int)c.path_len, c.path, c.type, c.debug_id[0] ? c.debug_id : "-",
           (long long)c.timestamp_ms);
    if (c.sourcemap != NULL) {
      printf("%.*s\n", (int)c.sourcemap_len, c.sourcemap);
    } else {
      printf("-\n");
    }
  }
  status = artidx_read_file(store, found, 0, &data, &len);
  if (status != ARTIDX_OK) {
    fprintf(stderr, "read: %s: %s\n", artidx_status_name(status), artidx_last_error());
    return 1;
  }
  printf("file %lu\n", (unsigned long)len);
  fwrite(data, 1, len, stdout);
  printf("\nend\n");
  artidx_free(data);
  artidx_result_free(found);

  status = artidx_lookup_url(store, "no-such-project", argv[3], "", argv[4], &found);
  printf("other project: %s%s\n", artidx_status_name(status), found == NULL ? "" : " (result?)");
  artidx_store_close(store);
  return 0;
}
