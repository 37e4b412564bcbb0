#define _GNU_SOURCE
#include "threadpool.h"
#include "clock.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After a job, the caller (waiting for the others) and the workers that took part spin this long
   before sleeping: back-to-back calls (a timing loop) then pay no futex wake-up each. Only when the
   job fitted the cores: spinning threads of an oversubscribed job would steal the cores the
   remaining threads need. Idle workers never spin. */
#define SPIN_NS 50000u

/* One worker: its own wake slot, so a job wakes exactly the workers it uses. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  _Atomic unsigned long posted; /* number of the last job posted to this worker */
  _Atomic int stop;
  int id;        /* worker id w runs index w + 1 */
  int pin_state; /* 0: the affinity it was made with, 1: pinned to its CPU */
  pthread_t thread;
} worker_t;

static struct {
  pthread_mutex_t run_lock; /* one job at a time; also guards the worker list */
  worker_t **workers;
  int size;
  unsigned long jobs; /* job counter (posted numbers) */
  /* the current job: written before it is posted, read by its workers, unchanged until all are done */
  rl_pool_fn fn;
  void *ctx;
  int count, spin, pin;
  int caller_cpu; /* the CPU the caller posted from (-1: unknown) */
  _Atomic int pending; /* workers of the current job not yet done */
  pthread_mutex_t done_lock;
  pthread_cond_t done;
  _Atomic int pin_requested;
  int atexit_registered;
} pool = {.run_lock = PTHREAD_MUTEX_INITIALIZER, .done_lock = PTHREAD_MUTEX_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

/* Set on pool workers and on a caller inside its job: a job started there runs serially. */
static _Thread_local int inside_job;

int rl_cpu_count(void) {
  static _Atomic int cached = 0; /* sysconf reads /sys on every call: once is enough */
  int n = atomic_load_explicit(&cached, memory_order_relaxed);
  if (n == 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c < 1 ? 1 : (int)c;
    atomic_store_explicit(&cached, n, memory_order_relaxed);
  }
  return n;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* One step of a wait loop; 0 once SPIN_NS have passed since *deadline was set (0: not yet).
   Every few steps it yields: when the thread it waits for was put on this same CPU (the scheduler
   does that on a 2-core box), a spin that never yields holds that thread off until the spin ends. */
static int spin_step(unsigned i, uint64_t *deadline) {
  cpu_relax();
  if (i % 8 != 0) return 1;
  uint64_t now = rl_clock_ns();
  if (*deadline == 0) *deadline = now + SPIN_NS;
  if (now > *deadline) return 0;
  sched_yield();
  return 1;
}

/* Spins until *v != old or SPIN_NS pass; returns the last value read. */
static unsigned long spin_while_ulong(_Atomic unsigned long *v, unsigned long old) {
  unsigned long x;
  uint64_t deadline = 0;
  for (unsigned i = 1;; i++) {
    if ((x = atomic_load_explicit(v, memory_order_acquire)) != old) return x;
    if (!spin_step(i, &deadline)) return x;
  }
}

/* ---- pinning (Linux) ------------------------------------------------------------------------------ */
#ifdef __linux__
static cpu_set_t base_set; /* the process's CPUs when the pool was first used */
static int base_cpus[CPU_SETSIZE], base_count;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static _Thread_local int caller_pinned;
static _Thread_local cpu_set_t caller_saved;

static void capture_base(void) {
  if (sched_getaffinity(0, sizeof base_set, &base_set) != 0) return;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &base_set)) base_cpus[base_count++] = c;
}
/* CPUs this process may run on (taskset, a container's cpuset), which can be fewer than online. */
static int usable_cpus(void) {
  pthread_once(&base_once, capture_base);
  return base_count > 0 ? base_count : rl_cpu_count();
}
static void pin_self(int index) {
  if (base_count == 0) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(base_cpus[index % base_count], &one);
  pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}
static void unpin_self(void) {
  if (base_count > 0) pthread_setaffinity_np(pthread_self(), sizeof base_set, &base_set);
}
static int current_cpu(void) { return sched_getcpu(); }
/* The calling thread takes index 0's CPU while pinning is on, and gets its own set back after. */
static void caller_pin(int on) {
  if (on && !caller_pinned) {
    if (pthread_getaffinity_np(pthread_self(), sizeof caller_saved, &caller_saved) != 0) return;
    pin_self(0);
    caller_pinned = 1;
  } else if (!on && caller_pinned) {
    pthread_setaffinity_np(pthread_self(), sizeof caller_saved, &caller_saved);
    caller_pinned = 0;
  }
}
#else
static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static void capture_base(void) {}
static int usable_cpus(void) { return rl_cpu_count(); }
static int current_cpu(void) { return -1; }
static void pin_self(int index) { (void)index; }
static void unpin_self(void) {}
static void caller_pin(int on) { (void)on; }
#endif

