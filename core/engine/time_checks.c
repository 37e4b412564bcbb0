/* Checks of timestamps before a resample: finite, ordered, and representable enough to be interpolated
   (the f32 resolution rule; the i64 span is gathered here and judged by the binding, across streams). Only
   each row's valid prefix is read: padding may hold anything. */
#include "fuse.h"
#include <math.h>
#include <stdio.h>

static double time_at(const void *t, rl_dtype dt, int64_t i) {
  switch (dt) {
  case RL_F64: return ((const double *)t)[i];
  case RL_I64: return (double)((const int64_t *)t)[i];
  default: return ((const float *)t)[i];
  }
}

/* Orders two valid times exactly in their own type: -1, 0 or 1. */
static int order(const void *t, rl_dtype dt, int64_t i, int64_t j) {
  if (dt == RL_I64) {
    const int64_t a = ((const int64_t *)t)[i], b = ((const int64_t *)t)[j];
    return a < b ? -1 : a > b;
  }
  const double a = time_at(t, dt, i), b = time_at(t, dt, j);
  return a < b ? -1 : a > b;
}

static int64_t valid_len(const int64_t *lens, int64_t r, int64_t len) { return lens ? lens[r] : len; }

const char *rl_check_time_rows(const void *t, rl_dtype dt, int64_t rows, int64_t len, const int64_t *lens,
                               int monotone, int strict, char *err, size_t errlen) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = valid_len(lens, r, len), base = r * len;
    for (int64_t i = 0; i < n; i++) {
      if (dt != RL_I64) {
        const double v = time_at(t, dt, base + i);
        if (!isfinite(v)) {
          snprintf(err, errlen, "element [%lld,%lld] is %s", (long long)r, (long long)i, isnan(v) ? "NaN" : "infinite");
          return err;
        }
      }
      if (monotone && i > 0) {
        const int o = order(t, dt, base + i, base + i - 1);
        if (o < 0 || (strict && o == 0)) {
          if (dt == RL_I64)
            snprintf(err, errlen, "row %lld is not %s at index %lld (%lld after %lld)", (long long)r,
                     strict ? "strictly increasing" : "non-decreasing", (long long)i,
                     (long long)((const int64_t *)t)[base + i], (long long)((const int64_t *)t)[base + i - 1]);
          else
            snprintf(err, errlen, "row %lld is not %s at index %lld (%.17g after %.17g)", (long long)r,
                     strict ? "strictly increasing" : "non-decreasing", (long long)i, time_at(t, dt, base + i),
                     time_at(t, dt, base + i - 1));
          return err;
        }
      }
    }
  }
  return NULL;
}

/* The spacing of f32 values at magnitude m (m > 0 normal or subnormal; 0 gives the smallest subnormal). */
static double f32_ulp(double m) {
  if (m < 0x1p-126) return 0x1p-149;
  int e;
  frexp(m, &e); /* m = f * 2^e, f in [0.5, 1) */
  return ldexp(1.0, e - 24);
}

const char *rl_check_f32_resolution(const float *t, int64_t rows, int64_t len, const int64_t *lens, char *err,
                                    size_t errlen) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = valid_len(lens, r, len);
    if (n < 2) continue;
    const float *row = t + r * len;
    double lo = row[0], hi = row[0]; /* min and max: target rows need not be sorted */
    for (int64_t i = 1; i < n; i++) {
      if (row[i] < lo) lo = row[i];
      if (row[i] > hi) hi = row[i];
    }
    const double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi), u = f32_ulp(m);
    const double spacing = (hi - lo) / (double)(n - 1);
    if (!(hi - lo == 0.0 ? m >= 0x1p24 : spacing < RL_F32_MIN_SPACING_ULPS * u)) continue;
    if (hi == lo)
      snprintf(err, errlen,
               "row %lld: f32 cannot resolve these times: all %lld equal %.9g, a magnitude where f32 resolves only "
               "%g (an absolute clock in f32 loses its spacing); pass the times as f64 or i64 nanoseconds, or rebase each row (subtract "
               "its first time) before converting to f32", (long long)r, (long long)n, hi, u);
    else
      snprintf(err, errlen,
               "row %lld: f32 cannot resolve these times: their mean spacing %.3g is below %d ulps at magnitude "
               "%.9g (f32 resolves %g there); pass the times as f64 or i64 nanoseconds, or rebase each row "
               "(subtract its first time) before converting to f32", (long long)r, spacing,
               RL_F32_MIN_SPACING_ULPS, m, u);
    return err;
  }
  return NULL;
}

void rl_i64_row_extent(const int64_t *t, int64_t rows, int64_t len, const int64_t *lens, int64_t *mn,
                       int64_t *mx) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = valid_len(lens, r, len);
    for (int64_t i = 0; i < n; i++) {
      const int64_t v = t[r * len + i];
      if (v < mn[r]) mn[r] = v;
      if (v > mx[r]) mx[r] = v;
    }
  }
}
