"""The VGG-16 hardware workload: the full-width VGG-16 shape with random weights, NOT a classifier.

    python -m golden.workload                        # build/nets/vgg16-shape-random.json
    python -m golden.workload --width-div 8 --out build/nets/vgg16-shape-random-w8.json
    python -m golden.workload --figures vgg16-shape-random --images 3 --event --json
    python -m golden.workload --figures vgg16-shape-random --preset vgg16   # + image, bytes read
    python -m golden.workload --measure-stats    # re-measure nets/stats/mnist-vgg16.firing.json

No VGG-16 has been trained on real 32x32 colour data here (``make train NET=vgg16-cifar10``
needs CIFAR-10 and GPUs), yet the processor must be measured on one. This module builds a
network of exactly that shape (``golden.arch`` architecture ``vgg16-cifar10`` on 3x32x32: 13
conv layers of 64..512 channels in 5 blocks, each ending in a 2x2 max-pool, then fc512 and the
10-way classifier; 14,977,728 weights, 14.7 M of them in the conv layers) whose activity is
that of a trained deep network:

* **Weights**: random 5-bit log codes, their exponents drawn per layer from the distribution of
  the matching layer of the trained ``mnist-vgg16`` (e in 0..14, or zero), so that membrane and
  threshold widths look like a trained network's (uniform exponents, ``golden.randnet``'s
  default, would make every membrane a sum of a few e = 0 weights). Signs are positive or
  negative with equal odds, NOT with the trained network's 53-56 % negative: with random
  weights and fan-ins of up to 4,608, that excess makes every channel of a layer inhibited by
  the previous layer's total activity, and at full width the deep layers then swing from image
  to image between almost silent and almost all firing (measured: per-image standard deviation
  up to 34 points in layers 9-11, against at most 5 with equal odds).
* **Thresholds and biases**, per output channel, calibrated layer by layer on 16 seeded
  synthetic 3x32x32 images (``synthetic_images``: smooth colour noise, pixels spread over
  0..255 like photographs): each conv layer fires at the fraction measured on the matching layer
  of ``mnist-vgg16`` (``nets/stats/mnist-vgg16.firing.json``). Per channel, the threshold is the
  spread of its membranes between the firing quantile and the 99.9th percentile (the role CAT
  gives lambda: the strongest neurons fire at k = 0, so spike times spread over 0..T-1 as in a
  trained network), and the bias moves the firing quantile onto the lowest membrane that
  fires, so that the channel fires at the target fraction (on average over the layer: each
  channel's quantile index is dithered). The hidden fc512 layer, which ``mnist-vgg16`` does not
  have, takes the last conv layer's fraction and exponents; the classifier (no threshold)
  takes the classifier's exponents and a zero bias.

The network is about 15 MB of JSON, so it is not shipped: the name ``vgg16-shape-random``
resolves (``golden.nets.resolve``) to ``build/nets/vgg16-shape-random.json``, generated on first
use (about a minute, atomically; regenerated when its recipe, i.e. this generator's sources, the
statistics file or the parameters, changes). The same seed and parameters give the same bytes.
Its scores and predictions mean nothing; its metadata say so (``meta.workload``).

``figures(net, images)`` measures what the processor needs on held-out synthetic images (never
the calibration ones): firing fraction, events, synaptic operations, membrane and threshold
widths and weight bytes per layer, from the dense model (synaptic operations counted per event
as the event-driven model counts them).
"""

import dataclasses
import hashlib
import json
import math
import os
import sys
import time

import numpy as np

from . import arch as archmod
from . import capacity, cli, contract, dense, network
from .files import atomic_write
from .nets import BUILD_NETS_DIR, NETS_DIR
from .nets import WORKLOAD as NAME

__all__ = ["NAME", "ARCH", "INPUT_SHAPE", "SEED", "CALIBRATION_IMAGES", "STATS_FILE",
           "WorkloadError", "workload_name", "workload_spec", "load_stats", "measure_stats",
           "synthetic_images", "generate", "recipe", "ensure", "figures", "processor_figures",
           "main"]

