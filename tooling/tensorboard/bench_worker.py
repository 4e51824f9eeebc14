#!/usr/bin/env python3
"""Benchmark peer for @store/tfevents: writes scalars and histograms with tensorboardX (or
torch.utils.tensorboard) on request, so the Node benchmark can time both in one run.

  bench_worker.py tensorboardX|torch
  stdin lines:  scalars <logdir> <n>        n scalars, 4 tags, step i >> 2, value i * 0.001
                histograms <logdir> <n> <k> n histograms of the same k values (bins='tensorflow')
  stdout: one line per request: 'ok <seconds spent writing, close() included>'
"""
import sys
import time

import numpy as np

if sys.argv[1] == "torch":
    from torch.utils.tensorboard import SummaryWriter
else:
    from tensorboardX import SummaryWriter

TAGS = ["train/loss", "train/accuracy", "lr", "grad_norm"]
print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    start = time.perf_counter()
    writer = SummaryWriter(parts[1])
    n = int(parts[2])
    if parts[0] == "scalars":
        for i in range(n):
            writer.add_scalar(TAGS[i & 3], i * 0.001, i >> 2)
    else:
        k = int(parts[3])
        values = np.sin(np.arange(k, dtype=np.float64)) * 3.0
        for i in range(n):
            writer.add_histogram("weights", values, i)
    writer.close()
    print("ok %f" % (time.perf_counter() - start), flush=True)
