"""Network file format (JSON) and its validating loader.

A network file describes a CAT/QCFS-converted network in the integers of the numeric contract::

    {
      "format": "snn-accel-net/1",
      "name": "digits",
      "input_shape": [1, 8, 8],              # C, H, W of the uint8 image
      "coding": "ttfs",                      # "ttfs" (CAT) or "rate" (QCFS)
      "fire_rule": "round",                  # "round" or "floor" (TTFS only)
      "T": 8,                                # time steps
      "F": 21,                               # fraction bits, >= contract.min_frac_bits
      "membrane_bits": 32,                   # optional: declared membrane width, checked
      "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel": 3, "stride": 1, "padding": 1,
         "weights": "<base-32 string>", "bias": [...], "threshold": [...]},
        {"type": "maxpool2d"},               # 2x2, stride 2; "avgpool2d" in rate coding
        {"type": "dense", "out_features": 32, "weights": "...", "bias": [...], "threshold": [...]},
        {"type": "classifier", "out_features": 10, "weights": "...", "bias": [...]}
      ],
      "meta": {...}                          # free-form: training record, accuracies
    }

``weights`` holds one 5-bit code per character in base 32 (``0-9a-v``), in row-major order of
``(out_channels, in_channels, kernel, kernel)`` for conv2d and ``(out_features, in_features)`` for
dense layers (inputs flattened in C, H, W order). ``bias`` (B_int) and ``threshold`` (Theta_int)
are integers per output channel. The classifier is the last layer and has no threshold.

Grammar: ``(conv2d pool?)* (dense)* classifier``; a pool follows a conv2d; pooled maps have even
height and width. Conv strides are 1 or 2.
"""

import json
from dataclasses import dataclass, field

import numpy as np

from . import contract

__all__ = ["FORMAT", "NetworkError", "Layer", "Network", "load", "loads", "dumps", "save",
           "codes_to_text", "text_to_codes", "build_network"]

FORMAT = "snn-accel-net/1"
B32 = "0123456789abcdefghijklmnopqrstuv"
_B32_INDEX = {c: i for i, c in enumerate(B32)}
LAYER_TYPES = ("conv2d", "maxpool2d", "avgpool2d", "dense", "classifier")
STRIDES = (1, 2)
KERNEL_MAX = 7
PADDING_MAX = 3
#: the golden model computes 4 * (U << k) in int64
INT64_HEADROOM = 63


class NetworkError(ValueError):
    """A malformed or unsupported network file; the message names the field."""


_B32_BYTES = np.frombuffer(B32.encode("ascii"), dtype=np.uint8)
#: byte -> code, -1 for a byte that is not a base-32 digit
_B32_LOOKUP = np.full(256, -1, dtype=np.int64)
_B32_LOOKUP[_B32_BYTES] = np.arange(32)


def codes_to_text(codes):
    return _B32_BYTES[np.asarray(codes, dtype=np.int64).ravel()].tobytes().decode("ascii")


def text_to_codes(text, where):
    if not isinstance(text, str):
        raise NetworkError(f"{where}.weights: expected a base-32 string")
    codes = _B32_LOOKUP[np.frombuffer(text.encode("utf-8"), dtype=np.uint8)]
    if len(codes) != len(text) or (codes < 0).any():  # name the first bad character
        bad = next(c for c in text if c not in _B32_INDEX)
        raise NetworkError(f"{where}.weights: character {bad!r} is not a base-32 digit "
                           "(0-9a-v)")
    return codes


@dataclass(frozen=True, eq=False)
class Layer:
    """A compute layer (conv2d, dense or classifier) with the pooling that follows it folded in.

    ``in_shape``/``out_shape`` are (C, H, W) for conv2d (``out_shape`` before pooling) and (N,)
    for dense layers. ``pooled_shape`` is the shape after the following pool (or ``out_shape``).
    ``pool_shift`` is 2 when the layer reads an average-pooled map (rate coding), else 0.
    """
    index: int
    kind: str
    in_shape: tuple
    out_shape: tuple
    weights: np.ndarray          # int64 codes, (Co, Ci, K, K) or (No, Ni)
    bias: np.ndarray             # int64, per output channel
    threshold: np.ndarray = None  # int64, per output channel; None for the classifier
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    pool: bool = False
    pool_shift: int = 0
    pool_input: bool = False     # reads a pooled map (pool_shift tells the coding)
    membrane_bits: int = 0
    pooled_shape: tuple = ()
    in_map: tuple = ()           # (C, H, W) of the map the layer reads, before any flattening

    @property
    def out_channels(self):
        return self.out_shape[0]

    @property
    def fan_in(self):
        if self.kind == "conv2d":
            return self.in_shape[0] * self.kernel * self.kernel
        return self.in_shape[0]

    @property
    def neurons(self):
        return int(np.prod(self.out_shape))

    @property
    def positions(self):
        """Output positions per channel (H*W for conv, 1 for dense)."""
        return self.neurons // self.out_channels

    @property
    def fires(self):
        return self.kind != "classifier"