void rl_pool_set_pinning(int on) {
  pthread_once(&base_once, capture_base);
  atomic_store(&pool.pin_requested, on != 0);
  if (!on) caller_pin(0);
}

/* ---- workers -------------------------------------------------------------------------------------- */
static void *worker_main(void *p) {
  worker_t *w = p;
  unsigned long seen = 0;
  int spin = 0;
  inside_job = 1;
  for (;;) {
    unsigned long job = spin ? spin_while_ulong(&w->posted, seen)
                             : atomic_load_explicit(&w->posted, memory_order_acquire);
    if (job == seen) {
      pthread_mutex_lock(&w->lock);
      while ((job = atomic_load_explicit(&w->posted, memory_order_acquire)) == seen)
        pthread_cond_wait(&w->wake, &w->lock);
      pthread_mutex_unlock(&w->lock);
    }
    seen = job;
    if (atomic_load(&w->stop)) return NULL;
    /* read the job before reporting done: the caller may post the next one right after */
    rl_pool_fn fn = pool.fn;
    void *ctx = pool.ctx;
    const int count = pool.count, pin = pool.pin;
    /* A worker the scheduler put on the caller's CPU sleeps rather than spins: only a wake-up makes
       the scheduler place it on an idle CPU, and until then the two run by turns. */
    spin = pool.spin && current_cpu() != pool.caller_cpu;
    if (pin != w->pin_state) {
      if (pin) pin_self(w->id + 1);
      else unpin_self();
      w->pin_state = pin;
    }
    fn(ctx, w->id + 1, count);
    if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool.done_lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.done_lock);
    }
  }
}

static void post(worker_t *w, unsigned long job) {
  pthread_mutex_lock(&w->lock);
  atomic_store_explicit(&w->posted, job, memory_order_release);
  pthread_mutex_unlock(&w->lock);
  pthread_cond_signal(&w->wake); /* no system call when the worker is spinning rather than waiting */
}

static void free_worker(worker_t *w) {
  pthread_cond_destroy(&w->wake);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

/* Makes workers until there are `want`; run_lock held. Returns 0, or -1 if that many can't be made. */
static int grow(int want) {
  if (want <= pool.size) return 0;
  worker_t **list = realloc(pool.workers, sizeof *list * (size_t)want);
  if (!list) return -1;
  pool.workers = list;
  if (!pool.atexit_registered) pool.atexit_registered = atexit(rl_pool_shutdown) == 0;
  while (pool.size < want) {
    worker_t *w = aligned_alloc(64, (sizeof(worker_t) + 63) / 64 * 64); /* one cache line set each */
    if (!w) return -1;
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->id = pool.size;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      free_worker(w);
      return -1;
    }
    pool.workers[pool.size++] = w;
  }
  return 0;
}

void rl_pool_shutdown(void) {
  if (inside_job) return; /* a job can't wait for its own workers */
  pthread_mutex_lock(&pool.run_lock);
  for (int i = 0; i < pool.size; i++) {
    worker_t *w = pool.workers[i];
    atomic_store(&w->stop, 1);
    post(w, ++pool.jobs);
  }
  for (int i = 0; i < pool.size; i++) {
    pthread_join(pool.workers[i]->thread, NULL);
    free_worker(pool.workers[i]);
  }
  free(pool.workers);
  pool.workers = NULL;
  pool.size = 0;
  pthread_mutex_unlock(&pool.run_lock);
}

static void run_serially(int n, rl_pool_fn fn, void *ctx) {
  for (int i = 0; i < n; i++) fn(ctx, i, n);
}

int rl_pool_run(int n, rl_pool_fn fn, void *ctx) {
  if (n < 1) n = 1;
  if (inside_job) {
    run_serially(n, fn, ctx);
    return 0;
  }
  const int pin = atomic_load(&pool.pin_requested);
  caller_pin(pin);
  if (n == 1) {
    fn(ctx, 0, 1);
    return 0;
  }
  pthread_mutex_lock(&pool.run_lock);
  if (grow(n - 1) != 0) {
    pthread_mutex_unlock(&pool.run_lock);
    run_serially(n, fn, ctx);
    return -1;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.count = n;
  pool.pin = pin;
  pool.spin = n <= usable_cpus();
  pool.caller_cpu = current_cpu();
  atomic_store_explicit(&pool.pending, n - 1, memory_order_relaxed);
  const unsigned long job = ++pool.jobs;
  for (int i = 0; i < n - 1; i++) post(pool.workers[i], job);

  inside_job = 1;
  fn(ctx, 0, n);
  inside_job = 0;

  if (pool.spin) {
    uint64_t deadline = 0;
    for (unsigned i = 1; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; i++)
      if (!spin_step(i, &deadline)) break;
  }
  if (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0) {
    pthread_mutex_lock(&pool.done_lock);
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0) pthread_cond_wait(&pool.done, &pool.done_lock);
    pthread_mutex_unlock(&pool.done_lock);
  }
  pthread_mutex_unlock(&pool.run_lock);
  return 0;
}
