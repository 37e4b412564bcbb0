/* Counter-based random numbers: value = mix(seed, stream, counter). No state, so any element can be
   drawn in any order by any thread and the bytes are identical on every machine. */
#ifndef ROBOLUA_RNG_H
#define ROBOLUA_RNG_H
#include <stdint.h>

static inline uint64_t rl_mix64(uint64_t z) { /* splitmix64 finaliser */
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint64_t rl_rand64(uint64_t seed, uint64_t stream, uint64_t counter) {
  return rl_mix64(rl_mix64(seed ^ rl_mix64(stream * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull)) +
                  counter * 0x9e3779b97f4a7c15ull);
}

/* Uniform float in [0, 1) with 24 random bits: exactly representable, so identical everywhere. */
static inline float rl_uniform01(uint64_t seed, uint64_t stream, uint64_t counter) {
  return (float)(rl_rand64(seed, stream, counter) >> 40) * (1.0f / 16777216.0f);
}
#endif
