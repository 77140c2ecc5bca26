#!/usr/bin/env bash
# CI check: rebuilds the WebAssembly kernels from kernels/ and compares them byte for byte with the
# committed kernels/build/*.wasm. A difference means the sources changed without a rebuild
# (run scripts/build-wasm.sh and commit the result) or a different compiler version was used.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
scripts/build-wasm.sh "$TMP" >/dev/null
status=0
for built in "$TMP"/*.wasm; do
  name="$(basename "$built")"
  if ! cmp -s "$built" "kernels/build/$name"; then
    echo "check-wasm: kernels/build/$name differs from a fresh build" >&2
    status=1
  fi
done
for committed in kernels/build/*.wasm; do
  [[ -f "$TMP/$(basename "$committed")" ]] || { echo "check-wasm: stale $committed" >&2; status=1; }
done
"${CLANG:-clang-19}" --version | head -n 1
[[ $status -eq 0 ]] && echo "check-wasm: kernels/build/*.wasm reproduce byte for byte"
exit $status
