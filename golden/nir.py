"""NIR (Neuromorphic Intermediate Representation) export and import of networks.

    python -m golden.nir export NET OUT.nir                    # any network file or shipped name
    python -m golden.nir import IN.nir --out NET.json          # a graph exported here: exact
    python -m golden.nir import IN.nir --out NET.json --data mnist   # a foreign graph: CAT

The ``nir`` package (PyPI, the ``[nir]`` extra) is imported only when a command runs, and the
hardware flow never imports this module. Importing a foreign graph fine-tunes it with torch
(``golden.convert``, the ``[train]`` extra).

**Export.** A network becomes a chain ``input -> conv0 -> if0 [-> pool0] -> ... -> flatten ->
affineN -> ifN -> ... -> classifier -> membrane -> output`` of NIR nodes in the integer units of
the contract (DESIGN.md section 2): a weight code (s, e) is the number ``(-1)^s 2^(F-e)`` (0 for
e = 15), biases are ``B_int`` and thresholds ``Theta_int`` (``IF.v_threshold``, ``r`` = 1,
``v_reset`` = 0), so that an input spike of value ``2^-k`` (TTFS) or 1 (rate) through weight
``w`` adds ``w 2^-k`` to the membrane, which is the contract's ``1 << (F - e - k)``. The
classifier's membrane is an ``I`` node (it integrates and does not fire). Every value is an
integer held exactly in float64 (the export refuses one of 2^53 or more).

The integration and fire rules of the contract are not NIR's continuous-time ones, so the graph's
``metadata["snn_accel"]`` (a JSON string, ``EXPORT_FORMAT``) records them: coding, T, F, fire
rule (with ``c4`` of TTFS), the input encoder (``Theta`` = 255, lambda_0 = 1), the initial
membrane (TTFS ``B``; rate ``Theta/2 + T B``, bias per step), the network's name, input shape,
membrane width and its ``meta``. Pools: rate coding's 2x2 average pool is ``AvgPool2d``; TTFS's
max-pool (the earliest spike of each 2x2 window) has no NIR primitive and is a ``SumPool2d``
whose node metadata says ``{"pool": "max"}``.

**Import.** A graph with that metadata is restored exactly (every code, bias and threshold,
checked; ``golden.network`` validates the result), without training. Any other graph is read
as a float ANN (``read_foreign``): Conv2d / Affine / Linear layers, each followed by an IF
neuron (or a LIF without leak, as snnTorch exports ``Leaky(beta=1)``), 2x2 stride-2 average or
sum pools, one Flatten, and a last linear layer that is the classifier (a neuron after it is read
as the classifier's membrane). A neuron's ``r / v_threshold`` per channel is a positive scale of
ReLU and folds into its layer, a ``Scale`` node (a batch norm's factor) folds into the layer
before it, a sum pool is 4 average pools. Anything else is refused in one line naming the node
and the reason. The float ANN then goes through the CAT fine-tune and integer export of
``golden.train`` (``golden.convert``).
"""

import json
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

from . import cli, contract, convert, network
from .arch import KERNEL_MAX, PADDING_MAX, STRIDES, ArchLayer
from .files import atomic_path

__all__ = ["EXPORT_FORMAT", "META_KEY", "NIRError", "Foreign", "to_graph", "export", "read",
           "is_exported_here", "from_graph", "read_foreign", "main"]

EXPORT_FORMAT = "snn-accel-nir/1"
#: the graph metadata key of the export record
META_KEY = "snn_accel"
#: largest integer magnitude a float64 NIR array holds exactly
EXACT_MAX = 1 << 53
NIR_PIN = "nir==1.0.8"


class NIRError(ValueError):
    """A graph this project cannot export or import (one line naming the node and the reason)."""


def _nir():
    try:
        import nir
    except ImportError:
        raise NIRError(f"needs the nir package: pip install '{NIR_PIN}' (the [nir] extra)") \
            from None
    return nir


# -- export ----------------------------------------------------------------------------------------

