# PyTorch side of `npm run bench`: the same workloads and timing rules as bench/*.ts, printing JSON.
#
#   python3 bench/torch_bench.py --threads 2 [--workloads sgemm-256,mlp] [--budget 2] [--warmup 2]
#       runs the workloads once and prints one JSON object;
#   python3 bench/torch_bench.py --threads 2 --serve
#       prints a JSON line describing the configuration, then answers each stdin line
#       {"workload": ID, "budget": SECONDS, "warmup": SECONDS} with a JSON line (bench/torch.ts drives this, so that
#       PyTorch runs interleaved with the JavaScript contenders, workload by workload).
import argparse
import ctypes
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def measure(step, budget=2.0, warmup=2.0, max_samples=21):
    """bench/harness.ts's measure(): warm-up, samples of >= 2 ms, 3..max_samples samples (1 call
    when one step takes longer than the budget)."""
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    if first >= budget:
        return {"ok": True, "median": first, "min": first, "samples": 1, "batch": 1}
    if first < 1:
        t0 = time.perf_counter()
        n = 0
        while True:
            step()
            n += 1
            if not (time.perf_counter() - t0 < warmup or n < 2):
                break
        first = (time.perf_counter() - t0) / n
    per = max(first, 1e-9)
    batch = max(1, -(-0.002 // per))
    batch = int(batch)
    samples = max(3, min(max_samples, int(budget // (per * batch))))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(batch):
            step()
        times.append((time.perf_counter() - t0) / batch)
    return {"ok": True, "median": median(times), "min": min(times), "samples": samples, "batch": batch}


def sgemm(n):
    a = torch.randn(n, n)
    b = torch.randn(n, n)

    def step():
        a @ b

    return step


def train_step(model, loss_fn, x, y):
    # zero_grad(set_to_none=True): PyTorch's own tuning advice (1.13 defaults to False).
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()  # as a training loop reads its loss (nabla's step does the same)

    return step


def mlp():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    return train_step(model, F.cross_entropy, torch.randn(128, 784), torch.randint(0, 10, (128,)))


def cnn(batch=64):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )
    x = torch.randn(batch, 1, 28, 28)
    return train_step(model, F.cross_entropy, x, torch.randint(0, 10, (batch,)))


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 2)
        self.fc2 = nn.Linear(2, 1)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = self.fc2(x)
        return x


def seed():
    # The seed program's step, in its order (forward, loss, zero_grad, backward, step).
    torch.manual_seed(0)
    model = SimpleNN()
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    inputs = torch.tensor([[1.0, 2.0]], requires_grad=True)
    labels = torch.tensor([[1.0]])

    def step():
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()

    return step


def relu():
    x = torch.randn(1 << 20)

    def step():
        torch.relu(x * 2 + 1)

    return step


WORKLOADS = {
    "sgemm-256": lambda: sgemm(256),
    "sgemm-1024": lambda: sgemm(1024),
    "sgemm-2048": lambda: sgemm(2048),
    "mlp": mlp,
    "cnn": cnn,
    "seed": seed,
    "relu": relu,
    # The batch-size sweep (bench/workloads/cnn.ts cnnAt).
    "cnn-b16": lambda: cnn(16),
    "cnn-b256": lambda: cnn(256),
    "cnn-b1024": lambda: cnn(1024),
}


def run(workload, budget, warmup):
    try:
        step = WORKLOADS[workload]()
        return measure(step, budget=budget, warmup=warmup)
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "reason": str(e).split("\n")[0][:160]}


def openblas_core():
    """The kernel set OpenBLAS picked (OPENBLAS_CORETYPE or its own detection), if it is loaded."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


def describe(threads):
    return {
        "torch": torch.__version__,
        "threads": threads,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_core": openblas_core(),
        "capability": torch.backends.cpu.get_cpu_capability()
        if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability")
        else None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--budget", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.serve:
        print(json.dumps({"ready": True, **describe(args.threads)}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            budget = float(req.get("budget", args.budget))
            warmup = float(req.get("warmup", args.warmup))
            print(json.dumps(run(req["workload"], budget, warmup)), flush=True)
        return
    results = {w: run(w, args.budget, args.warmup) for w in args.workloads.split(",") if w}
    print(json.dumps({**describe(args.threads), "results": results}))


if __name__ == "__main__":
    main()
