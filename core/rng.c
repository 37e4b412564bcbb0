/* rng.h is header-only; this file keeps one translation unit per header for the build's layering. */
#include "rng.h"
