#include "resample.h"
#include <math.h>
#include <stdio.h>

const char *rl_validate_times(const float *times, int64_t rows, int64_t len, int monotone, int strict,
                              char *err, size_t errlen) {
  for (int64_t r = 0; r < rows; r++) {
    const float *t = times + r * len;
    for (int64_t i = 0; i < len; i++) {
      if (!isfinite(t[i])) {
        snprintf(err, errlen, "element [%lld,%lld] is %s", (long long)r, (long long)i,
                 isnan(t[i]) ? "NaN" : "infinite");
        return err;
      }
      if (monotone && i > 0 && (t[i] < t[i - 1] || (strict && t[i] == t[i - 1]))) {
        snprintf(err, errlen, "row %lld is not %s at index %lld (%.9g after %.9g)", (long long)r,
                 strict ? "strictly increasing" : "non-decreasing", (long long)i, (double)t[i],
                 (double)t[i - 1]);
        return err;
      }
    }
  }
  return NULL;
}
