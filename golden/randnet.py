"""Random valid networks and images for tests and regressions (seeded).

Thresholds are calibrated on the random images so that a fair share of neurons fire at every
spike time, which is what makes a random network a useful test of the datapath.
"""

import numpy as np

from . import arch as archmod
from . import contract, dense
from .network import FORMAT, build_network, codes_to_text, dumps  # noqa: F401

__all__ = ["random_codes", "random_network", "random_images", "conv", "pool", "dense_layer",
           "classifier", "spec_layers"]


def conv(out_channels, kernel=3, stride=1, padding=1):
    return {"type": "conv2d", "out_channels": out_channels, "kernel": kernel, "stride": stride,
            "padding": padding}


def pool():
    return {"type": "pool"}


def dense_layer(out_features):
    return {"type": "dense", "out_features": out_features}


def classifier(out_features):
    return {"type": "classifier", "out_features": out_features}


def random_codes(rng, shape, zero_frac=0.15, exp_range=(0, 14)):
    """Codes with both signs, exponents over exp_range (14 included) and e = 15 zeros."""
    e = rng.integers(exp_range[0], exp_range[1] + 1, size=shape)
    s = rng.integers(0, 2, size=shape)
    zero = rng.random(shape) < zero_frac
    return np.where(zero, contract.ZERO_CODE, (s << 4) | e)


def random_images(rng, shape, n=1, density=0.6):
    """uint8 images with exact zeros (no spike), 255 and values near the fire boundaries."""
    x = rng.integers(0, 256, size=(n,) + tuple(shape))
    x = np.where(rng.random(x.shape) < density, x, 0)
    edges = np.array([255, 254, 192, 191, 191, 96, 95, 1, 2])
    pick = rng.random(x.shape) < 0.05
    x = np.where(pick, rng.choice(edges, size=x.shape), x)
    return x.astype(np.uint8)


def spec_layers(arch_spec):
    """The layer list of an architecture spec or name of ``golden.arch`` (input padding is the
    caller's: ``Arch.input_shape``)."""
    out = []
    for l in archmod.parse(arch_spec).layers:
        if l.kind == "conv2d":
            out.append(conv(l.size, l.kernel, l.stride, l.padding))
            if l.pool:
                out.append(pool())
        else:
            out.append(dense_layer(l.size) if l.kind == "dense" else classifier(l.size))
    return out


def random_network(rng, input_shape, spec, *, coding="ttfs", T=8, fire_rule="round", F=None,
                   exp_range=(0, 14), zero_frac=0.15, calib_images=8, name="random"):
    """Build a random valid network from a layer spec list (see conv(), pool(), dense_layer(),
    classifier()) or an architecture spec string of ``golden.arch`` (then ``input_shape`` is
    that of the images before the architecture's input padding), calibrating thresholds layer
    by layer on random images."""
    if isinstance(spec, str):
        input_shape = archmod.parse(spec).input_shape(input_shape)
        spec = spec_layers(spec)
    has_pool = any(l["type"] == "pool" for l in spec)
    if F is None:
        F = contract.min_frac_bits(coding, T, has_pool)
    layers = []
    c, h, w = input_shape
    shape = (c, h, w)
    for l in spec:
        l = dict(l)
        if l["type"] == "pool":
            l["type"] = "maxpool2d" if coding == "ttfs" else "avgpool2d"
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
            layers.append(l)
            continue
        if l["type"] == "conv2d":
            k, s, p = l["kernel"], l["stride"], l["padding"]
            wshape = (l["out_channels"], shape[0], k, k)
            shape = (l["out_channels"], (shape[1] + 2 * p - k) // s + 1,
                     (shape[2] + 2 * p - k) // s + 1)
        else:
            wshape = (l["out_features"], int(np.prod(shape)))
            shape = (l["out_features"],)
        l["weights"] = codes_to_text(random_codes(rng, wshape, zero_frac, exp_range))
        n = wshape[0]
        l["bias"] = [int(b) for b in rng.integers(-(1 << (F - 1)), 1 << (F - 1), size=n)]
        if l["type"] != "classifier":
            l["threshold"] = [2] * n
        layers.append(l)
    doc = {"format": FORMAT, "name": name, "input_shape": list(input_shape), "coding": coding,
           "fire_rule": fire_rule, "T": T, "F": F, "layers": layers}
    images = random_images(rng, input_shape, calib_images)
    compute = [l for l in layers if l["type"] not in ("maxpool2d", "avgpool2d")]
    for i, l in enumerate(compute):
        if "threshold" not in l:
            continue
        net = build_network(doc)
        _, res = dense.run(net, images)
        U = res[i].membrane
        U = U.reshape(U.shape[0], U.shape[1], -1).transpose(1, 0, 2).reshape(U.shape[1], -1)
        q = rng.uniform(90, 99.5, size=U.shape[0])
        theta = np.array([max(2, int(np.percentile(u, qq))) for u, qq in zip(U, q)])
        if coding == "rate":
            theta = (theta * 4) // (3 * T)
            theta = np.maximum(2, theta + theta % 2)
        l["threshold"] = [int(t) for t in theta]
    return build_network(doc)
