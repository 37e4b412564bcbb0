#!/usr/bin/env bash
# Builds robolua (build/) and runs every test through ctest. GPU tests report "Skipped" where there
# is no usable GPU, never "Passed".
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure
