#!/usr/bin/env bash
# Builds the libFuzzer target of Monge's readers and runs each reader for a bounded time.
#   Fuzz/run.sh [READER ...]     (default: npy csv safetensors json)
# Environment: FUZZ_SECONDS per reader (default 60), FUZZ_DIR for the build, the growing corpora
# and crash artifacts (default .build-fuzz). Seeds come from Fuzz/corpus/READER (committed).
# Exits non-zero on any crash, sanitizer report, broken invariant, leak, timeout or out-of-memory.
# Needs the kernels' objects of a release build (`make build`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
dir=${FUZZ_DIR:-.build-fuzz}
readers=("$@")
[ ${#readers[@]} -gt 0 ] || readers=(npy csv safetensors json)
binary=$dir/reader-fuzzer
kernels=(.build/release/EigenKernels.build/*.o)
[ -f "${kernels[0]}" ] || { echo "fuzz: no kernel objects in .build/release; run make build first" >&2; exit 2; }
mkdir -p "$dir"

# MongeCore's sources and the harness form one module; the C++ kernels are linked as built.
sources=(Sources/MongeCore/*.swift Fuzz/ReaderFuzzer.swift)
if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" Fuzz/run.sh -newer "$binary" | head -1)" ]; then
  echo "fuzz: building $binary" >&2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name MongeCore -use-ld=lld \
    -I Fuzz/include "${sources[@]}" "${kernels[@]}" -lstdc++ -o "$binary"
fi

status=0
for reader in "${readers[@]}"; do
  [ -d "Fuzz/corpus/$reader" ] || { echo "fuzz: unknown reader $reader (no Fuzz/corpus/$reader)" >&2; exit 2; }
  corpus=$dir/corpus/$reader
  artifacts=$dir/artifacts/$reader/
  mkdir -p "$corpus" "$artifacts"
  log=$dir/$reader.log
  echo "fuzz: $reader for $seconds s" >&2
  # New inputs go to the scratch corpus (first folder); the committed seeds are only read.
  # Swift's own crash backtracer is off: it trips ASan while reading the stack; libFuzzer reports.
  if SWIFT_BACKTRACE=enable=no MONGE_FUZZ_READER=$reader "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "Fuzz/corpus/$reader" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cover=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz: $reader ok, $runs executions, $cover" >&2
  else
    status=1
    echo "fuzz: $reader FAILED; the input is in $artifacts; the end of $log:" >&2
    tail -40 "$log" >&2
  fi
done
exit $status
