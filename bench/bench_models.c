/* What loading a service's compiled model costs: the first use in a process
 * maps the model file and reads its index; a service's first use checks its
 * records (every index and offset bounds-checked once). Prints one JSON line:
 *
 *   bench_models --service NAME   {"service", "map_us", "load_us", "bytes",
 *                                  "rss_kb_before", "rss_kb_after"}
 *   bench_models --all            the same for every service in one process
 *
 * Resident memory is read from /proc/self/status (VmRSS) before the file is
 * mapped and after the service is loaded (the file's pages that were
 * touched, the per-service structure, and the library's own code pages
 * faulted in on first use), and the file's part alone from
 * /proc/self/smaps. Run it in a fresh process for each service
 * (bench/run_models.sh does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "model.h"

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb;
}

/* The resident part of the model file's mapping, from /proc/self/smaps. */
static long mapped_rss_kb(void) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  int in_map = 0;
  long kb = 0, v;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's first line */
      in_map = strstr(line, MODEL_FILE_NAME) != NULL;
    else if (in_map && sscanf(line, "Rss: %ld kB", &v) == 1)
      kb += v;
  }
  if (f)
    fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  const char *service = NULL;
  int all = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
      service = argv[++i];
    else if (strcmp(argv[i], "--all") == 0)
      all = 1;
  }
  if (service == NULL && !all) {
    fprintf(stderr, "usage: bench_models --service NAME | --all\n");
    return 2;
  }
  long before = rss_kb();
  uint64_t t0 = uv_hrtime();
  size_t n = 0;
  char why[512] = "";
  const uvaws_service_t *rows = model_services(&n, why, sizeof why);
  uint64_t t1 = uv_hrtime();
  if (rows == NULL) {
    fprintf(stderr, "bench_models: %s\n", why);
    return 1;
  }
  uint64_t bytes = 0;
  for (size_t i = 0; i < n; i++) {
    if (!all && strcmp(rows[i].name, service) != 0)
      continue;
    const model_t *m = model_get(rows[i].name, why, sizeof why);
    if (m == NULL) {
      fprintf(stderr, "bench_models: %s\n", why);
      return 1;
    }
    bytes += m->ix->blob_len;
  }
  uint64_t t2 = uv_hrtime();
  long after = rss_kb();
  printf("{\"service\":\"%s\",\"map_us\":%.1f,\"load_us\":%.1f,\"bytes\":%llu,"
         "\"rss_kb_before\":%ld,\"rss_kb_after\":%ld,\"file_rss_kb\":%ld}\n",
         all ? "(all)" : service, (double)(t1 - t0) / 1e3, (double)(t2 - t1) / 1e3,
         (unsigned long long)bytes, before, after, mapped_rss_kb());
  return bytes > 0 ? 0 : 1;
}
