# The GPU check's PyTorch side (bench/gpu/run.sh): the workloads of bench/gpu/bench.ts on CUDA in
# float32, with TF32 off and on; prints one JSON object (or {"error": ...} without CUDA).
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # no torch on this machine
    print(json.dumps({"error": f"no torch: {e}"}))
    sys.exit(0)

quick = "--quick" in sys.argv
dev = "cuda" if torch.cuda.is_available() else "cpu"
if dev != "cuda" and not quick:
    print(json.dumps({"error": "torch has no CUDA device here"}))
    sys.exit(0)


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


def timed(step, reps, warm=3):
    for _ in range(warm):
        step()
    sync()
    xs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        sync()
        xs.append(time.perf_counter() - t0)
    return statistics.median(xs)


def sgemm(n):
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    s = timed(lambda: [a @ b for _ in range(5)], 3 if quick else 10)
    return 2 * n**3 * 5 / s / 1e9


def train_step(model, x, y):
    model = model.to(dev)
    x, y = x.to(dev), y.to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return timed(step, 3 if quick else 20)


class Encoder(nn.Module):
    def __init__(self, d, layers):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, 8, 4 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, 10)

    def forward(self, x):
        return self.head(self.encoder(x)).reshape(-1, 10)


def run(tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(0)
    out = {}
    for n in [256, 512] if quick else [1024, 4096]:
        out[f"sgemm_{n}_gflops"] = sgemm(n)
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    out["mlp_step_ms"] = train_step(mlp, torch.randn(128, 784), torch.randint(0, 10, (128,))) * 1000
    cnn = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )
    cb = 8 if quick else 64
    out["cnn_step_ms"] = train_step(cnn, torch.randn(cb, 1, 28, 28), torch.randint(0, 10, (cb,))) * 1000
    d, layers, batch, seq = (64, 2, 4, 16) if quick else (512, 6, 32, 128)
    enc = Encoder(d, layers)
    out["transformer_step_ms"] = train_step(enc, torch.randn(batch, seq, d), torch.randint(0, 10, (batch * seq,))) * 1000
    return out


result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if dev == "cuda" else dev,
          "fp32": run(False)}
if dev == "cuda":
    result["tf32"] = run(True)
print(json.dumps(result))