def _exact(values, where):
    """float64 copy of integer ``values``, refusing any that float64 cannot hold exactly."""
    v = np.asarray(values, dtype=np.int64)
    if v.size and int(np.abs(v).max()) >= EXACT_MAX:
        raise NIRError(f"{where}: value {int(v[np.argmax(np.abs(v))])} is not exact in a NIR "
                       "float64 array (|value| < 2^53)")
    return v.astype(np.float64)


def _weight_values(codes, F):
    """``(-1)^s 2^(F-e)`` of every code, 0 for e = 15 (float64, exact: F - e <= 48)."""
    e = contract.code_exponent(codes)
    mag = np.where(e == contract.ZERO_EXP, 0.0, np.ldexp(1.0, F - e))
    return np.where(contract.code_sign(codes) == 1, -mag, mag)


def _record(net):
    """The export record (graph metadata) of a network."""
    rule = {"coding": net.coding, "T": net.T, "F": net.F, "fire_rule": net.fire_rule}
    if net.coding == "ttfs":
        rule["c4"] = contract.ttfs_c4(net.T, net.fire_rule)
        rule["fire"] = "first k in 0..T-1 with 4 (U << k) >= c4[k] Theta, once per layer"
        rule["initial_membrane"] = "B"
        rule["spike_value"] = "2^-k (k = spike time)"
    else:
        rule["fire"] = "N = clip(floor(U / Theta), 0, T) spikes"
        rule["initial_membrane"] = "Theta/2 + T B (B per time step)"
        rule["spike_value"] = "1 per spike"
    return {"format": EXPORT_FORMAT, "network_format": network.FORMAT, "name": net.name,
            "input_shape": list(net.input_shape), "membrane_bits": net.membrane_bits,
            "units": "weights (-1)^s 2^(F-e), biases B_int, thresholds Theta_int: membrane "
                     "integers of the snn-accel numeric contract",
            "input": {"encoder": "fire rule with U = pixel, Theta = 255", "lambda": 1,
                      "theta": contract.INPUT_THETA},
            "classifier": "integrates, does not fire; prediction = argmax, lowest index on ties",
            **rule, "meta": net.meta}


def to_graph(net):
    """The NIR graph of a ``golden.network.Network``."""
    nir = _nir()
    nodes = {"input": nir.Input(input_type={"input": np.array(net.input_shape)})}
    chain = ["input"]

    def add(name, node):
        nodes[name] = node
        chain.append(name)

    for l in net.layers:
        where = f"layers[{l.index}]"
        w = _weight_values(l.weights, net.F)
        b = _exact(l.bias, f"{where}.bias")
        if l.kind == "conv2d":
            add(f"conv{l.index}", nir.Conv2d(
                input_shape=np.array(l.in_shape[1:]), weight=w, stride=np.array([l.stride] * 2),
                padding=np.array([l.padding] * 2), dilation=np.array([1, 1]), groups=1, bias=b))
        else:
            if len(l.in_map) == 3:
                add("flatten", nir.Flatten(input_type={"input": np.array(l.in_map)},
                                           start_dim=0, end_dim=-1))
            add(f"affine{l.index}" if l.fires else "classifier", nir.Affine(weight=w, bias=b))
        if l.fires:
            theta = _exact(l.threshold, f"{where}.threshold")
            shape = l.out_shape
            theta = np.broadcast_to(theta.reshape((-1,) + (1,) * (len(shape) - 1)), shape).copy()
            add(f"if{l.index}", nir.IF(r=np.ones(shape), v_threshold=theta,
                                       v_reset=np.zeros(shape)))
        else:
            add("membrane", nir.I(r=np.ones(l.out_shape)))
        if l.pool:
            k = np.array([2, 2])
            if net.coding == "ttfs":
                pool = nir.SumPool2d(kernel_size=k, stride=k, padding=np.array([0, 0]),
                                     metadata={"pool": "max"})
            else:
                pool = nir.AvgPool2d(kernel_size=k, stride=k, padding=np.array([0, 0]))
            add(f"pool{l.index}", pool)
    add("output", nir.Output(output_type={"output": np.array([net.classes])}))
    edges = list(zip(chain[:-1], chain[1:]))
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={META_KEY: json.dumps(_record(net))},
                         type_check=False)
    graph.infer_types()
    return graph