@dataclass(frozen=True, eq=False)
class Network:
    name: str
    input_shape: tuple
    coding: str
    fire_rule: str
    T: int
    F: int
    layers: tuple
    membrane_bits: int
    meta: dict = field(default_factory=dict)

    @property
    def classes(self):
        return self.layers[-1].out_shape[0]

    @property
    def input_neurons(self):
        return int(np.prod(self.input_shape))


def _int(obj, key, where, lo=None, hi=None, default=None):
    if key not in obj:
        if default is not None:
            return default
        raise NetworkError(f"{where}.{key}: missing")
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise NetworkError(f"{where}.{key}: expected an integer, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise NetworkError(f"{where}.{key}: {v} outside {lo}..{hi}")
    return v


def _int_list(obj, key, where, length):
    v = obj.get(key)
    if not isinstance(v, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                          for x in v):
        raise NetworkError(f"{where}.{key}: expected a list of integers")
    if len(v) != length:
        raise NetworkError(f"{where}.{key}: has {len(v)} entries, expected {length} "
                           "(one per output channel)")
    return np.array(v, dtype=np.int64)


def build_network(doc):
    """Validate a parsed network document and return a Network (raises NetworkError)."""
    if not isinstance(doc, dict):
        raise NetworkError("network: expected a JSON object")
    if doc.get("format") != FORMAT:
        raise NetworkError(f"format: expected {FORMAT!r}, got {doc.get('format')!r}")
    name = doc.get("name", "net")
    coding = doc.get("coding")
    if coding not in contract.CODINGS:
        raise NetworkError(f"coding: {coding!r} is not one of {', '.join(contract.CODINGS)}")
    rule = doc.get("fire_rule", "round")
    if rule not in contract.FIRE_RULES:
        raise NetworkError(f"fire_rule: {rule!r} is not one of {', '.join(contract.FIRE_RULES)}")
    T = _int(doc, "T", "network", 1, contract.T_MAX)
    shape = doc.get("input_shape")
    if (not isinstance(shape, list) or len(shape) != 3
            or not all(isinstance(x, int) and x > 0 for x in shape)):
        raise NetworkError("input_shape: expected [C, H, W] of positive integers")
    raw_layers = doc.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise NetworkError("layers: expected a non-empty list")

    pooled_input_any = any(isinstance(l, dict) and l.get("type") == "avgpool2d"
                           for l in raw_layers)
    f_min = contract.min_frac_bits(coding, T, pooled_input_any)
    F = _int(doc, "F", "network", f_min, 48)

    layers = []
    cur = tuple(shape)
    pool_shift_next = 0
    pool_input_next = False
    for i, raw in enumerate(raw_layers):
        where = f"layers[{i}]"
        if not isinstance(raw, dict):
            raise NetworkError(f"{where}: expected an object")
        kind = raw.get("type")
        if kind not in LAYER_TYPES:
            raise NetworkError(f"{where}.type: unknown layer {kind!r} "
                               f"(supported: {', '.join(LAYER_TYPES)})")
        if kind in ("maxpool2d", "avgpool2d"):
            want = "maxpool2d" if coding == "ttfs" else "avgpool2d"
            if kind != want:
                raise NetworkError(f"{where}.type: {kind} is not exact in {coding} coding; "
                                   f"use {want}")
            if not layers or layers[-1].kind != "conv2d" or layers[-1].pool:
                raise NetworkError(f"{where}: a pool must follow a conv2d layer")
            if _int(raw, "size", where, 2, 2, default=2) != 2:
                raise NetworkError(f"{where}.size: only 2x2 pooling is supported")
            c, h, w = cur
            if h % 2 or w % 2:
                raise NetworkError(f"{where}: pooling needs an even height and width, "
                                   f"got {h}x{w}")
            cur = (c, h // 2, w // 2)
            prev = layers[-1]
            layers[-1] = _replace(prev, pool=True, pooled_shape=cur)
            pool_input_next = True
            pool_shift_next = 2 if coding == "rate" else 0
            continue
        if layers and layers[-1].kind == "classifier":
            raise NetworkError(f"{where}: the classifier must be the last layer")
        if kind == "conv2d":
            if len(cur) != 3:
                raise NetworkError(f"{where}: conv2d after a dense layer")
            co = _int(raw, "out_channels", where, 1, 4096)
            k = _int(raw, "kernel", where, 1, KERNEL_MAX)
            s = _int(raw, "stride", where, 1, 2, default=1)
            p = _int(raw, "padding", where, 0, PADDING_MAX, default=0)
            if p >= k:
                raise NetworkError(f"{where}.padding: {p} must be smaller than the kernel {k}")
            c, h, w = cur
            ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            if ho < 1 or wo < 1:
                raise NetworkError(f"{where}: kernel {k} does not fit the {h}x{w} input")
            wshape = (co, c, k, k)
            out = (co, ho, wo)
            geom = dict(kernel=k, stride=s, padding=p)
        else:
            key = "out_features"
            no = _int(raw, key, where, 1, 65536)
            ni = int(np.prod(cur))
            wshape = (no, ni)
            out = (no,)
            geom = {}
        codes = text_to_codes(raw.get("weights"), where)
        if codes.size != int(np.prod(wshape)):
            raise NetworkError(f"{where}.weights: has {codes.size} codes, expected "
                               f"{int(np.prod(wshape))} for shape {wshape}")
        try:
            contract.validate_codes(codes.reshape(wshape), f"{where}.weights code")
        except contract.ContractError as exc:
            raise NetworkError(str(exc)) from None
        bias = _int_list(raw, "bias", where, out[0])
        threshold = None
        if kind != "classifier":
            threshold = _int_list(raw, "threshold", where, out[0])
            if (threshold <= 0).any():
                raise NetworkError(f"{where}.threshold: must be positive")
            if coding == "rate" and (threshold % 2).any():
                raise NetworkError(f"{where}.threshold: odd value {int(threshold[threshold % 2 == 1][0])}"
                                   " in rate coding (Theta/2 must be exact)")
        elif "threshold" in raw:
            raise NetworkError(f"{where}.threshold: the classifier does not fire")
        in_shape = tuple(cur) if kind == "conv2d" else (int(np.prod(cur)),)
        layer = Layer(index=len(layers), kind=kind, in_shape=in_shape, out_shape=out,
                      weights=codes.reshape(wshape), bias=bias, threshold=threshold,
                      pool_shift=pool_shift_next, pool_input=pool_input_next,
                      pooled_shape=out, in_map=tuple(cur), **geom)
        bound = contract.membrane_bound(layer.fan_in, F, int(np.abs(bias).max()),
                                        0 if threshold is None else int(threshold.max()), T,
                                        coding)
        bits = contract.signed_width(bound)
        if bits + (T - 1) + 2 > INT64_HEADROOM:
            raise NetworkError(f"{where}: membrane needs {bits} bits; with the fire comparison "
                               f"(+{T + 1}) it exceeds 63 bits")
        layers.append(_replace(layer, membrane_bits=bits))
        cur = out
        pool_shift_next = 0
        pool_input_next = False
    if layers[-1].kind != "classifier":
        raise NetworkError("layers: the last layer must be a classifier")
    need = max(l.membrane_bits for l in layers)
    declared = doc.get("membrane_bits")
    if declared is not None:
        declared = _int(doc, "membrane_bits", "network", 2, 64)
        if declared < need:
            raise NetworkError(f"membrane_bits: {declared} is too narrow, the worst case needs "
                               f"{need} bits")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise NetworkError("meta: expected an object")
    return Network(name=name, input_shape=tuple(shape), coding=coding, fire_rule=rule, T=T, F=F,
                   layers=tuple(layers), membrane_bits=declared or need, meta=meta)


def _replace(layer, **kw):
    d = {f: getattr(layer, f) for f in layer.__dataclass_fields__}
    d.update(kw)
    return Layer(**d)


def loads(text):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetworkError(f"network file is not valid JSON: {exc.msg} at line {exc.lineno}") \
            from None
    return build_network(doc)


def load(path):
    """Load a network file; ``path`` may also name a shipped network (``digits``, ``mnist``)."""
    from .nets import resolve
    path = resolve(path)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as exc:
        raise NetworkError(f"cannot read network file {path}: {exc.strerror}") from None
    return loads(text)


def to_doc(net):
    layers = []
    for l in net.layers:
        d = {"type": l.kind}
        if l.kind == "conv2d":
            d.update(out_channels=l.out_channels, kernel=l.kernel, stride=l.stride,
                     padding=l.padding)
        else:
            d["out_features"] = l.out_shape[0]
        d["weights"] = codes_to_text(l.weights)
        d["bias"] = [int(x) for x in l.bias]
        if l.threshold is not None:
            d["threshold"] = [int(x) for x in l.threshold]
        layers.append(d)
        if l.pool:
            layers.append({"type": "maxpool2d" if net.coding == "ttfs" else "avgpool2d"})
    return {"format": FORMAT, "name": net.name, "input_shape": list(net.input_shape),
            "coding": net.coding, "fire_rule": net.fire_rule, "T": net.T, "F": net.F,
            "membrane_bits": net.membrane_bits, "layers": layers, "meta": net.meta}


def dumps(net):
    return json.dumps(to_doc(net), indent=1) + "\n"


def save(net, path):
    """Write atomically: a bad network never leaves a partial file."""
    from .files import atomic_write
    text = dumps(net)
    build_network(json.loads(text))  # refuse to write what we could not load back
    atomic_write(path, text)
