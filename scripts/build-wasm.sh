#!/usr/bin/env bash
# Builds the WebAssembly kernels into kernels/build/ (committed): four variants of kernels/wasm/api.c,
#   nabla.wasm              SIMD128, single-threaded (memory exported by the module)
#   nabla-relaxed.wasm      SIMD128 + relaxed-SIMD FMA
#   nabla-mt.wasm           SIMD128, threads (imports a shared memory; atomics)
#   nabla-mt-relaxed.wasm   threads + relaxed-SIMD FMA
# The build is deterministic (fixed flags, no debug info, no paths, names stripped), so
# scripts/check-wasm.sh can rebuild and compare byte for byte. It needs clang and wasm-ld from
# LLVM 19 (Debian: apt-get install clang-19 lld-19); set CLANG / WASM_LD to override.
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG="${CLANG:-$(command -v clang-19 || true)}"
WASM_LD="${WASM_LD:-$(command -v wasm-ld-19 || true)}"
if [[ -z "$CLANG" || -z "$WASM_LD" ]]; then
  echo "build-wasm: clang-19 and wasm-ld-19 are required (apt-get install clang-19 lld-19)" >&2
  exit 1
fi
OUT="${1:-kernels/build}"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

CFLAGS=(--target=wasm32 -mcpu=mvp -msimd128 -mbulk-memory -msign-ext -mnontrapping-fptoint
  -mmutable-globals -O3 -std=gnu11 -ffreestanding -nostdlib -ffp-contract=off -fno-math-errno
  -fvisibility=hidden -g0 -Wall -Wextra -Wno-unused-parameter -ffile-prefix-map="$PWD"=.)
EXPORTS=(abi contract sgemm_ws_floats gemm unary binary compare where reduce sgd adam unfold fold maxpool_index log_softmax bn_stats bn_apply conv_ws_floats conv_partials_floats conv conv_wgrad conv2d_wgrad_sum conv_dgrad gather
  scatter maxpool_backward fused)
LDFLAGS=(--no-entry --strip-all --stack-first -z stack-size=65536 --export=__heap_base)
for e in "${EXPORTS[@]}"; do LDFLAGS+=("--export=nb_wasm_$e"); done

build() { # name, extra cflags..., -- extra ldflags...
  local name="$1"
  shift
  local cf=() lf=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do cf+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  lf=("$@")
  (cd kernels/wasm && "$CLANG" "${CFLAGS[@]}" "${cf[@]}" -c api.c -o "$TMP/$name.o")
  "$WASM_LD" "${LDFLAGS[@]}" "${lf[@]}" "$TMP/$name.o" -o "$OUT/$name.wasm"
}

ST=(--export-memory --max-memory=4294967296)
MT=(--import-memory --shared-memory --initial-memory=4194304 --max-memory=2147483648
  --export=__stack_pointer)
build nabla -- "${ST[@]}"
build nabla-relaxed -mrelaxed-simd -DNB_RELAXED -- "${ST[@]}"
build nabla-mt -matomics -- "${MT[@]}"
build nabla-mt-relaxed -matomics -mrelaxed-simd -DNB_RELAXED -- "${MT[@]}"
# The browser fallback inlines the single-threaded build (src/backend/wasm/inline_kernels.ts).
[[ "$OUT" == kernels/build ]] && node scripts/inline-wasm.js
ls -l "$OUT"/*.wasm
