// jemalloc_probe: an LD_PRELOAD library that lets perf/allocs read a running process's jemalloc
// allocation counters at moments of its choosing.
//
// At load it starts one thread (all signals blocked, so the host's signal handling is unchanged)
// that waits on the FIFO $RMQ_JEMALLOC_PROBE_DIR/request. Each line written there is a label; for
// each, the thread refreshes jemalloc's statistics (mallctl "epoch") and appends
//   <label> <small requests> <large requests> <bytes allocated>
// to $RMQ_JEMALLOC_PROBE_DIR/stats. Requests are cumulative malloc/new calls over all arenas,
// thread caches included. The thread sleeps in open()/read() between requests: no cost while
// the process runs. Without jemalloc in the process it writes "<label> no-jemalloc".
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*mallctl_fn)(const char*, void*, size_t*, void*, size_t);

static char probe_dir[512];

static int read_u64(mallctl_fn mallctl, const char* name, uint64_t* out) {
  size_t size = sizeof(*out);
  return mallctl(name, out, &size, NULL, 0);
}

static void snapshot(const char* label) {
  char path[600];
  snprintf(path, sizeof path, "%s/stats", probe_dir);
  FILE* out = fopen(path, "a");
  if (out == NULL) return;
  mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  uint64_t epoch = 1;
  uint64_t small = 0;
  uint64_t large = 0;
  size_t allocated = 0;
  size_t size = sizeof allocated;
  if (mallctl == NULL || mallctl("epoch", &epoch, &size, &epoch, sizeof epoch) != 0 ||
      read_u64(mallctl, "stats.arenas.4096.small.nrequests", &small) != 0 ||
      read_u64(mallctl, "stats.arenas.4096.large.nrequests", &large) != 0 ||
      mallctl("stats.allocated", &allocated, &size, NULL, 0) != 0) {
    fprintf(out, "%s no-jemalloc\n", label);
  } else {
    fprintf(out, "%s %llu %llu %llu\n", label, (unsigned long long)small,
            (unsigned long long)large, (unsigned long long)allocated);
  }
  fclose(out);
}

static void* probe_main(void* arg) {
  (void)arg;
  char path[600];
  snprintf(path, sizeof path, "%s/request", probe_dir);
  for (;;) {
    FILE* in = fopen(path, "r");  // blocks until a writer opens the FIFO
    if (in == NULL) return NULL;
    char line[128];
    while (fgets(line, sizeof line, in) != NULL) {
      line[strcspn(line, "\r\n")] = '\0';
      if (line[0] != '\0') snapshot(line);
    }
    fclose(in);
  }
}

__attribute__((constructor)) static void probe_start(void) {
  const char* dir = getenv("RMQ_JEMALLOC_PROBE_DIR");
  if (dir == NULL || strlen(dir) >= sizeof probe_dir) return;
  strcpy(probe_dir, dir);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_t thread;
  if (pthread_create(&thread, NULL, probe_main, NULL) == 0) pthread_detach(thread);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}
