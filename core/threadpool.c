#define _POSIX_C_SOURCE 200809L
#include "threadpool.h"
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t *threads;
  int size;          /* worker threads (the caller is extra) */
  unsigned long gen; /* bumped for every job */
  int active;        /* workers taking part in the current job */
  int pending;
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

typedef struct { int id; } worker_arg;

static void *worker_main(void *p) {
  int id = ((worker_arg *)p)->id; /* worker id w runs index w + 1 */
  free(p);
  unsigned long seen = 0;
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.gen == seen) pthread_cond_wait(&pool.wake, &pool.lock);
    seen = pool.gen;
    if (id >= pool.active) continue;
    rl_pool_fn fn = pool.fn;
    void *ctx = pool.ctx;
    int count = pool.count;
    pthread_mutex_unlock(&pool.lock);
    fn(ctx, id + 1, count);
    pthread_mutex_lock(&pool.lock);
    if (--pool.pending == 0) pthread_cond_signal(&pool.done);
  }
  return NULL;
}

static int grow(int workers) {
  if (workers <= pool.size) return 0;
  pthread_t *t = realloc(pool.threads, sizeof(pthread_t) * (size_t)workers);
  if (!t) return -1;
  pool.threads = t;
  while (pool.size < workers) {
    worker_arg *a = malloc(sizeof *a);
    if (!a) return -1;
    a->id = pool.size;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&pool.threads[pool.size], &attr, worker_main, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      free(a);
      return -1;
    }
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
  pool.pending = n - 1;
  pool.gen++;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  fn(ctx, 0, n);

  pthread_mutex_lock(&pool.lock);
  while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  return 0;
}