ARCH = "vgg16-cifar10"
INPUT_SHAPE = (3, 32, 32)
T, FIRE_RULE, CODING = 8, "round", "ttfs"
SEED = 16
CALIBRATION_IMAGES = 16
#: the network whose activity the workload copies, and where its statistics are shipped
SOURCE_NET = "mnist-vgg16"
#: (in a subfolder: tools take every nets/*.json for a network)
STATS_FILE = os.path.join(NETS_DIR, "stats", SOURCE_NET + ".firing.json")
STATS_FORMAT = "snn-accel-firing/1"
#: percentile of a channel's membranes that fires at k = 0 (CAT initialises lambda there)
TOP_PERCENTILE = 99.9
#: a channel's threshold is at least this share of its layer's membrane spread (from the firing
#: quantile to the TOP_PERCENTILE of all the layer's membranes)
MIN_SPREAD_SHARE = 1 / 8
#: the modules whose code makes the file: a change regenerates it (``recipe``)
_RECIPE_SOURCES = ("workload.py", "dense.py", "contract.py", "network.py", "arch.py")
_STREAM = {"weights": 0, "calibration": 1, "heldout": 2, "dither": 3}


class WorkloadError(ValueError):
    """A bad statistics file or parameter (one line)."""


# -- shape ---------------------------------------------------------------------------------------

def workload_name(width_div=1):
    return NAME if width_div == 1 else f"{NAME}-w{width_div}"


