#!/usr/bin/env bash
# The GPU check of issue 15, as one script: nabla's webgpu backend (Dawn on the machine's Vulkan
# driver) and PyTorch CUDA on the same GPU, the same workloads (bench/gpu/bench.ts,
# bench/gpu/torch_gpu.py); writes bench/gpu/results.json and prints a Markdown table for
# BENCHMARKS.md. About 2-4 minutes on an H100/H200.
#   bench/gpu/run.sh            on the GPU machine (NVIDIA's Vulkan ICD; see the device README)
#   bench/gpu/run.sh --quick    small sizes, on SwiftShader (VK_ICD_FILENAMES) where there is no GPU
set -euo pipefail
cd "$(dirname "$0")/../.."
quick="${1:-}"
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
out=bench/gpu/results.json
nabla_json=$(node --import tsx bench/gpu/bench.ts $quick 2>/dev/null | tail -1)
# the first Python that imports torch (Debian's system Python has python3-torch)
py=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
done
torch_json=$("$py" bench/gpu/torch_gpu.py $quick 2>/dev/null | tail -1 || true)
[ -n "$torch_json" ] || torch_json='{"error": "torch did not run"}'
printf '{"date": "%s", "host": "%s", "nabla": %s, "torch": %s}\n' "$(date -u +%FT%TZ)" "$(hostname)" "$nabla_json" "$torch_json" > "$out"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const n = r.nabla, t = r.torch, fp = t.fp32 || {}, tf = t.tf32 || {};
const f = (v, d = 2) => (typeof v === "number" ? v.toFixed(d) : "—");
console.log(`nabla webgpu on ${n.device}; PyTorch ${t.torch || "—"} on ${t.device || t.error}`);
console.log("| workload | nabla webgpu | PyTorch fp32 | PyTorch TF32 | nabla / PyTorch fp32 |");
console.log("|---|---|---|---|---|");
for (const k of Object.keys(n).filter((k) => k.startsWith("sgemm_")))
  console.log(`| ${k.replace(/_gflops$/, "")} GFLOP/s | ${f(n[k], 0)} | ${f(fp[k], 0)} | ${f(tf[k], 0)} | ${f(n[k] / fp[k])} |`);
for (const k of ["mlp_step_ms", "cnn_step_ms", "transformer_step_ms"])
  console.log(`| ${k.replace(/_ms$/, "")} ms | ${f(n[k])} | ${f(fp[k])} | ${f(tf[k])} | ${f(n[k] / fp[k])} |`);
console.log(`| MLP step on nabla ${n.cpu_backend} (this CPU) ms | ${f(n.cpu_mlp_step_ms)} | | | |`);
console.log(`transformer: ${n.transformer}`);
' "$out"