def export(net, path):
    """Write the NIR file of ``net`` atomically (nothing is written when it is refused)."""
    graph = to_graph(net)
    nir = _nir()
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)


# -- reading ---------------------------------------------------------------------------------------

def read(path):
    """The NIR graph of a file; NIRError when it is not one."""
    nir = _nir()
    if not os.path.isfile(path):
        raise NIRError(f"{path}: no such file")
    try:
        return nir.read(path)
    except (OSError, ValueError, KeyError, TypeError, AssertionError, AttributeError) as exc:
        raise NIRError(f"{path} is not a NIR graph this nir version reads "
                       f"({cli.reason(exc)})") from None


def _record_of(graph):
    raw = (getattr(graph, "metadata", None) or {}).get(META_KEY)
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        rec = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        rec = None
    if not isinstance(rec, dict) or rec.get("format") != EXPORT_FORMAT:
        raise NIRError(f"graph metadata {META_KEY!r} is not an {EXPORT_FORMAT} record")
    return rec


def is_exported_here(graph):
    """True when ``graph`` carries this project's export record."""
    return _record_of(graph) is not None


def _chain(graph):
    """Node names from the input to the output; NIRError unless the graph is one chain."""
    nir = _nir()
    nodes, succ, pred = graph.nodes, {}, {}
    for a, b in graph.edges:
        for n in (a, b):
            if n not in nodes:
                raise NIRError(f"edge {a} -> {b}: no node named {n!r}")
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    for name, node in nodes.items():
        if isinstance(node, nir.NIRGraph):
            raise NIRError(f"node {name} ({type(node).__name__}): a nested (e.g. recurrent) "
                           "subgraph; the contract runs a feed-forward chain of layers")
        for what, links in (("inputs", pred), ("outputs", succ)):
            if len(links.get(name, [])) > 1:
                raise NIRError(f"node {name} ({type(node).__name__}) has "
                               f"{len(links[name])} {what}; the contract runs a chain of "
                               "layers (no branches, skips or recurrence)")
    starts = [n for n, node in nodes.items() if isinstance(node, nir.Input)]
    if len(starts) != 1:
        raise NIRError(f"graph has {len(starts)} Input nodes, expected 1")
    chain = [starts[0]]
    while chain[-1] in succ:
        nxt = succ[chain[-1]][0]
        if nxt in chain:
            raise NIRError(f"node {nxt} ({type(nodes[nxt]).__name__}): a cycle; the contract "
                           "runs a feed-forward chain of layers")
        chain.append(nxt)
    if not isinstance(nodes[chain[-1]], nir.Output):
        raise NIRError(f"node {chain[-1]} ({type(nodes[chain[-1]]).__name__}): the chain from "
                       "the input ends without reaching an Output node")
    if len(chain) != len(nodes):
        stray = sorted(set(nodes) - set(chain))[0]
        raise NIRError(f"node {stray} ({type(nodes[stray]).__name__}) is not on the chain from "
                       "the input to the output")
    return [(n, nodes[n]) for n in chain]


def _array(node, field):
    return np.asarray(getattr(node, field), dtype=np.float64)


def _pair(value, name, what):
    """An int from a scalar or a pair of equal ints (NIR stores either)."""
    v = np.asarray(value).reshape(-1)
    if v.size not in (1, 2) or v.dtype.kind not in "iuf" or (v != np.round(v)).any():
        raise NIRError(f"node {name}: {what} {value!r} is not an integer or a pair of integers")
    if v.size == 2 and v[0] != v[1]:
        raise NIRError(f"node {name}: {what} {tuple(int(x) for x in v)} differs between height "
                       "and width; the contract's are square")
    return int(v[0])


# -- exact import of an export of this project --------------------------------------------------

def _codes(w, F, where):
    """Weight codes of exported values ``(-1)^s 2^(F-e)``; NIRError naming the first other one."""
    w = np.asarray(w, dtype=np.float64)
    mant, ex = np.frexp(np.abs(w))
    e = F - (ex.astype(np.int64) - 1)
    ok = (w == 0) | ((mant == 0.5) & (e >= 0) & (e <= contract.EXP_MAX))
    if not ok.all():
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise NIRError(f"{where}: weight {w[idx]!r} at {idx} is not (-1)^s 2^(F-e) for "
                       f"F = {F}, e in 0..{contract.EXP_MAX}")
    zero = w == 0
    sign = np.where(zero, 0, (w < 0).astype(np.int64))
    return contract.encode_code(sign, np.where(zero, contract.ZERO_EXP, e))