def workload_spec(width_div=1):
    """The architecture spec of ``vgg16-cifar10`` with every hidden width divided by
    ``width_div`` (at least 1 channel); the classifier keeps its 10 classes."""
    if not isinstance(width_div, int) or width_div < 1:
        raise WorkloadError(f"width divisor must be an integer >= 1, got {width_div!r}")
    a = archmod.parse(ARCH)
    layers = [archmod.ArchLayer(l.kind, l.size if l.kind == "classifier"
                                else max(1, l.size // width_div),
                                l.kernel, l.stride, l.padding, l.pool) for l in a.layers]
    return archmod.Arch(tuple(layers), a.input_padding).spec


# -- the statistics of the trained network -------------------------------------------------------

def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _exponent_share(layer):
    """Share of each exponent 0..15 (15: the zero code) among a layer's codes."""
    e = contract.code_exponent(layer.weights).ravel()
    return [round(float(h), 6) for h in np.bincount(e, minlength=16) / e.size]


def measure_stats(limit=None, progress=False):
    """The statistics document of ``mnist-vgg16``: the firing fraction of each conv layer over
    the held-out MNIST images (``golden.evaluate.depth_rows``: dense model, neurons before
    pooling) and the share of each weight exponent per compute layer (from the shipped file)."""
    from . import evaluate
    from .nets import resolve
    path = resolve(SOURCE_NET)
    net = network.load(path)
    (row,) = evaluate.depth_rows(names=(SOURCE_NET,), limit=limit, progress=progress)
    if "missing" in row:
        raise WorkloadError(f"{SOURCE_NET}: {row['missing']}")
    return {
        "format": STATS_FORMAT,
        "network": SOURCE_NET,
        "network_sha256": _sha256(path),
        "measured_with": "python -m golden.workload --measure-stats "
                         "(golden.evaluate.depth_rows: golden.dense on the held-out split, "
                         "fraction of a layer's neurons that fire before pooling; exponent "
                         "shares from the network file)",
        "split": "heldout",
        "images": row["images"],
        "cat_acc": row["cat_acc"],
        "firing": [float(f) for f in row["firing"]],
        "exponent_share": [_exponent_share(l) for l in net.layers],
        "layers": [l.kind for l in net.layers],
    }


def load_stats(path=STATS_FILE):
    """The statistics document (validated: one-line WorkloadError naming the field)."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as exc:
        raise WorkloadError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise WorkloadError(f"{path} is not valid JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or doc.get("format") != STATS_FORMAT:
        raise WorkloadError(f"{path}: format is not {STATS_FORMAT!r}")
    kinds = doc.get("layers")
    if not isinstance(kinds, list) or not kinds or kinds[-1] != "classifier" \
            or kinds.count("conv2d") < 1:
        raise WorkloadError(f"{path}: layers must list the compute layers, ending with the "
                            "classifier")
    conv = kinds.count("conv2d")
    firing = doc.get("firing")
    if not isinstance(firing, list) or len(firing) != len(kinds) - 1 or \
            not all(isinstance(f, (int, float)) and 0 < f < 1 for f in firing):
        raise WorkloadError(f"{path}: firing must hold {len(kinds) - 1} fractions in (0, 1)")
    shares = doc.get("exponent_share")
    if not isinstance(shares, list) or len(shares) != len(kinds) or not all(
            isinstance(h, list) and len(h) == 16 and all(isinstance(x, (int, float)) and x >= 0
                                                         for x in h) and sum(h) > 0
            for h in shares):
        raise WorkloadError(f"{path}: exponent_share must hold {len(kinds)} lists of 16 "
                            "non-negative shares")
    doc["conv_layers"] = conv
    return doc


def _layer_targets(stats, kinds):
    """(firing fraction, exponent share) per compute layer of the workload (``kinds``): conv
    layer i copies conv layer i of the source (the workload and the source must have the same
    number); hidden dense layers copy the source's last conv layer; the classifier copies the
    classifier."""
    conv = [i for i, k in enumerate(stats["layers"]) if k == "conv2d"]
    if kinds.count("conv2d") != len(conv):
        raise WorkloadError(f"the statistics have {len(conv)} conv layers, the workload "
                            f"{kinds.count('conv2d')}")
    out, ci = [], 0
    for k in kinds:
        if k == "conv2d":
            src = conv[ci]
            ci += 1
        elif k == "dense":
            src = conv[-1]
        else:
            src = len(stats["layers"]) - 1
        f = stats["firing"][src] if k != "classifier" else None
        out.append((f, np.asarray(stats["exponent_share"][src], dtype=np.float64)))
    return out


# -- synthetic images ----------------------------------------------------------------------------

def _rng(seed, stream, *index):
    return np.random.default_rng([seed, _STREAM[stream], *index])


def _upsample(size, n):
    """Linear interpolation matrix (size, n) from n samples to size pixels."""
    pos = (np.arange(size) + 0.5) * n / size - 0.5
    lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    w = np.clip(pos - lo, 0, 1)
    m = np.zeros((size, n))
    m[np.arange(size), lo] += 1 - w
    m[np.arange(size), hi] += w
    return m


def synthetic_images(n, *, seed=SEED, purpose="heldout", shape=INPUT_SHAPE):
    """``n`` deterministic uint8 images (n, C, H, W): smooth colour noise (octaves of random
    fields from 2x2 to full size, amplitude falling with frequency; a luminance field shared by
    the channels plus a weaker one per channel), scaled to a photograph's spread (mean about
    120, standard deviation about 60, a few saturated pixels). ``purpose`` ("calibration",
    "heldout") selects an independent stream of the seed. Image i has a random stream of its
    own, so it is the same image whatever ``n`` (image 0 of a one-image run is image 0 of the
    regression's three)."""
    if purpose not in ("calibration", "heldout"):
        raise WorkloadError(f"purpose {purpose!r} is not calibration or heldout")
    out = np.empty((n,) + tuple(shape), dtype=np.uint8)
    for i in range(n):
        out[i] = _synthetic_image(_rng(seed, purpose, i), shape)
    return out


def _synthetic_image(rng, shape):
    """One image of ``synthetic_images`` from its own random stream."""
    c, h, w = shape
    v = np.zeros((c, h, w))
    size = 2
    while size <= max(h, w):
        my, mx = _upsample(h, min(size, h)), _upsample(w, min(size, w))
        lum = rng.standard_normal((1, my.shape[1], mx.shape[1]))
        col = 0.5 * rng.standard_normal((c, my.shape[1], mx.shape[1]))
        v += (my @ (lum + col) @ mx.T) / size ** 0.5
        size *= 2
    v = (v - v.mean()) / v.std()
    mean = rng.uniform(90, 150)
    std = rng.uniform(40, 75)
    return np.clip(np.rint(mean + std * v), 0, 255).astype(np.uint8)


# -- generation ----------------------------------------------------------------------------------

def _random_codes(rng, shape, exponent_share):
    """Codes with exponents drawn from ``exponent_share`` (16 shares, 15 = zero) and signs
    negative with odds 1/2 (zero codes are positive)."""
    p = exponent_share / exponent_share.sum()
    e = rng.choice(16, size=shape, p=p)
    s = rng.integers(0, 2, size=shape)
    return contract.encode_code(np.where(e == contract.ZERO_EXP, 0, s), e)


def _lowest_firing(theta, net):
    """Smallest membrane that fires (at k = T-1) under threshold ``theta`` (array), found by
    bisection on ``contract.fire`` so that no fire rule is restated here."""
    theta = np.asarray(theta, dtype=np.int64)
    lo = np.zeros_like(theta)   # does not fire: 4 * 0 < c4 * theta
    hi = theta.copy()           # fires at k = 0: 4 * theta >= c4[0] * theta
    while (hi - lo > 1).any():
        mid = (lo + hi) // 2
        fires = contract.fire(mid, theta, net.T, net.coding, net.fire_rule) < net.T
        hi = np.where(fires, mid, hi)
        lo = np.where(fires, lo, mid)
    return hi


def _top_index(n):
    """Index of the TOP_PERCENTILE of n sorted samples."""
    return min(n - 1, math.ceil(n * TOP_PERCENTILE / 100) - 1)


def _calibrate(net, layer, u, target, rng):
    """Per-channel (threshold, bias) so that ``target`` of the channel's membranes ``u``
    (batch, C, ...) without bias fire; see the module docstring."""
    ch = np.moveaxis(u, 1, 0).reshape(u.shape[1], -1)
    n = ch.shape[1]
    srt = np.sort(ch, axis=1)
    # the j-th smallest of n samples (1-based) leaves (n + 1 - j) / (n + 1) of fresh samples at
    # or above it on average: j = (n + 1) * (1 - target), dithered between its neighbours so
    # that the layer's channels average the target
    j = np.floor((n + 1) * (1 - target) + rng.random(len(ch))).astype(np.int64)
    idx = np.clip(j - 1, 0, n - 1)
    rows = np.arange(len(ch))
    q = srt[rows, idx]
    top = srt[:, _top_index(n)]
    # a channel with few samples (a dense layer sees one per image) can have top == q: its
    # threshold is then a share of the whole layer's spread
    flat = np.sort(ch, axis=None)
    layer_spread = flat[_top_index(flat.size)] - flat[int(flat.size * (1 - target))]
    theta = np.maximum(top - q, max(1, int(layer_spread * MIN_SPREAD_SHARE)))
    bias = _lowest_firing(theta, net) - q
    return theta.astype(np.int64), bias.astype(np.int64)


def _doc(name, spec, layers_codes, params, meta):
    """The network document of the workload from codes and (bias, threshold) per layer."""
    layers = []
    for (raw, codes), (bias, theta) in zip(layers_codes, params):
        d = dict(raw)
        d["weights"] = network.codes_to_text(codes)
        d["bias"] = [int(b) for b in bias]
        if theta is not None:
            d["threshold"] = [int(t) for t in theta]
        layers.append(d)
        if raw.get("pool"):
            d.pop("pool")
            layers.append({"type": "maxpool2d"})
    return {"format": network.FORMAT, "name": name, "input_shape": list(INPUT_SHAPE),
            "coding": CODING, "fire_rule": FIRE_RULE, "T": T,
            "F": contract.min_frac_bits(CODING, T), "layers": layers, "meta": meta}


def generate(*, seed=SEED, width_div=1, calibration_images=CALIBRATION_IMAGES,
             stats_path=STATS_FILE, progress=False):
    """The workload network (``golden.network.Network``), deterministic in its arguments and
    the statistics file."""
    if not isinstance(calibration_images, int) or calibration_images < 1:
        raise WorkloadError(f"calibration images must be an integer >= 1, got "
                            f"{calibration_images!r}")
    stats = load_stats(stats_path)
    spec = workload_spec(width_div)
    a = archmod.parse(spec)
    targets = _layer_targets(stats, [l.kind for l in a.layers])
    rng = _rng(seed, "weights")
    dither = _rng(seed, "dither")

    # the layers with random codes and placeholder parameters (bias 0, threshold 1)
    layers_codes, shape = [], a.input_shape(INPUT_SHAPE)
    for l, (_, share) in zip(a.layers, targets):
        if l.kind == "conv2d":
            raw = {"type": "conv2d", "out_channels": l.size, "kernel": l.kernel,
                   "stride": l.stride, "padding": l.padding, "pool": l.pool}
            wshape = (l.size, shape[0], l.kernel, l.kernel)
            shape = a.shapes(INPUT_SHAPE)[len(layers_codes)]
        else:
            raw = {"type": l.kind, "out_features": l.size}
            wshape = (l.size, int(np.prod(shape)))
            shape = (l.size,)
        layers_codes.append((raw, _random_codes(rng, wshape, share)))
    placeholder = [(np.zeros(c.shape[0], np.int64),
                    None if raw["type"] == "classifier" else np.ones(c.shape[0], np.int64))
                   for raw, c in layers_codes]
    net = network.build_network(_doc(workload_name(width_div), spec, layers_codes, placeholder,
                                     {}))

    images = synthetic_images(calibration_images, seed=seed, purpose="calibration")
    spikes = contract.encode_input(images, net.T, net.coding, net.fire_rule)
    params, achieved = [], []
    for layer, (target, _) in zip(net.layers, _bar(targets, progress)):
        u = dense.integrate(net, layer, spikes)  # bias 0
        if not layer.fires:
            params.append((np.zeros(layer.out_channels, np.int64), None))
            continue
        theta, bias = _calibrate(net, layer, u, target, dither)
        params.append((bias, theta))
        tuned = dataclasses.replace(layer, bias=bias, threshold=theta)
        out, spikes = dense.fire_layer(net, tuned, u + bias.reshape(
            (1, -1) + (1,) * (u.ndim - 2)))
        achieved.append(round(float((out < net.T).mean()), 4))
    meta = {
        "workload": "random-weight hardware workload of the VGG-16 shape, NOT a classifier: "
                    "its weights are random and its scores and predictions mean nothing; "
                    f"thresholds are set so that each layer fires like {SOURCE_NET} "
                    "(golden.workload)",
        "arch": {"name": ARCH if width_div == 1 else None, "spec": spec},
        "generator": {"command": "python -m golden.workload", "seed": seed,
                      "width_div": width_div, "calibration_images": calibration_images,
                      "images": "golden.workload.synthetic_images (calibration stream)",
                      "stats": {"file": os.path.basename(stats_path),
                                "sha256": _sha256(stats_path)}},
        "firing_target": [t[0] for t in targets[:-1]],
        "firing_calibration": achieved,
    }
    return network.build_network(_doc(workload_name(width_div), spec, layers_codes, params,
                                      meta))


def _bar(it, progress):
    if progress:
        try:
            from tqdm import tqdm
            return tqdm(it, desc="calibrating layers", leave=False, file=sys.stderr)
        except ImportError:
            pass
    return it


# -- the generated file, resolved by name --------------------------------------------------------

def default_path(width_div=1):
    return os.path.join(BUILD_NETS_DIR, workload_name(width_div) + ".json")


def recipe(*, seed=SEED, width_div=1, calibration_images=CALIBRATION_IMAGES,
           stats_path=STATS_FILE):
    """Hash of everything the file depends on: the generator's sources, the statistics file
    and the parameters."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _RECIPE_SOURCES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    with open(stats_path, "rb") as f:
        h.update(f.read())
    h.update(f"{seed}:{width_div}:{calibration_images}".encode())
    return h.hexdigest()


def _stamp_path(path):
    return path + ".recipe"


def write(path, **params):
    """Generate and write the workload atomically (its recipe stamp beside it, written after
    the network, so that a half-done pair is regenerated). Returns (Network, wall seconds, CPU
    seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    net = generate(**params)
    text = network.dumps(net)
    atomic_write(path, text)
    atomic_write(_stamp_path(path), recipe(**{k: v for k, v in params.items()
                                              if k != "progress"}) + "\n")
    return net, time.perf_counter() - t0, time.process_time() - c0


def ensure(path=None, *, width_div=1, quiet=False):
    """Path of the workload file (full width unless ``width_div``), generated first if it is
    missing or stale."""
    path = path or default_path(width_div)
    want = recipe(width_div=width_div)
    try:
        with open(_stamp_path(path)) as f:
            have = f.read().strip()
    except OSError:
        have = None
    if have != want or not os.path.isfile(path):
        if not quiet:
            print(f"golden.workload: generating {os.path.relpath(path)} (the {NAME} hardware "
                  "workload, once; about a minute)", file=sys.stderr)
        write(path, width_div=width_div)
    return path


# -- figures -------------------------------------------------------------------------------------

def _fanout(layer):
    """Output positions each input position of a conv layer reaches (H, W of its input map)."""
    from .event import fanout_range
    _, h, w = layer.in_map
    _, ho, wo = layer.out_shape
    k, s, p = layer.kernel, layer.stride, layer.padding

    def axis(size, size_out):
        r = [fanout_range(i, p, k, s, size_out) for i in range(size)]
        return np.array([max(0, hi - lo + 1) for lo, hi in r], dtype=np.int64)
    return axis(h, ho)[:, None] * axis(w, wo)[None, :]


def figures(net, images):
    """Per-layer activity of ``net`` (TTFS) on ``images`` (batch, C, H, W), from the dense model:
    means per image of events in and out (out: after pooling, what enters the spike buffer) and
    synaptic operations (one per event and output neuron it reaches, as ``golden.event``
    counts them); the fraction of neurons that fire (before pooling); spike times of the
    firing neurons; the largest |membrane| seen and the widths it and the thresholds need;
    weights and their bytes at 5 bits."""
    if net.coding != "ttfs":
        raise WorkloadError("figures: TTFS networks only")
    images = np.asarray(images)
    x, res = dense.run(net, images)
    n = len(images)
    spikes_in = x
    rows = []
    for layer, r in zip(net.layers, res):
        fired_in = spikes_in < net.T
        ev_in = fired_in.reshape(n, -1).sum(axis=1)
        if layer.kind == "conv2d":
            syn = layer.out_channels * (fired_in * _fanout(layer)).reshape(n, -1).sum(axis=1)
        else:
            syn = ev_in * layer.out_shape[0]
        umax = int(np.abs(r.membrane).max())
        row = {"layer": layer.index + 1, "kind": layer.kind,
               "in": list(layer.in_map), "out": list(layer.pooled_shape),
               "events_in": float(ev_in.mean()), "synops": float(syn.mean()),
               "weights": int(layer.weights.size),
               "weight_bytes": math.ceil(contract.CODE_BITS * layer.weights.size / 8),
               "membrane_max": umax, "membrane_bits_seen": contract.signed_width(umax),
               "membrane_bits_bound": layer.membrane_bits,
               "bias_max": int(np.abs(layer.bias).max())}
        if layer.fires:
            fired = r.spikes < net.T
            k = r.spikes[fired]
            row.update(firing=float(fired.mean()),
                       events_out=float((r.pooled < net.T).reshape(n, -1).sum(axis=1).mean()),
                       spike_times=[int(c) for c in np.bincount(k, minlength=net.T)],
                       threshold_max=int(layer.threshold.max()),
                       threshold_bits=contract.unsigned_width(int(layer.threshold.max())))
        rows.append(row)
        spikes_in = r.pooled
    total = {"images": n, "input_events": float((x < net.T).reshape(n, -1).sum(axis=1).mean()),
             "events": float(sum(r.get("events_out", 0) for r in rows)),
             "synops": float(sum(r["synops"] for r in rows)),
             "weights": sum(r["weights"] for r in rows),
             "weight_bytes": sum(r["weight_bytes"] for r in rows),
             "membrane_bits_seen": max(r["membrane_bits_seen"] for r in rows),
             "membrane_bits_bound": net.membrane_bits}
    return {"net": net.name, "layers": rows, "per_image": total}


def processor_figures(net, preset):
    """What the processor reads for ``net`` on the capacity preset ``preset``
    (``golden.capacity``, ``golden.image``): per layer its pass plan and the bytes of its
    descriptor, parameter and weight reads; the image's size and the bytes read per inference
    at the preset's data width."""
    from . import image
    cap = capacity.preset(preset)
    t0 = time.perf_counter()
    img = image.write_image(net, cap)
    seconds = time.perf_counter() - t0
    plans = capacity.plan(net, cap)
    reqs = image.read_requests(net, cap)
    beat = cap.beat_bytes
    layers = []
    for p in plans:
        mine = [r for r in reqs if r.layer == p.index]
        layers.append({"layer": p.index + 1, "groups": p.groups,
                       "groups_per_pass": p.groups_per_pass, "passes": p.passes,
                       "limit": p.limit,
                       **{f"{what}_bytes": sum(r.bytes(beat) for r in mine if r.what == what)
                          for what in ("descriptor", "params", "weights")}})
    return {"preset": preset, "cores": cap.cores, "data_bits": cap.data_bits,
            "image_bytes": len(img), "image_write_s": round(seconds, 2),
            "bytes_read": image.bytes_read(net, cap),
            "bytes_read_by_kind": {what: sum(r.bytes(beat) for r in reqs if r.what == what)
                                   for what in ("header", "input", "descriptor", "params",
                                                "weights")},
            "layers": layers}


def _time_models(net, images, event_model):
    """Speed of the dense model (one image at a time) and, with ``event_model``, of the
    event-driven one, which must equal the dense one bit for bit: images per second of wall
    time and CPU seconds per image (the process's own time, which a loaded machine inflates
    less; one core when BLAS runs one thread)."""
    from . import event

    def timed(f):
        w, c = time.perf_counter(), time.process_time()
        out = [f(img) for img in images]
        w, c = time.perf_counter() - w, time.process_time() - c
        return out, {"images_per_s": round(len(images) / w, 4),
                     "cpu_s_per_image": float(f"{c / len(images):.4g}")}

    dense_out, speed = timed(lambda img: dense.run(net, img[None]))
    out = {"dense_speed": speed}
    if event_model:
        traces, out["event_speed"] = timed(lambda img: event.run(net, img))
        equal = 0
        for (_, res), tr in zip(dense_out, traces):
            same = all(np.array_equal(r.membrane[0].ravel(), t.membrane)
                       for r, t in zip(res, tr.layers))
            same = same and all(
                np.array_equal(event._to_events(r.pooled[0], net), t.events)
                for r, t in zip(res, tr.layers) if r.pooled is not None)
            equal += int(same)
        out["event_equals_dense"] = f"{equal}/{len(images)}"
        out["event_synops"] = [float(np.mean([tr.layers[i].counts["synops"] for tr in traces]))
                               for i in range(len(net.layers))]
    return out


# -- command line --------------------------------------------------------------------------------

def _table(fig):
    L = [f"{fig['net']}: per image, mean of {fig['per_image']['images']} held-out synthetic "
         "images",
         f"{'layer':>5} {'kind':<10} {'firing %':>8} {'events in':>10} {'events out':>10} "
         f"{'synops':>13} {'weight B':>10} {'U bits':>6} {'bound':>5} {'Θ bits':>6}"]
    for r in fig["layers"]:
        fire = f"{100 * r['firing']:.1f}" if "firing" in r else "-"
        L.append(f"{r['layer']:>5} {r['kind']:<10} {fire:>8} {r['events_in']:>10.0f} "
                 f"{r.get('events_out', 0):>10.0f} {r['synops']:>13,.0f} "
                 f"{r['weight_bytes']:>10,} {r['membrane_bits_seen']:>6} "
                 f"{r['membrane_bits_bound']:>5} {r.get('threshold_bits', '-'):>6}")
    t = fig["per_image"]
    L.append(f"total: {t['input_events']:.0f} input events, {t['events']:.0f} events, "
             f"{t['synops']:,.0f} synaptic operations, {t['weights']:,} weights "
             f"({t['weight_bytes']:,} bytes at 5 bits)")
    for k in ("dense_speed", "event_speed", "event_equals_dense"):
        if k in fig:
            L.append(f"{k}: {fig[k]}")
    p = fig.get("processor")
    if p:
        L += [f"on preset {p['preset']} (P = {p['cores']}, {p['data_bits']}-bit reads): image "
              f"{p['image_bytes']:,} bytes, {p['bytes_read']:,} bytes read per inference",
              f"{'layer':>5} {'groups':>6} {'per pass':>8} {'passes':>6} {'limit':<15} "
              f"{'params B':>9} {'weights B':>11}"]
        for r in p["layers"]:
            L.append(f"{r['layer']:>5} {r['groups']:>6} {r['groups_per_pass']:>8} "
                     f"{r['passes']:>6} {r['limit']:<15} {r['params_bytes']:>9,} "
                     f"{r['weights_bytes']:>11,}")
    return "\n".join(L)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.workload",
                            description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="generate: output file (default build/nets/<name>.json)")
    ap.add_argument("--seed", type=cli.count(0), default=SEED)
    ap.add_argument("--width-div", type=cli.count(1, 64), default=1,
                    help="divide every hidden width by this (a small variant for tests)")
    ap.add_argument("--calibration-images", type=cli.count(1, 1024),
                    default=CALIBRATION_IMAGES)
    ap.add_argument("--stats", default=STATS_FILE, help="statistics file of the source network")
    ap.add_argument("--figures", metavar="NET",
                    help="measure a workload network (name or .json) on held-out synthetic "
                         "images instead of generating")
    ap.add_argument("--images", type=cli.count(1, 1024), default=3,
                    help="--figures: held-out synthetic images")
    ap.add_argument("--event", action="store_true",
                    help="--figures: also run the event-driven model (checked bit for bit "
                         "against the dense one) and time both")
    ap.add_argument("--preset", help="--figures: also the image and the bytes read per "
                                     "inference on this capacity preset (golden.capacity)")
    ap.add_argument("--json", action="store_true", help="--figures: one JSON object")
    ap.add_argument("--measure-stats", action="store_true",
                    help=f"re-measure the statistics of {SOURCE_NET} (needs MNIST) into --stats")
    ap.add_argument("--limit", type=cli.count(1), help="--measure-stats: first N images only")
    ap.add_argument("--progress", action="store_true", help="progress bars on stderr")
    args = ap.parse_args(argv)
    try:
        if args.measure_stats:
            from . import data
            cli.check_output(args.stats)
            try:
                doc = measure_stats(args.limit, args.progress)
            except data.DatasetUnavailable as exc:
                return cli.fail(ap.prog, exc)
            atomic_write(args.stats, json.dumps(doc, indent=1) + "\n")
            print(" ".join(f"{100 * f:.1f}" for f in doc["firing"]))
            return 0
        if args.figures:
            from .nets import resolve
            if args.preset:
                capacity.preset(args.preset)  # a bad name fails before the work
            net = network.load(resolve(args.figures))
            images = synthetic_images(args.images, seed=net.meta.get("generator", {}).get(
                "seed", SEED), purpose="heldout", shape=net.input_shape)
            fig = figures(net, images)
            fig.update(_time_models(net, images, args.event))
            if args.preset:
                fig["processor"] = processor_figures(net, args.preset)
            print(json.dumps(fig) if args.json else _table(fig))
            return 0
        out = args.out or default_path(args.width_div)
        cli.check_output(out)
        net, seconds, cpu = write(out, seed=args.seed, width_div=args.width_div,
                             calibration_images=args.calibration_images,
                             stats_path=args.stats, progress=args.progress)
    except (WorkloadError, network.NetworkError, contract.ContractError, capacity.CapacityError,
            capacity.DoesNotFit, OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(f"{out}: {net.name}, {sum(l.weights.size for l in net.layers):,} weights, "
          f"{os.path.getsize(out):,} bytes, membrane {net.membrane_bits} bits, "
          f"generated in {seconds:.1f} s ({cpu:.1f} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
