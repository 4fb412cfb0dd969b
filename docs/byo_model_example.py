"""Worked example of docs/byo_model.md: a small CNN trained in plain PyTorch, rebuilt as an
snnTorch SNN with the trained weights, and exported to NIR by snnTorch's own exporter.

    .venv/bin/python docs/byo_model_example.py [--out build/byo] [--epochs 5]

Writes OUT/mnist-snntorch.nir and prints the held-out accuracy (MNIST images 8000..9999 from
$SNN_DATASETS) of the float ANN and of the snnTorch SNN it became. Needs the [train] extra
(torch, snnTorch, nirtorch, nir). Only ``golden.data`` of this project is used: the rest is what
a user of snnTorch would write.
"""

import argparse
import os
import time
import warnings

import nir
import numpy as np
import snntorch as snn
import torch
import torch.nn as nn
from snntorch import utils as snn_utils
from snntorch.export_nir import export_to_nir

from golden import data


def ann():
    """The float CNN: 28x28 -> 8x28x28 -> pool -> 16x14x14 -> pool -> 10 classes."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def snn_of(model):
    """The same network in snnTorch: every ReLU becomes an IF neuron (Leaky with beta = 1,
    threshold 1; per-neuron parameters so that snnTorch's exporter types the graph)."""
    def neuron(shape, output=False):
        return snn.Leaky(beta=torch.ones(shape), threshold=torch.ones(shape), init_hidden=True,
                         output=output)
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), neuron((8, 28, 28)), nn.AvgPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), neuron((16, 14, 14)), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10), neuron((10,), output=True))
    src = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    dst = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    for a, b in zip(src, dst):
        b.load_state_dict(a.state_dict())
    return net


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(x / 255.0).float()).argmax(1).numpy() == y).mean())


def snn_accuracy(net, x, y, steps):
    """The snnTorch SNN's accuracy: the image as a constant input current for ``steps`` steps,
    class = most output spikes (ties: the larger final membrane)."""
    with torch.no_grad():
        correct = 0
        for i in range(0, len(x), 500):
            xb = torch.from_numpy(x[i:i + 500] / 255.0).float()
            snn_utils.reset(net)
            count = 0
            for _ in range(steps):
                spk, mem = net(xb)
                count = count + spk
            score = count + torch.sigmoid(mem) * 0.5
            correct += int((score.argmax(1).numpy() == y[i:i + 500]).sum())
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("build", "byo"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=32, help="time steps of the snnTorch check")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, y = data.load("mnist", "train")      # images 0..7999
    xh, yh = data.load("mnist", "heldout")  # images 8000..9999
    model = ann()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    t0 = time.time()
    for _ in range(args.epochs):
        for idx in np.array_split(rng.permutation(len(x)), len(x) // 64):
            loss = nn.functional.cross_entropy(model(torch.from_numpy(x[idx] / 255.0).float()),
                                               torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    print(f"float CNN (plain PyTorch): held-out accuracy {accuracy(model, xh, yh):.4f} "
          f"({time.time() - t0:.0f} s of training)")
    net = snn_of(model)
    print(f"snnTorch SNN ({args.steps} steps): held-out accuracy "
          f"{snn_accuracy(net, xh, yh, args.steps):.4f}")
    with warnings.catch_warnings():  # snnTorch computes tau = dt / (1 - beta) = inf for beta = 1
        warnings.simplefilter("ignore", RuntimeWarning)
        graph = export_to_nir(net, torch.zeros(1, 1, 28, 28), ignore_dims=[0])
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "mnist-snntorch.nir")
    nir.write(path, graph)
    print(f"{path}: {len(graph.nodes)} NIR nodes written by snnTorch {snn.__version__}")


if __name__ == "__main__":
    main()