def _integers(values, where):
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all() or (v != np.round(v)).any() or \
            (v.size and np.abs(v).max() >= EXACT_MAX):
        raise NIRError(f"{where}: expected integers below 2^53 in magnitude")
    return v.astype(np.int64)


def _per_channel(values, channels, where):
    """Per-channel values of an array broadcast over a map (constant over positions)."""
    v = np.asarray(values).reshape(channels, -1)
    if (v != v[:, :1]).any():
        raise NIRError(f"{where}: differs between positions of one channel; the contract's "
                       "values are per output channel")
    return v[:, 0]


def from_graph(graph):
    """The Network of a graph exported by ``to_graph``, exactly (NIRError otherwise)."""
    nir = _nir()
    rec = _record_of(graph)
    if rec is None:
        raise NIRError(f"graph has no {META_KEY!r} metadata: not exported by snn-accel")
    try:
        F, coding = int(rec["F"]), rec["coding"]
        head = {k: rec[k] for k in ("name", "input_shape", "coding", "fire_rule", "T", "F",
                                    "membrane_bits", "meta")}
    except (KeyError, TypeError, ValueError) as exc:
        raise NIRError(f"graph metadata {META_KEY!r}: missing or bad field {exc}") from None
    layers, pending = [], None
    for name, node in _chain(graph)[1:-1]:
        if isinstance(node, (nir.Conv2d, nir.Affine)):
            w, b = _array(node, "weight"), _array(node, "bias")
            d = {"weights": network.codes_to_text(_codes(w, F, f"node {name}")),
                 "bias": [int(x) for x in _integers(b, f"node {name}.bias")]}
            if isinstance(node, nir.Conv2d):
                d.update(type="conv2d", out_channels=int(w.shape[0]), kernel=int(w.shape[-1]),
                         stride=_pair(node.stride, name, "stride"),
                         padding=_pair(node.padding, name, "padding"))
            else:
                d.update(type="dense", out_features=int(w.shape[0]))
            pending = d
            layers.append(d)
        elif isinstance(node, nir.IF) and pending is not None:
            theta = _integers(_per_channel(node.v_threshold, len(pending["bias"]),
                                           f"node {name}.v_threshold"), f"node {name}")
            pending["threshold"] = [int(x) for x in theta]
            pending = None
        elif isinstance(node, nir.I) and pending is not None:
            pending["type"] = "classifier"
            pending = None
        elif isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
            layers.append({"type": "maxpool2d" if coding == "ttfs" else "avgpool2d"})
        elif not isinstance(node, nir.Flatten):
            raise NIRError(f"node {name} ({type(node).__name__}) is not one of the nodes "
                           f"{EXPORT_FORMAT} writes")
    doc = {"format": network.FORMAT, **head, "layers": layers}
    try:
        return network.build_network(doc)
    except (network.NetworkError, contract.ContractError) as exc:
        raise NIRError(f"exported network does not load: {exc}") from None


# -- foreign graphs: a float ANN ------------------------------------------------------------------

@dataclass
class Foreign:
    """A foreign graph read as a float ANN: ``layers`` [(ArchLayer, weight, bias)] (float64,
    neuron scales and sum pools folded in), the (C, H, W) ``input_shape`` (None when the graph
    takes a flat vector), ``float_pool`` ("avg" or None) and a list of ``notes`` on what was
    folded or reinterpreted."""
    layers: list
    input_shape: tuple
    float_pool: str
    notes: list


