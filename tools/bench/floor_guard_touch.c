/* The floor for "N idle fibers all started": what spindle's stack pool must do at the least for N
 * fibers, with no scheduler, no control block and no context switch. At spindle's default stride
 * (128 KiB usable + one 4 KiB guard page, fibers/stack_pool.cpp) it mmaps 32 MiB slabs
 * (MAP_NORESERVE), installs one guard page per stack with madvise(MADV_GUARD_INSTALL) and touches
 * one fresh page per stack (the top page, where a fiber's first frame lives).
 *   floor_guard_touch N   -> floor_idle_started_N ms, floor_idle_rss_N bytes/fiber */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long long vm_hwm_bytes(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kb = atoll(line + 6);
      break;
    }
  }
  fclose(f);
  return kb * 1024;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  const long n = atol(argv[1]);
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t stack_size = 128 * 1024;
  const size_t stride = stack_size + page;
  const size_t slab_bytes = 32u << 20;
  const size_t slots = slab_bytes / stride;
  long guard_failures = 0;

  const long long base = vm_hwm_bytes();
  const double t0 = now_ns();
  long done = 0;
  while (done < n) {
    char* slab = mmap(NULL, stride * slots, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slab == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    for (size_t i = 0; i < slots && done < n; ++i, ++done) {
      char* guard = slab + i * stride;
      if (madvise(guard, page, MADV_GUARD_INSTALL) != 0) ++guard_failures;
      volatile char* top_page = guard + stride - page;
      top_page[page - 64] = 1; /* one fresh page per stack */
    }
  }
  const double elapsed = now_ns() - t0;
  const long long peak = vm_hwm_bytes();
  if (guard_failures)
    fprintf(stderr, "floor_guard_touch: %ld MADV_GUARD_INSTALL failures (%s)\n", guard_failures,
            strerror(errno));
  printf("floor_idle_rss_%ld %.6g bytes/fiber\n", n, n ? (double)(peak - base) / (double)n : 0.0);
  printf("floor_idle_started_%ld %.6g ms\n", n, elapsed / 1e6);
  return 0;
}
