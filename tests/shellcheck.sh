#!/usr/bin/env bash
# Every shell script of the project is shellcheck-clean (skipped, exit 77, where shellcheck is missing).
command -v shellcheck >/dev/null || { echo "SKIP  shellcheck is not installed"; exit 77; }
# (tests/lib/*.sh, the harness the tests source, is named so that shellcheck follows it from each test)
scripts=(.ci/run tools/*.sh tools/slurm/*.sh tools/slurm/*.sbatch tests/*.sh tests/lib/*.sh)
if shellcheck "${scripts[@]}"; then
  echo "${#scripts[@]} passed, 0 failed"
else
  echo "0 passed, 1 failed"
  exit 1
fi
