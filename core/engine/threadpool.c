#define _POSIX_C_SOURCE 200809L
#include "threadpool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* Workers and the caller spin briefly before sleeping: back-to-back calls (a timing loop) then pay
   no futex wake-up each, and an idle pool still sleeps. */
#define SPIN_ITERS 20000

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t *threads;
  int size;                 /* worker threads (the caller is extra) */
  _Atomic unsigned long gen; /* bumped for every job */
  int active;               /* workers taking part in the current job */
  _Atomic int pending;
  rl_pool_fn fn;
  void *ctx;
  int count;
} pool_t;

static pool_t pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
                      NULL, 0, 0, 0, 0, NULL, NULL, 0};

int rl_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker_main(void *p) {
  const int id = (int)(intptr_t)p; /* worker id w runs index w + 1 */
  unsigned long seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN_ITERS && atomic_load_explicit(&pool.gen, memory_order_acquire) == seen; i++) cpu_relax();
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.gen) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
    seen = atomic_load(&pool.gen);
    const int active = pool.active, count = pool.count;
    rl_pool_fn fn = pool.fn;
    void *ctx = pool.ctx;
    pthread_mutex_unlock(&pool.lock);
    if (id >= active) continue;
    fn(ctx, id + 1, count);
    if (atomic_fetch_sub(&pool.pending, 1) == 1) {
      pthread_mutex_lock(&pool.lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.lock);
    }
  }
  return NULL;
}

static int grow(int workers) {
  if (workers <= pool.size) return 0;
  pthread_t *t = realloc(pool.threads, sizeof(pthread_t) * (size_t)workers);
  if (!t) return -1;
  pool.threads = t;
  while (pool.size < workers) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&pool.threads[pool.size], &attr, worker_main, (void *)(intptr_t)pool.size);
    pthread_attr_destroy(&attr);
    if (rc != 0) return -1;
    pool.size++;
  }
  return 0;
}

int rl_pool_run(int n, rl_pool_fn fn, void *ctx) {
  if (n <= 1) {
    fn(ctx, 0, 1);
    return 0;
  }
  pthread_mutex_lock(&pool.lock);
  if (grow(n - 1) != 0 && pool.size < n - 1) {
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < n; i++) fn(ctx, i, n);
    return -1;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.count = n;
  pool.active = n - 1;
  atomic_store(&pool.pending, n - 1);
  atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  fn(ctx, 0, n);

  for (int i = 0; i < SPIN_ITERS && atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; i++) cpu_relax();
  if (atomic_load(&pool.pending) > 0) {
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
  }
  return 0;
}
