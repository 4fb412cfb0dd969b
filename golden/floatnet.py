"""NumPy forward pass of the float ANN saved by ``golden.train`` (no torch).

``nets/<base>.float.npz`` holds the BN-folded float32 ANN a network was converted from: a JSON
``spec`` (one entry per compute layer: ``type`` conv2d/dense/classifier, ``kernel``, ``stride``,
``padding``, ``pool``), ``input_padding`` (absent: 0) and ``layer<i>.weight`` / ``layer<i>.bias``.
Inputs are ``x / 255`` of the network's input shape (padded images, ``golden.data.pad_to``);
conv and dense layers apply ReLU and, when ``pool`` is set, 2x2 max-pooling; the classifier
returns the logits. Variants (``mnist-vgg16-rate-t4``) share their base's file
(``mnist-vgg16.float.npz``).
"""

import json
import os

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import data
from .arch import split_name
from .nets import NETS_DIR

__all__ = ["FloatModelUnavailable", "float_path", "input_padding", "load", "forward", "predict",
           "accuracy"]


class FloatModelUnavailable(FileNotFoundError):
    """No .float.npz for this network (one-line message)."""


def float_path(name, dataset=None):
    """The .float.npz of a network name (its own, else its base's: ``mnist-rate-t4`` ->
    ``mnist``) or an explicit path. ``dataset`` is accepted for compatibility and unused."""
    p = str(name)
    if p.endswith(".npz"):
        return p
    if p.endswith(".json"):
        folder, stem = os.path.dirname(p) or ".", os.path.basename(p)[:-5]
    else:
        folder, stem = NETS_DIR, p
    for cand in (stem, split_name(stem)[0]):
        path = os.path.join(folder, cand + ".float.npz")
        if os.path.isfile(path):
            return path
    raise FloatModelUnavailable(f"no float model for {name!r} "
                                f"(expected {os.path.join(folder, stem + '.float.npz')})")


def input_padding(name):
    """The input padding the float ANN of a network name or .npz path was trained with."""
    with np.load(float_path(name)) as z:
        return int(z["input_padding"]) if "input_padding" in z else 0


def load(name, dataset=None):
    """[(spec dict, weight float64, bias float64)] of a network name or .npz path."""
    path = float_path(name, dataset)
    with np.load(path) as z:
        spec = json.loads(str(z["spec"]))
        return [(s, z[f"layer{i}.weight"].astype(np.float64),
                 z[f"layer{i}.bias"].astype(np.float64)) for i, s in enumerate(spec)]


def _conv(a, w, b, padding, stride=1):
    n = a.shape[0]
    co, ci, k, _ = w.shape
    ap = np.pad(a, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = sliding_window_view(ap, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    ho, wo = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n, ho * wo, ci * k * k)
    out = cols @ w.reshape(co, -1).T + b
    return out.transpose(0, 2, 1).reshape(n, co, ho, wo)


def _maxpool(a):
    n, c, h, w = a.shape
    return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def forward(layers, images):
    """Logits (batch, classes) of uint8 images (batch, C, H, W)."""
    a = np.asarray(images, dtype=np.float64) / 255.0
    for spec, w, b in layers:
        if spec["type"] == "conv2d":
            a = np.maximum(_conv(a, w, b, spec.get("padding", 0), spec.get("stride", 1)), 0.0)
            if spec.get("pool"):
                a = _maxpool(a)
        elif spec["type"] == "dense":
            a = np.maximum(a.reshape(a.shape[0], -1) @ w.T + b, 0.0)
        else:
            return a.reshape(a.shape[0], -1) @ w.T + b
    raise ValueError("float model has no classifier")


def predict(layers, images, batch=500):
    return np.concatenate([forward(layers, images[i:i + batch]).argmax(1)
                           for i in range(0, len(images), batch)])


def accuracy(name, split="heldout", limit=None):
    """Float ANN accuracy of a network name (or .npz path) on a data set split."""
    x, y = data.load(name if not str(name).endswith(".npz") else os.path.basename(name), split)
    p = input_padding(name)
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    if limit:
        x, y = x[:limit], y[:limit]
    return float((predict(load(name), x) == y).mean())
