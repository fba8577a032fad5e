#!/usr/bin/env bash
# scripts/fuzz.sh [seconds]: builds the fuzz preset (clang-14, libFuzzer, ASan+UBSan) and runs
# every fuzz target for `seconds` (default 60) on a scratch copy of its seed corpus in
# build/fuzz/runs/, so the committed corpus in tests/fuzz/corpus/ never changes.
# Exits non-zero if any target crashes, leaks, times out or breaks an invariant; the failing
# input is saved as build/fuzz/runs/<target>/crash-* (and printed in hex).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly SECONDS_PER_TARGET="${1:-60}"
if ! [[ "${SECONDS_PER_TARGET}" =~ ^[0-9]+$ ]] || [[ "${SECONDS_PER_TARGET}" -eq 0 ]]; then
  echo "usage: scripts/fuzz.sh [seconds per target, default 60]" >&2
  exit 2
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

readonly RUNS=build/fuzz/runs
shopt -s nullglob
fuzzers=(build/fuzz/tests/fuzz/*_fuzzer)
if [[ "${#fuzzers[@]}" -eq 0 ]]; then
  echo "fuzz: no fuzz targets were built" >&2
  exit 1
fi

failed=()
for fuzzer in "${fuzzers[@]}"; do
  name="$(basename "${fuzzer}")"
  seeds="tests/fuzz/corpus/${name%_fuzzer}"
  work="${RUNS}/${name}"
  rm -rf "${work}"
  mkdir -p "${work}/corpus"
  if [[ -d "${seeds}" ]]; then cp -r "${seeds}/." "${work}/corpus/"; fi
  dict=()
  if [[ -f "tests/fuzz/${name%_fuzzer}.dict" ]]; then dict=(-dict="tests/fuzz/${name%_fuzzer}.dict"); fi

  echo "fuzz: ${name} for ${SECONDS_PER_TARGET}s ($(ls "${work}/corpus" | wc -l) seeds)"
  status=0
  "${fuzzer}" -max_total_time="${SECONDS_PER_TARGET}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="${work}/" "${dict[@]}" "${work}/corpus" \
    >"${work}/log" 2>&1 || status=$?
  if [[ "${status}" -eq 0 ]]; then
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' \
      "${work}/log" || tail -n 5 "${work}/log"
    echo "fuzz: ${name} passed; corpus grew to $(ls "${work}/corpus" | wc -l) inputs"
  else
    echo "fuzz: ${name} FAILED (exit ${status}); log: ${work}/log"
    grep -v -E '^#[0-9]+' "${work}/log" | tail -n 60
    for artifact in "${work}"/crash-* "${work}"/leak-* "${work}"/timeout-* "${work}"/oom-*; do
      echo "fuzz: failing input ${artifact}:"
      od -A d -t x1 "${artifact}" | head -n 40
    done
    failed+=("${name}")
  fi
done

if [[ "${#failed[@]}" -ne 0 ]]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#fuzzers[@]} targets passed"