def _neuron_scale(name, node, channels):
    """Positive per-channel factor of ReLU that an IF / no-leak LIF neuron amounts to."""
    nir = _nir()
    kind = type(node).__name__
    if isinstance(node, nir.LIF):
        tau = _array(node, "tau")
        if np.isfinite(tau).any():
            t = float(tau[np.isfinite(tau)].flat[0])
            raise NIRError(f"node {name} (LIF): leaks (tau = {t:g}); the contract's IF neurons "
                           "do not leak")
    elif not isinstance(node, nir.IF):
        raise NIRError(f"node {name} ({kind}): neuron model not supported; the contract runs "
                       "IF neurons (LIF only without leak)")
    r, theta = _array(node, "r"), _array(node, "v_threshold")
    reset = _array(node, "v_reset")
    if (reset != 0).any():
        raise NIRError(f"node {name} ({kind}): v_reset {float(reset[reset != 0].flat[0]):g} is "
                       "not 0")
    if not (theta > 0).all() or not np.isfinite(theta).all():
        raise NIRError(f"node {name} ({kind}): v_threshold must be positive and finite")
    if isinstance(node, nir.LIF) and np.isinf(r).all():
        r = np.ones_like(theta)  # snnTorch's Leaky(beta=1): r = tau/dt = inf, one step adds I
    if not (r > 0).all() or not np.isfinite(r).all():
        raise NIRError(f"node {name} ({kind}): r must be positive and finite")
    scale = np.broadcast_to(r / theta, np.broadcast_shapes(r.shape, theta.shape))
    if scale.size == 1:
        return np.full(channels, float(scale.reshape(-1)[0]))
    if scale.size % channels:
        raise NIRError(f"node {name} ({kind}): {scale.size} parameters do not match "
                       f"{channels} channels")
    return _per_channel(scale, channels, f"node {name} r/v_threshold").astype(np.float64)


def _input_shape(name, node):
    shape = [int(x) for x in np.asarray(node.input_type["input"]).reshape(-1)]
    while len(shape) > 3 and shape[0] == 1:  # a batch or time dimension of size 1
        shape = shape[1:]
    if len(shape) not in (1, 3):
        raise NIRError(f"node {name} (Input): shape {shape} is neither C, H, W nor a vector")
    return tuple(shape)


