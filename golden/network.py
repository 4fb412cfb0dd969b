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

Limits (each refusal names the field): ``name`` matches ``NAME_PATTERN`` (tools use it in file
names, so it can never be a path); channels and features up to ``CHANNELS_MAX`` and
``FEATURES_MAX``, map height and width up to ``SIDE_MAX``, at most ``MAP_NEURONS_MAX`` neurons
in any map and ``WEIGHTS_MAX`` weights in any layer; ``bias`` and ``threshold`` entries below
``VALUE_MAX`` in magnitude; a file of at most ``FILE_BYTES_MAX`` bytes of UTF-8 text. Sizes are
checked before anything of that size is built (a weights string's length before it is decoded).
"""

import json
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

from . import contract

__all__ = ["FORMAT", "NetworkError", "Layer", "Network", "load", "loads", "dumps", "save",
           "codes_to_text", "text_to_codes", "build_network", "NAME_PATTERN", "CHANNELS_MAX",
           "FEATURES_MAX", "SIDE_MAX", "MAP_NEURONS_MAX", "WEIGHTS_MAX", "VALUE_MAX",
           "FILE_BYTES_MAX"]

FORMAT = "snn-accel-net/1"
B32 = "0123456789abcdefghijklmnopqrstuv"
#: code of each ASCII character, -1 where it is not a base-32 digit
_B32_TABLE = np.full(128, -1, dtype=np.int64)
_B32_TABLE[[ord(c) for c in B32]] = np.arange(len(B32))
LAYER_TYPES = ("conv2d", "maxpool2d", "avgpool2d", "dense", "classifier")
STRIDES = (1, 2)
KERNEL_MAX = 7
PADDING_MAX = 3
#: the golden model computes 4 * (U << k) in int64
INT64_HEADROOM = 63
#: a network name: tools build file names from it (build/NAME-pP), so no separators, no "..",
#: no leading dot or dash
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
CHANNELS_MAX = 4096
FEATURES_MAX = 65536
SIDE_MAX = 1024
MAP_NEURONS_MAX = 1 << 22
WEIGHTS_MAX = 1 << 24
#: bias and threshold entries; the membrane-width check refuses most values below this already,
#: this bound keeps them in int64 so that the check can run
VALUE_MAX = 1 << 62
#: a file of WEIGHTS_MAX one-character codes, with room for the other layers
FILE_BYTES_MAX = 64 << 20


class NetworkError(ValueError):
    """A malformed or unsupported network file; the message names the field."""


_B32_BYTES = np.frombuffer(B32.encode("ascii"), dtype=np.uint8)


def codes_to_text(codes):
    return _B32_BYTES[np.asarray(codes, dtype=np.int64).ravel()].tobytes().decode("ascii")


def text_to_codes(text, where, shape):
    """The codes of a layer's weights string, of ``shape``; the string's length is checked
    before it is decoded (one character per code)."""
    if not isinstance(text, str):
        raise NetworkError(f"{where}.weights: expected a base-32 string")
    count = math.prod(shape)
    if len(text) != count:
        raise NetworkError(f"{where}.weights: has {len(text)} codes, expected {count} for shape "
                           f"{shape}")
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    codes = _B32_TABLE[np.minimum(points, len(_B32_TABLE) - 1)]
    codes[points >= len(_B32_TABLE)] = -1
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        raise NetworkError(f"{where}.weights: character {text[bad[0]]!r} at {int(bad[0])} is not "
                           "a base-32 digit (0-9a-v)")
    return codes.reshape(shape)


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
    for i, x in enumerate(v):
        if abs(x) >= VALUE_MAX:
            raise NetworkError(f"{where}.{key}[{i}]: {x} is too large (|value| < 2^62; the "
                               "golden model computes in int64)")
    return np.array(v, dtype=np.int64)


def _name(doc):
    name = doc.get("name", "net")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise NetworkError(f"name: {name!r} is not a network name (1 to 64 of A-Z a-z 0-9 _ . -, "
                           "not starting with . or -)")
    return name


def _input_shape(doc):
    shape = doc.get("input_shape")
    if not isinstance(shape, list) or len(shape) != 3:
        raise NetworkError("input_shape: expected [C, H, W] of positive integers")
    for i, (x, most) in enumerate(zip(shape, (CHANNELS_MAX, SIDE_MAX, SIDE_MAX))):
        if isinstance(x, bool) or not isinstance(x, int):
            raise NetworkError(f"input_shape[{i}]: expected a positive integer, got {x!r}")
        if not 1 <= x <= most:
            raise NetworkError(f"input_shape[{i}]: {x} outside 1..{most}")
    _check_map("input_shape", shape)
    return tuple(shape)


def _check_map(where, shape):
    n = math.prod(shape)
    if n > MAP_NEURONS_MAX:
        raise NetworkError(f"{where}: a {'x'.join(map(str, shape))} map has {n} neurons, more "
                           f"than {MAP_NEURONS_MAX}")


def build_network(doc):
    """Validate a parsed network document and return a Network (raises NetworkError)."""
    if not isinstance(doc, dict):
        raise NetworkError("network: expected a JSON object")
    if doc.get("format") != FORMAT:
        raise NetworkError(f"format: expected {FORMAT!r}, got {doc.get('format')!r}")
    name = _name(doc)
    coding = doc.get("coding")
    if coding not in contract.CODINGS:
        raise NetworkError(f"coding: {coding!r} is not one of {', '.join(contract.CODINGS)}")
    rule = doc.get("fire_rule", "round")
    if rule not in contract.FIRE_RULES:
        raise NetworkError(f"fire_rule: {rule!r} is not one of {', '.join(contract.FIRE_RULES)}")
    T = _int(doc, "T", "network", 1, contract.T_MAX)
    shape = _input_shape(doc)
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
            co = _int(raw, "out_channels", where, 1, CHANNELS_MAX)
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
            _check_map(f"{where}.out_channels", out)
            geom = dict(kernel=k, stride=s, padding=p)
        else:
            no = _int(raw, "out_features", where, 1, FEATURES_MAX)
            wshape = (no, math.prod(cur))
            out = (no,)
            geom = {}
        if math.prod(wshape) > WEIGHTS_MAX:
            raise NetworkError(f"{where}: weights of shape {wshape} are {math.prod(wshape)} codes, "
                               f"more than {WEIGHTS_MAX}")
        codes = text_to_codes(raw.get("weights"), where, wshape)
        try:
            contract.validate_codes(codes, f"{where}.weights code")
        except contract.ContractError as exc:
            raise NetworkError(str(exc)) from None
        bias = _int_list(raw, "bias", where, out[0])
        threshold = None
        if kind != "classifier":
            threshold = _int_list(raw, "threshold", where, out[0])
            if (threshold <= 0).any():
                raise NetworkError(f"{where}.threshold: must be positive")
            if coding == "rate" and (threshold % 2).any():
                odd = int(threshold[threshold % 2 == 1][0])
                raise NetworkError(f"{where}.threshold: odd value {odd} in rate coding "
                                   "(Theta/2 must be exact)")
        elif "threshold" in raw:
            raise NetworkError(f"{where}.threshold: the classifier does not fire")
        in_shape = tuple(cur) if kind == "conv2d" else (math.prod(cur),)
        layer = Layer(index=len(layers), kind=kind, in_shape=in_shape, out_shape=out,
                      weights=codes, bias=bias, threshold=threshold,
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
    return Network(name=name, input_shape=shape, coding=coding, fire_rule=rule, T=T, F=F,
                   layers=tuple(layers), membrane_bits=declared or need, meta=meta)


def _replace(layer, **kw):
    d = {f: getattr(layer, f) for f in layer.__dataclass_fields__}
    d.update(kw)
    return Layer(**d)


def loads(text):
    """A Network from the text of a network file (``str``, at most FILE_BYTES_MAX characters)."""
    if len(text) > FILE_BYTES_MAX:
        raise NetworkError(f"network file has {len(text)} characters, more than the "
                           f"{FILE_BYTES_MAX} allowed")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetworkError(f"network file is not valid JSON: {exc.msg} at line {exc.lineno}") \
            from None
    except RecursionError:
        raise NetworkError("network file is not a network: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise NetworkError(f"network file is not valid JSON: {str(exc).split(':')[0]}") from None
    return build_network(doc)


def load(path):
    """Load a network file; ``path`` may also name a shipped network (``digits``, ``mnist``)."""
    from .nets import resolve
    path = resolve(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > FILE_BYTES_MAX:
                raise NetworkError(f"network file {path} is {size} bytes, more than the "
                                   f"{FILE_BYTES_MAX} allowed")
            raw = f.read(FILE_BYTES_MAX + 1)
    except OSError as exc:
        raise NetworkError(f"cannot read network file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NetworkError(f"network file {path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                           f"at offset {exc.start})") from None
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
