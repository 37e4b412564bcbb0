/* rl_fm_slerp (core/engine/fuse_math.h: the CPU pass's and the CUDA kernels' slerp, same operations in the
   same order) against the textbook formula in long double, written here independently: normalize, flip
   to the shortest arc, theta from atan2(|a - b|, |a + b|), sin weights, normalize. Quaternion pairs at
   every scale of angle (random, 1e-1 .. 1e-9 rad apart, almost opposite, equal, exactly opposite),
   norms from 1e-3 to 1e3, weights in [0, 1] and at both ends. Each output component must be within
   one float ulp of the reference (of the reference's magnitude, floored at 2^-24 for components near
   zero); the result must be unit-norm to 4 ulps; zero, infinite and NaN inputs give NaN. */
#include "fuse_math.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>

#include "check.h"

static void reference(const float *q0, const float *q1, double wd, long double *out) {
  long double a[4], b[4], na = 0, nb = 0, dot = 0, dm = 0, dp = 0, r[4], nr = 0, w = wd;
  for (int j = 0; j < 4; j++) { a[j] = q0[j]; b[j] = q1[j]; na += a[j] * a[j]; nb += b[j] * b[j]; }
  na = sqrtl(na); nb = sqrtl(nb);
  for (int j = 0; j < 4; j++) { a[j] /= na; b[j] /= nb; dot += a[j] * b[j]; }
  if (dot < 0) for (int j = 0; j < 4; j++) b[j] = -b[j];
  for (int j = 0; j < 4; j++) { dm += (a[j] - b[j]) * (a[j] - b[j]); dp += (a[j] + b[j]) * (a[j] + b[j]); }
  const long double theta = 2 * atan2l(sqrtl(dm), sqrtl(dp));
  if (theta == 0) {
    for (int j = 0; j < 4; j++) r[j] = a[j];
  } else {
    for (int j = 0; j < 4; j++) r[j] = (sinl((1 - w) * theta) * a[j] + sinl(w * theta) * b[j]) / sinl(theta);
  }
  for (int j = 0; j < 4; j++) nr += r[j] * r[j];
  for (int j = 0; j < 4; j++) out[j] = r[j] / sqrtl(nr);
}

static double draw(uint64_t seed, uint64_t *n) { return rl_uniform01(seed, 7, (*n)++); }

/* A random unit quaternion times a scale, and a second one `angle` radians away about a random axis
   (negated half the time: the shortest arc must undo that). */
static void pair(uint64_t *n, double angle, float *q0, float *q1) {
  double a[4], v[4], na = 0, nv = 0, d = 0;
  for (int j = 0; j < 4; j++) { a[j] = draw(1, n) * 2 - 1; v[j] = draw(1, n) * 2 - 1; na += a[j] * a[j]; }
  na = sqrt(na);
  for (int j = 0; j < 4; j++) { a[j] /= na; d += a[j] * v[j]; }
  for (int j = 0; j < 4; j++) { v[j] -= d * a[j]; nv += v[j] * v[j]; } /* v orthogonal to a */
  nv = sqrt(nv);
  const double s0 = pow(10.0, draw(1, n) * 6 - 3), s1 = pow(10.0, draw(1, n) * 6 - 3);
  const double sign = draw(1, n) < 0.5 ? -1.0 : 1.0;
  for (int j = 0; j < 4; j++) {
    q0[j] = (float)(a[j] * s0);
    q1[j] = (float)(sign * s1 * (cos(angle / 2) * a[j] + sin(angle / 2) * v[j] / nv));
  }
}

static int worst_ulps_checked(const float *q0, const float *q1, float w, const char *what) {
  float got[4];
  long double want[4];
  rl_fm_slerp(q0, q1, w, got);
  reference(q0, q1, w, want);
  double n = 0;
  int ok = 1;
  for (int j = 0; j < 4; j++) {
    const double mag = fabs((double)want[j]) > 0x1p-24 ? fabs((double)want[j]) : 0x1p-24;
    const double ulp = ldexp(1.0, ilogb(mag) - 23);
    const double err = fabs((double)(got[j] - want[j]));
    ok &= err <= ulp;
    n += (double)got[j] * got[j];
  }
  CHECK(ok, "%s: (%.9g %.9g %.9g %.9g) -> (%.9g %.9g %.9g %.9g) at w=%.9g: got (%.9g %.9g %.9g %.9g), want "
        "(%.9Lg %.9Lg %.9Lg %.9Lg)", what, q0[0], q0[1], q0[2], q0[3], q1[0], q1[1], q1[2], q1[3], w,
        got[0], got[1], got[2], got[3], want[0], want[1], want[2], want[3]);
  CHECK(fabs(n - 1) <= 4 * 0x1p-24, "%s: norm %.9g", what, sqrt(n));
  return ok;
}

int main(void) {
  uint64_t n = 0;
  static const double angles[] = {3.0, 2.0, 1.0, 0.3, 1e-1, 1e-2, 1e-3, 1e-4, 2e-5, 1e-5, 1e-6, 1e-7, 1e-9, 0};
  for (size_t k = 0; k < sizeof angles / sizeof angles[0]; k++) {
    int failed = 0;
    for (int i = 0; i < 20000 && failed < 3; i++) {
      float q0[4], q1[4];
      pair(&n, angles[k] < 3.0 ? angles[k] : draw(1, &n) * 6.2, q0, q1);
      const float w = i % 50 == 0 ? 0.0f : i % 50 == 1 ? 1.0f : (float)draw(1, &n);
      char what[64];
      snprintf(what, sizeof what, "angle %g", angles[k]);
      failed += !worst_ulps_checked(q0, q1, w, what);
    }
  }
  /* almost opposite: q1 = -q0 rotated a little (the flip makes it a small angle) and exactly opposite */
  float q0[4] = {0.5f, -0.5f, 0.5f, 0.5f}, q1[4] = {-0.5f, 0.5f, -0.5f, -0.5f}, out[4];
  worst_ulps_checked(q0, q1, 0.3f, "exactly opposite");
  q1[0] = -0.5001f;
  worst_ulps_checked(q0, q1, 0.7f, "almost opposite");
  /* bad inputs: zero, infinite and NaN quaternions give NaN in every component */
  const float zero[4] = {0, 0, 0, 0}, inf[4] = {INFINITY, 0, 0, 1}, nan4[4] = {NAN, 0, 0, 1};
  const float *bad[3] = {zero, inf, nan4};
  for (int k = 0; k < 3; k++) {
    rl_fm_slerp(bad[k], q0, 0.5f, out);
    CHECK(isnan(out[0]) && isnan(out[1]) && isnan(out[2]) && isnan(out[3]), "bad input %d as q0", k);
    rl_fm_slerp(q0, bad[k], 0.5f, out);
    CHECK(isnan(out[0]) && isnan(out[1]) && isnan(out[2]) && isnan(out[3]), "bad input %d as q1", k);
  }
  return check_summary();
}
