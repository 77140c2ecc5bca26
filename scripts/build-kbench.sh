#!/usr/bin/env bash
# Builds kernels/build/kbench (not committed): the native kernels' standalone check and benchmark,
# statically linked so it runs on any x86-64 Linux. Extra arguments go to the compiler
# (e.g. -DNB_GEMM_MR=14 to try another AVX-512 micro-kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
CC="${CC:-gcc}"
OUT="${OUT:-kernels/build/kbench}"
F=(-O3 -std=gnu11 -ffp-contract=off -fno-math-errno -Wall -Wextra -Wno-psabi -Wno-unused-parameter "$@")
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$CC" "${F[@]}" -c kernels/isa/base.c -o "$TMP/base.o"
"$CC" "${F[@]}" -mavx2 -mfma -c kernels/isa/avx2.c -o "$TMP/avx2.o"
"$CC" "${F[@]}" -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -c kernels/isa/avx512.c -o "$TMP/avx512.o"
"$CC" "${F[@]}" -c kernels/napi/pool.c -o "$TMP/pool.o"
"$CC" "${F[@]}" -c kernels/bench/kbench.c -o "$TMP/kbench.o"
"$CC" -static "$TMP"/*.o -o "$OUT" -lm -lpthread
echo "$OUT"