def read_foreign(graph):
    """A foreign graph as a float ANN (``Foreign``); NIRError names the first node the contract
    cannot run and why."""
    nir = _nir()
    chain = _chain(graph)
    cur = _input_shape(*chain[0])
    input_shape = cur if len(cur) == 3 else None
    layers, notes, pools = [], [], set()
    pending = None  # [name, kind, w, b, geometry] of a linear layer awaiting its neuron

    def close(name, scale, classifier=False):
        nonlocal pending
        pname, kind, w, b, geom = pending
        if classifier:
            kind = "classifier"
        s = scale.reshape((-1,) + (1,) * (w.ndim - 1))
        layers.append([ArchLayer(kind, int(w.shape[0]), **geom), w * s, b * scale])
        pending = None

    for i, (name, node) in enumerate(chain[1:-1], 1):
        kind = type(node).__name__
        last_linear = not any(isinstance(n, (nir.Conv2d, nir.Affine, nir.Linear))
                              for _, n in chain[i + 1:])
        if isinstance(node, (nir.Conv2d, nir.Affine, nir.Linear)):
            if pending is not None:
                raise NIRError(f"node {name} ({kind}) follows node {pending[0]} without a "
                               "neuron between them")
            w = _array(node, "weight")
            b = _array(node, "bias") if not isinstance(node, nir.Linear) else \
                np.zeros(w.shape[0])
            if isinstance(node, nir.Conv2d):
                if len(cur) != 3:
                    raise NIRError(f"node {name} (Conv2d): a convolution after a flatten or "
                                   "dense layer")
                if w.ndim != 4 or w.shape[2] != w.shape[3]:
                    raise NIRError(f"node {name} (Conv2d): kernel {w.shape[2:]} is not square")
                dilation = _pair(node.dilation, name, "dilation")
                if dilation != 1:
                    raise NIRError(f"node {name} (Conv2d): dilation {dilation}; the contract's "
                                   "convolutions are not dilated")
                if int(node.groups) != 1:
                    raise NIRError(f"node {name} (Conv2d): groups = {int(node.groups)}; the "
                                   "contract's convolutions are dense (groups = 1)")
                k = int(w.shape[-1])
                if isinstance(node.padding, str):
                    if node.padding == "valid":
                        p = 0
                    elif node.padding == "same" and k % 2 == 1:
                        p = k // 2
                    else:
                        raise NIRError(f"node {name} (Conv2d): padding {node.padding!r} with "
                                       f"kernel {k}")
                else:
                    p = _pair(node.padding, name, "padding")
                s = _pair(node.stride, name, "stride")
                if k > KERNEL_MAX or s not in STRIDES or p > PADDING_MAX or p >= k:
                    raise NIRError(f"node {name} (Conv2d): kernel {k}, stride {s}, padding {p}; "
                                   f"the contract runs kernels up to {KERNEL_MAX}, strides "
                                   f"{STRIDES}, padding up to {PADDING_MAX} and below the kernel")
                if w.shape[1] != cur[0]:
                    raise NIRError(f"node {name} (Conv2d): {w.shape[1]} input channels, the map "
                                   f"has {cur[0]}")
                c, h, wd = cur
                cur = (int(w.shape[0]), (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1)
                pending = [name, "conv2d", w, b, dict(kernel=k, stride=s, padding=p)]
            else:
                if w.ndim != 2 or w.shape[1] != math.prod(cur):
                    raise NIRError(f"node {name} ({kind}): weight {w.shape} does not take the "
                                   f"{math.prod(cur)} inputs of the {cur} map before it")
                if len(cur) == 3 and layers:
                    raise NIRError(f"node {name} ({kind}): a dense layer on a {cur} map needs "
                                   "a Flatten node before it")
                cur = (int(w.shape[0]),)
                pending = [name, "dense", w, b, {}]
            if b.shape != (w.shape[0],):
                raise NIRError(f"node {name} ({kind}): bias shape {b.shape}, expected "
                               f"({w.shape[0]},)")
        elif isinstance(node, nir.Scale):
            if pending is None:
                raise NIRError(f"node {name} (Scale): scales no linear layer (the contract folds "
                               "it, like a batch norm, into the layer before it)")
            s = _array(node, "scale")
            s = np.full(cur[0], float(s.reshape(-1)[0])) if s.size == 1 else \
                _per_channel(s, cur[0], f"node {name}.scale")
            pending[2] = pending[2] * s.reshape((-1,) + (1,) * (pending[2].ndim - 1))
            pending[3] = pending[3] * s
            notes.append(f"{name}: Scale folded into {pending[0]}")
        elif isinstance(node, (nir.IF, nir.LIF, nir.CubaLIF, nir.LI, nir.CubaLI, nir.I)):
            if pending is None:
                raise NIRError(f"node {name} ({kind}): a neuron without a linear layer before it")
            if last_linear and pending[1] == "dense":
                if isinstance(node, (nir.CubaLIF, nir.CubaLI, nir.LI)) or \
                        (isinstance(node, nir.LIF) and np.isfinite(_array(node, "tau")).any()):
                    _neuron_scale(name, node, cur[0])  # the refusal, with its reason
                notes.append(f"{name}: {kind} after the last layer read as the classifier's "
                             "membrane (it integrates, does not fire)")
                close(name, np.ones(cur[0]), classifier=True)
            else:
                scale = _neuron_scale(name, node, cur[0])
                notes.append(f"{name}: {kind} read as ReLU x r/v_threshold "
                             f"({scale.min():g}..{scale.max():g}), folded into {pending[0]}")
                close(name, scale)
        elif isinstance(node, (nir.AvgPool2d, nir.SumPool2d)):
            ks = _pair(node.kernel_size, name, "kernel_size")
            st = ks if node.stride is None else _pair(node.stride, name, "stride")
            pd = _pair(node.padding, name, "padding")
            if (ks, st, pd) != (2, 2, 0):
                raise NIRError(f"node {name} ({kind}): kernel {ks}, stride {st}, padding {pd}; "
                               "the contract pools 2x2 windows with stride 2, no padding")
            if pending is not None or not layers or layers[-1][0].kind != "conv2d" or \
                    layers[-1][0].pool:
                raise NIRError(f"node {name} ({kind}): a pool must follow a convolution's "
                               "neuron")
            if cur[1] % 2 or cur[2] % 2:
                raise NIRError(f"node {name} ({kind}): pooling needs an even map, got "
                               f"{cur[1]}x{cur[2]}")
            l, w, b = layers[-1]
            if isinstance(node, nir.SumPool2d):  # sum = 4 averages; ReLU is positive-homogeneous
                w, b = 4 * w, 4 * b
                notes.append(f"{name}: SumPool2d read as 4 x AvgPool2d (folded into the layer)")
            layers[-1] = [ArchLayer(l.kind, l.size, l.kernel, l.stride, l.padding, True), w, b]
            pools.add("max" if (node.metadata or {}).get("pool") == "max" else "avg")
            cur = (cur[0], cur[1] // 2, cur[2] // 2)
        elif isinstance(node, nir.Flatten):
            if pending is not None:
                raise NIRError(f"node {name} (Flatten) between node {pending[0]} and its neuron")
            cur = (math.prod(cur),)
        else:
            raise NIRError(f"node {name} ({kind}): not supported; the contract runs Conv2d, "
                           "Affine/Linear, IF (LIF without leak), 2x2 Avg/SumPool2d, Flatten, "
                           "Scale")
    if pending is not None:
        if pending[1] != "dense":
            raise NIRError(f"node {pending[0]}: the last layer must be a dense classifier "
                           "(Affine/Linear)")
        close(pending[0], np.ones(cur[0]), classifier=True)
    if not layers or layers[-1][0].kind != "classifier":
        raise NIRError("graph: the last layer must be a dense classifier without a spiking "
                       "neuron after it")
    if len(pools) > 1:
        raise NIRError("graph: mixes max and average pools")
    return Foreign([tuple(l) for l in layers], input_shape, pools.pop() if pools else None,
                   notes)


# -- command line ----------------------------------------------------------------------------------

def _cmd_export(args, prog):
    net = network.load(args.net)
    export(net, args.out)
    print(f"{args.out}: {net.name} ({net.coding}, T={net.T}, {len(net.layers)} layers)")


def _cmd_import(args, prog):
    graph = read(args.input)
    if is_exported_here(graph):
        given = [f"--{k.replace('_', '-')}" for k in ("data", "name", *convert.DEFAULTS)
                 if getattr(args, k, None) is not None]
        if given:
            raise NIRError(f"{args.input} was exported by snn-accel and is restored exactly; "
                           f"{', '.join(given)} do not apply")
        net = from_graph(graph)
        network.save(net, args.out)
        print(f"{args.out}: {net.name} restored exactly ({net.coding}, T={net.T})")
        return
    foreign = read_foreign(graph)
    if args.data is None:
        raise NIRError(f"{args.input} is a foreign graph: give --data NAME (the data set of the "
                       "CAT fine-tune)")
    name = args.name or os.path.splitext(os.path.basename(args.out))[0]
    convert.convert(foreign.layers, name=name, dataset=args.data, out=args.out,
                    graph_input_shape=foreign.input_shape, float_pool=foreign.float_pool,
                    source={"format": "nir", "file": os.path.basename(args.input),
                            "notes": foreign.notes},
                    **convert.options(args))


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.nir", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="network file (or shipped name) -> NIR file")
    ex.add_argument("net", help="network file or shipped name (digits, mnist, ...)")
    ex.add_argument("out", help="output .nir file")
    im = sub.add_parser("import", help="NIR file -> network file")
    im.add_argument("input", help="input .nir file")
    im.add_argument("--out", required=True, help="output network file (.json)")
    im.add_argument("--data", help="data set of the CAT fine-tune (foreign graphs)")
    im.add_argument("--name", help="network name (default: the output file's stem)")
    convert.add_options(im)
    for p in (ex, im):  # the subcommands' usage errors are one line too
        p.error = ap.error
    args = ap.parse_args(argv)
    try:
        cli.check_output(args.out)
        (_cmd_export if args.command == "export" else _cmd_import)(args, ap.prog)
    except (NIRError, convert.ConvertError, network.NetworkError, contract.ContractError,
            OSError) as exc:
        return cli.fail(ap.prog, exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
