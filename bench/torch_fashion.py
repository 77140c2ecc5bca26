# PyTorch side of bench/time_to_acc.ts: the CLI's Fashion-MNIST CNN, data split, optimizer, schedule and batch size, trained in PyTorch.
#
#   python3 bench/torch_fashion.py --data-dir DIR --epochs 10 --threads 1 [--probe 40] [--limit N]
#
# With --probe N it times N training steps after a short warm-up and prints {"stepSeconds": s}
# (bench/time_to_acc.ts uses this to pick PyTorch's fastest thread settings); otherwise it trains
# and prints one JSON object: per-epoch metrics, the test accuracy and the wall time of the run.
# The network and the run mirror `nabla train --data fashion-mnist --model cnn` (src/cli/models.ts,
# src/cli/datasets.ts, src/cli/train.ts): pixels / 255 normalised by (0.286, 0.353); the last
# 5,000 training images held out for validation (a seeded random split, as nabla's split()); Adam
# (lr 1e-3 by default), cosine annealing stepped per epoch over the run; batch 128, shuffled.
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_bench import openblas_core  # bench/torch_bench.py, beside this file


def read_idx(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            with (gzip.open(p) if p.endswith(".gz") else open(p, "rb")) as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(path)


def load(root, train):
    prefix = "train" if train else "t10k"
    x = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"))
    y = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte"))
    x = (torch.from_numpy(x.astype(np.float32)) / 255.0 - 0.286) / 0.353
    return x.unsqueeze(1).contiguous(), torch.from_numpy(y.astype(np.int64))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def evaluate(model, x, y, batch=1000):
    model.eval()
    loss = 0.0
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i : i + batch])
            loss += F.cross_entropy(out, y[i : i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i : i + batch]).sum().item()
    model.train()
    return loss / len(x), correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    ap.add_argument("--probe", type=int, default=0, help="time N steps and exit")
    ap.add_argument("--augment", choices=["none", "flip", "flip-crop"], default="none",
                    help="per-sample random horizontal flip, and a random 28x28 crop of the image padded by 2")
    ap.add_argument("--scheduler", choices=["none", "cosine", "onecycle"], default="cosine",
                    help="cosine: annealed over the epochs, stepped per epoch; onecycle: OneCycleLR peaking at --lr over every step")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.0, help="AdamW's decoupled weight decay (0: Adam)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t_start = time.perf_counter()
    x, y = load(a.data_dir, True)
    if a.limit:
        x, y = x[: a.limit], y[: a.limit]
    n_val = min(5000, len(x) // 10)
    perm = torch.randperm(len(x))
    train_idx, val_idx = perm[: len(x) - n_val], perm[len(x) - n_val :]
    xt, yt, xv, yv = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    xs, ys = load(a.data_dir, False)
    model = cnn()
    opt = (torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
           if a.weight_decay > 0 else torch.optim.Adam(model.parameters(), lr=a.lr))
    background = (0.0 - 0.286) / 0.353  # a 0 pixel, normalised: what padding the raw image gives

    def augment(xb):
        if a.augment == "none":
            return xb
        n = len(xb)
        flip = torch.rand(n) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
        if a.augment == "flip-crop":
            padded = F.pad(xb, (2, 2, 2, 2), value=background)
            i = torch.randint(0, 5, (n,))
            j = torch.randint(0, 5, (n,))
            xb = torch.stack([padded[k, :, i[k] : i[k] + 28, j[k] : j[k] + 28] for k in range(n)])
        return xb
    steps_per_epoch = (len(xt) + a.batch_size - 1) // a.batch_size
    # As nabla train plans them (src/optim/factory.ts scheduleForRun): cosine steps per epoch,
    # onecycle per optimizer step over the whole run.
    epoch_sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, a.epochs))
                   if a.scheduler == "cosine" else None)
    step_sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr,
                                                      total_steps=a.epochs * steps_per_epoch)
                  if a.scheduler == "onecycle" else None)

    def step(xb, yb):
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb, label_smoothing=a.label_smoothing)
        loss.backward()
        opt.step()
        if step_sched is not None and not a.probe:  # (the probe's steps are not the run's)
            step_sched.step()
        return out, loss

    if a.probe:
        b = a.batch_size
        for i in range(5):
            step(xt[i * b : (i + 1) * b], yt[i * b : (i + 1) * b])
        t0 = time.perf_counter()
        for i in range(a.probe):
            j = (i % (len(xt) // b)) * b
            step(xt[j : j + b], yt[j : j + b])
        print(json.dumps({"stepSeconds": (time.perf_counter() - t0) / a.probe}))
        return

    epochs = []
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(len(xt))
        seen = 0
        loss_sum = 0.0
        correct = 0
        for i in range(0, len(xt), a.batch_size):
            idx = order[i : i + a.batch_size]
            out, loss = step(augment(xt[idx]), yt[idx])
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yt[idx]).sum().item()
        train_seconds = time.perf_counter() - t0
        val_loss, val_acc = evaluate(model, xv, yv)
        if epoch_sched is not None:
            epoch_sched.step()
        epochs.append(
            {
                "epoch": epoch,
                "trainLoss": loss_sum / seen,
                "trainAccuracy": correct / seen,
                "valLoss": val_loss,
                "valAccuracy": val_acc,
                "samplesPerSecond": seen / train_seconds,
                "seconds": time.perf_counter() - t0,
            }
        )
    _, test_acc = evaluate(model, xs, ys)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "openblasCore": openblas_core(),
                "epochs": epochs,
                "testAccuracy": test_acc,
                "wallSeconds": time.perf_counter() - t_start,
            }
        )
    )


if __name__ == "__main__":
    main()
