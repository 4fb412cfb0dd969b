"""Network images: the bytes a processor reads from external memory (writer, reader, bytes model).

An image holds one network laid out for one capacity (``golden.capacity``): its weight rows are
P lanes wide and its weight and parameter blocks are cut into the capacity's passes. This
docstring is the byte layout (docs/PROCESSOR.md section 3 repeats it).

Little-endian throughout. Every section and every pass block starts at a multiple of
``ALIGN`` = 64 bytes (the widest AXI beat), so with ``IMAGE_BASE`` aligned to 64 the memory
master only issues aligned reads; padding bytes are zero::

    offset 0      header        64 bytes (HEADER_FIELDS, the rest zero)
    offset 64     descriptors   L * 64 bytes, one per compute layer (DESCRIPTOR_FIELDS, rest zero)
    then, per layer l, per pass j:   params block (aligned), weights block (aligned)

Header and descriptor fields are unsigned little-endian integers of the sizes in
``HEADER_FIELDS`` and ``DESCRIPTOR_FIELDS``, in that order from byte 0 (``magic`` is the u32
0x494E4E53, the bytes ``b"SNNI"``). These two tables are the only statement of the field lists:
the writer, the reader and the RTL's descriptor layout are built from them (``field_offsets``).

Header: ``magic``, ``version`` = 1, ``header_bytes`` = 64, ``cores`` (P the image is laid out
for), ``layers`` (L), ``classes``, ``in_c``, ``in_h``, ``in_w``, ``T``, ``F``, ``fire_rule``
(0 round, 1 floor), ``coding`` (0 ttfs, 1 rate), ``membrane_bits`` (the network's need),
``reserved``, ``image_bytes`` (the total, a multiple of 64), ``descriptor_offset`` = 64.

Descriptor of layer l: ``kind`` (0 conv, 1 dense, 2 classifier: ``KINDS``, as ``rtl.config``'s
``KIND_*``), ``kernel``, ``stride``, ``padding``, ``pool`` (1: a 2x2 max pool follows),
``in_c``, ``in_h``, ``in_w`` (the map read; a dense layer's before flattening, (N, 1, 1) after
a dense layer), ``out_c``, ``out_h``, ``out_w`` (before pooling; 1 for dense), ``groups``
(G = ceil(out_c / P)), ``groups_per_pass`` (gpp), ``passes``, ``fan_in``, ``positions``
(out_h * out_w), ``params_offset`` (of pass 0's params block, from the image base),
``params_stride`` (from one pass's params block to the next), ``weights_offset``,
``weights_stride``. Pass j's blocks are at ``params_offset + j * params_stride`` and
``weights_offset + j * weights_stride``; it has ``gip = min(gpp, G - j * gpp)`` groups.

Params block of a pass: ``gip * P`` entries of 8 bytes (``PARAM_ENTRY_BYTES``), entry
``g * P + lane`` (g within the pass) for output channel ``(first_group + g) * P + lane``: bias
i32, threshold u32. Lanes past ``out_c``: bias 0, threshold 1; the classifier: threshold 1.

Weights block of a pass: ``gip * fan_in`` rows in order (g within the pass, then the fan-in
index ``i`` = ``(c * K + ky) * K + kx`` of a conv, the flattened input neuron of a dense
layer); a row holds the P lanes' 5-bit codes, lane 0 in the least significant bits, packed into
``row_bytes = ceil(5 * P / 8)`` bytes (P = 4: 20 bits in 3 bytes, the high bits zero). Lanes
past ``out_c`` hold the zero code.

Bytes read per inference (``read_requests``, ``bytes_read``): the processor reads the header,
the input pixels (``in_c * in_h * in_w`` bytes in C, H, W order from ``INPUT_BASE``, which must
be aligned to the beat), then per layer its descriptor and per pass its params and weights
blocks; a request of n bytes costs ``ceil(n / beat) * beat`` bytes.
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import contract
from .capacity import CORES_MAX, DoesNotFit, check_fits, plan
from .network import FORMAT, NetworkError, build_network, codes_to_text

__all__ = ["MAGIC", "MAGIC_VALUE", "VERSION", "ALIGN", "HEADER_BYTES", "DESCRIPTOR_BYTES",
           "PARAM_ENTRY_BYTES", "HEADER_FIELDS", "DESCRIPTOR_FIELDS", "KINDS", "FIRE_RULE_CODES",
           "CODING_CODES", "ImageError", "NetworkImage", "LayerImage", "ReadRequest",
           "field_offsets", "write_image", "read_image", "image_network", "descriptors",
           "read_requests", "bytes_read", "request_bytes", "pack_rows", "unpack_rows"]

MAGIC = b"SNNI"
MAGIC_VALUE = int.from_bytes(MAGIC, "little")
VERSION = 1
ALIGN = 64
HEADER_BYTES = 64
DESCRIPTOR_BYTES = 64
PARAM_ENTRY_BYTES = 8

#: (name, bytes) of the header's fields from byte 0; the rest of its 64 bytes is zero
HEADER_FIELDS = (
    ("magic", 4), ("version", 2), ("header_bytes", 2), ("cores", 2), ("layers", 2),
    ("classes", 2), ("in_c", 2), ("in_h", 2), ("in_w", 2), ("T", 1), ("F", 1),
    ("fire_rule", 1), ("coding", 1), ("membrane_bits", 1), ("reserved", 1),
    ("image_bytes", 4), ("descriptor_offset", 4),
)
#: (name, bytes) of a layer descriptor's fields from byte 0; the rest of its 64 bytes is zero
DESCRIPTOR_FIELDS = (
    ("kind", 1), ("kernel", 1), ("stride", 1), ("padding", 1), ("pool", 1), ("reserved0", 3),
    ("in_c", 2), ("in_h", 2), ("in_w", 2), ("out_c", 2), ("out_h", 2), ("out_w", 2),
    ("groups", 2), ("groups_per_pass", 2), ("passes", 2), ("reserved1", 2),
    ("fan_in", 4), ("positions", 4), ("params_offset", 4), ("params_stride", 4),
    ("weights_offset", 4), ("weights_stride", 4),
)
#: layer kind codes of the descriptor (rtl.config.KIND_CONV, KIND_DENSE, KIND_CLASSIFIER)
KINDS = {"conv2d": 0, "dense": 1, "classifier": 2}
FIRE_RULE_CODES = {rule: i for i, rule in enumerate(contract.FIRE_RULES)}   # round 0, floor 1
CODING_CODES = {coding: i for i, coding in enumerate(contract.CODINGS)}     # ttfs 0, rate 1


class ImageError(ValueError):
    """A malformed network image (one line naming what is wrong and where)."""


def field_offsets(table):
    """{name: (byte offset, bytes)} of a field table (``HEADER_FIELDS``, ``DESCRIPTOR_FIELDS``)."""
    out, at = {}, 0
    for name, size in table:
        out[name] = (at, size)
        at += size
    return out


def _table_bytes(table):
    return sum(size for _, size in table)


assert _table_bytes(HEADER_FIELDS) <= HEADER_BYTES
assert _table_bytes(DESCRIPTOR_FIELDS) <= DESCRIPTOR_BYTES


def _pack_fields(table, values, total):
    out = bytearray(total)
    for name, (at, size) in field_offsets(table).items():
        v = values.get(name, 0)
        if not 0 <= v < 1 << (8 * size):
            raise ImageError(f"{name} = {v} does not fit its {size}-byte field")
        out[at:at + size] = int(v).to_bytes(size, "little")
    return bytes(out)


def _unpack_fields(table, data):
    return {name: int.from_bytes(data[at:at + size], "little")
            for name, (at, size) in field_offsets(table).items()}


def _align(n):
    return -(-n // ALIGN) * ALIGN


# -- weight rows --------------------------------------------------------------------------------

def _row_bytes(cores):
    return -(-contract.CODE_BITS * cores // 8)


def pack_rows(codes):
    """Pack codes of shape (..., P) into weight rows of shape (..., ceil(5P / 8)) uint8: lane 0
    in the least significant bits of byte 0, the high bits of the last byte zero."""
    codes = np.asarray(codes, dtype=np.uint8)
    P = codes.shape[-1]
    bits = (codes[..., None] >> np.arange(contract.CODE_BITS, dtype=np.uint8)) & 1
    bits = bits.reshape(codes.shape[:-1] + (contract.CODE_BITS * P,))
    return np.packbits(bits, axis=-1, bitorder="little")


def unpack_rows(rows, cores):
    """Inverse of ``pack_rows``: rows (..., ceil(5P / 8)) uint8 -> codes (..., P) int64."""
    bits = np.unpackbits(np.asarray(rows, dtype=np.uint8), axis=-1, bitorder="little")
    bits = bits[..., :contract.CODE_BITS * cores]
    bits = bits.reshape(bits.shape[:-1] + (cores, contract.CODE_BITS)).astype(np.int64)
    return (bits << np.arange(contract.CODE_BITS)).sum(axis=-1)


# -- layout -------------------------------------------------------------------------------------

def _block_bytes(cores, fan_in, groups):
    """(params bytes, weights bytes) of a pass of ``groups`` groups, before alignment."""
    return groups * cores * PARAM_ENTRY_BYTES, groups * fan_in * _row_bytes(cores)


def _in_map(layer):
    m = layer.in_map
    return m if len(m) == 3 else (m[0], 1, 1)


def descriptors(network, capacity):
    """(descriptor values per layer, image bytes) of ``network``'s image on ``capacity``
    (``DoesNotFit`` when it does not fit)."""
    P = capacity.cores
    at = HEADER_BYTES + max(1, len(network.layers)) * DESCRIPTOR_BYTES
    out = []
    for layer, lp in zip(network.layers, plan(network, capacity)):
        c, h, w = _in_map(layer)
        conv = layer.kind == "conv2d"
        full_params, full_weights = _block_bytes(P, lp.fan_in, lp.groups_per_pass)
        stride = _align(full_params) + _align(full_weights)
        _, last_weights = _block_bytes(P, lp.fan_in, lp.groups_in_pass(lp.passes - 1))
        d = {"kind": KINDS[layer.kind], "kernel": layer.kernel, "stride": layer.stride,
             "padding": layer.padding, "pool": int(layer.pool), "in_c": c, "in_h": h, "in_w": w,
             "out_c": layer.out_channels, "out_h": layer.out_shape[1] if conv else 1,
             "out_w": layer.out_shape[2] if conv else 1, "groups": lp.groups,
             "groups_per_pass": lp.groups_per_pass, "passes": lp.passes, "fan_in": lp.fan_in,
             "positions": lp.positions, "params_offset": at, "params_stride": stride,
             "weights_offset": at + _align(full_params), "weights_stride": stride}
        out.append(d)
        # the last pass's weights block sits where a full pass's would (weights_offset +
        # j * weights_stride), after its params block and the padding of a full one
        at = d["weights_offset"] + (lp.passes - 1) * stride + _align(last_weights)
    return tuple(out), at


def _header(network, capacity, layers, image_bytes):
    c, h, w = network.input_shape
    return {"magic": MAGIC_VALUE, "version": VERSION, "header_bytes": HEADER_BYTES,
            "cores": capacity.cores, "layers": layers, "classes": network.classes,
            "in_c": c, "in_h": h, "in_w": w, "T": network.T, "F": network.F,
            "fire_rule": FIRE_RULE_CODES[network.fire_rule],
            "coding": CODING_CODES[network.coding], "membrane_bits": network.membrane_bits,
            "image_bytes": image_bytes, "descriptor_offset": HEADER_BYTES}


def _lanes(values, groups, cores, fill):
    """Per-channel values padded with ``fill`` to groups * P lanes."""
    out = np.full(groups * cores, fill, dtype=np.int64)
    out[:len(values)] = values
    return out


def write_image(network, capacity):
    """The image of ``network`` for ``capacity`` (bytes); ``DoesNotFit`` if it does not fit."""
    check_fits(network, capacity)
    P = capacity.cores
    descs, image_bytes = descriptors(network, capacity)
    if image_bytes >= 1 << 32:
        raise DoesNotFit(f"{network.name} does not fit {capacity.name}: its image of "
                         f"{image_bytes} bytes exceeds the image's 32-bit offsets")
    buf = np.zeros(image_bytes, dtype=np.uint8)
    buf[:HEADER_BYTES] = np.frombuffer(
        _pack_fields(HEADER_FIELDS, _header(network, capacity, len(descs), image_bytes),
                     HEADER_BYTES), dtype=np.uint8)
    for l, (layer, d) in enumerate(zip(network.layers, descs)):
        at = HEADER_BYTES + l * DESCRIPTOR_BYTES
        buf[at:at + DESCRIPTOR_BYTES] = np.frombuffer(
            _pack_fields(DESCRIPTOR_FIELDS, d, DESCRIPTOR_BYTES), dtype=np.uint8)
        G, fan_in = d["groups"], d["fan_in"]
        params = np.zeros(G * P, dtype=[("bias", "<i4"), ("threshold", "<u4")])
        params["bias"] = _lanes(layer.bias, G, P, 0)
        params["threshold"] = (1 if layer.threshold is None
                               else _lanes(layer.threshold, G, P, 1))
        codes = np.full((G * P, fan_in), contract.ZERO_CODE, dtype=np.uint8)
        codes[:layer.out_channels] = layer.weights.reshape(layer.out_channels, fan_in)
        rows = pack_rows(codes.reshape(G, P, fan_in).transpose(0, 2, 1))  # (G, fan_in, bytes)
        params = params.view(np.uint8).reshape(G, P * PARAM_ENTRY_BYTES)
        gpp = d["groups_per_pass"]
        for j in range(d["passes"]):
            g0, g1 = j * gpp, min(G, (j + 1) * gpp)
            block = params[g0:g1].reshape(-1)
            at = d["params_offset"] + j * d["params_stride"]
            buf[at:at + block.size] = block
            block = rows[g0:g1].reshape(-1)
            at = d["weights_offset"] + j * d["weights_stride"]
            buf[at:at + block.size] = block
    return buf.tobytes()


# -- reader -------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class LayerImage:
    """One compute layer read from an image: its descriptor and its parameters per lane
    (``groups * P`` entries, output channel ``g * P + lane``; lanes past ``out_c`` included)."""
    descriptor: dict
    bias: np.ndarray        # int64 (G * P,)
    threshold: np.ndarray   # int64 (G * P,)
    weights: np.ndarray     # int64 codes (G * P, fan_in), fan-in in (c, ky, kx) order


@dataclass(frozen=True, eq=False)
class NetworkImage:
    header: dict            # HEADER_FIELDS values
    layers: tuple           # LayerImage per compute layer


def _expect(cond, message):
    if not cond:
        raise ImageError(message)


_KIND_NAMES = {v: k for k, v in KINDS.items()}


def _check_descriptor(l, d, P, prev, start, image_bytes):
    """Geometry and layout of descriptor ``l`` (from 0): ``prev`` is the (C, H, W) map it
    reads, ``start`` the end of what lies before its blocks. Returns (the map it writes or
    None for the classifier, the end of its blocks)."""
    where = f"descriptor {l + 1}"
    _expect(d["kind"] in _KIND_NAMES, f"{where}: kind {d['kind']} is not one of 0 conv, 1 "
            "dense, 2 classifier")
    conv = d["kind"] == KINDS["conv2d"]
    _expect((d["in_c"], d["in_h"], d["in_w"]) == prev,
            f"{where}: reads a {d['in_c']}x{d['in_h']}x{d['in_w']} map, the map before it is "
            f"{'x'.join(map(str, prev))}")
    _expect(d["out_c"] >= 1, f"{where}: out_c is 0")
    if conv:
        k, s, p = d["kernel"], d["stride"], d["padding"]
        _expect(1 <= k <= 7 and s in (1, 2) and p < k,
                f"{where}: kernel {k}, stride {s}, padding {p} is not a conv geometry")
        oh = (d["in_h"] + 2 * p - k) // s + 1
        ow = (d["in_w"] + 2 * p - k) // s + 1
        _expect((d["out_h"], d["out_w"]) == (oh, ow),
                f"{where}: out map {d['out_h']}x{d['out_w']}, the geometry gives {oh}x{ow}")
        fan_in = d["in_c"] * k * k
    else:
        _expect((d["kernel"], d["stride"], d["padding"], d["pool"], d["out_h"], d["out_w"])
                == (1, 1, 0, 0, 1, 1), f"{where}: a {_KIND_NAMES[d['kind']]} layer has kernel 1, "
                "stride 1, padding 0, no pool and a 1x1 output")
        fan_in = d["in_c"] * d["in_h"] * d["in_w"]
    _expect(d["fan_in"] == fan_in, f"{where}: fan_in {d['fan_in']}, the geometry gives {fan_in}")
    _expect(d["positions"] == d["out_h"] * d["out_w"],
            f"{where}: positions {d['positions']} != {d['out_h']}x{d['out_w']}")
    _expect(d["pool"] in (0, 1) and not (d["pool"] and (d["out_h"] % 2 or d["out_w"] % 2)),
            f"{where}: pool {d['pool']} on a {d['out_h']}x{d['out_w']} map")
    G = -(-d["out_c"] // P)
    _expect(d["groups"] == G, f"{where}: groups {d['groups']}, ceil({d['out_c']} / {P}) = {G}")
    gpp = d["groups_per_pass"]
    _expect(1 <= gpp <= G, f"{where}: groups_per_pass {gpp} outside 1..{G}")
    _expect(d["passes"] == -(-G // gpp),
            f"{where}: passes {d['passes']}, ceil({G} / {gpp}) = {-(-G // gpp)}")
    for name in ("params_offset", "weights_offset", "params_stride", "weights_stride"):
        _expect(d[name] % ALIGN == 0, f"{where}: {name} {d[name]} is not a multiple of {ALIGN}")
    for j in range(d["passes"]):
        sizes = _block_bytes(P, fan_in, min(gpp, G - j * gpp))
        for name, size in zip(("params", "weights"), sizes):
            at = d[f"{name}_offset"] + j * d[f"{name}_stride"]
            _expect(at >= start, f"{where}: pass {j} {name} block at byte {at} overlaps what "
                    f"comes before it (which ends at byte {start})")
            start = at + size
            _expect(start <= image_bytes, f"{where}: pass {j} {name} block at {at}..{start} "
                    f"ends past the image ({image_bytes} bytes)")
    if d["kind"] == KINDS["classifier"]:
        return None, start
    if conv:
        div = 2 if d["pool"] else 1
        return (d["out_c"], d["out_h"] // div, d["out_w"] // div), start
    return (d["out_c"], 1, 1), start


def read_image(data):
    """Parse an image (bytes-like) into a ``NetworkImage``; ``ImageError`` (one line) when it is
    malformed. Checks the header, every descriptor's geometry against the map before it and
    its pass plan, that every block lies inside the image, and the per-lane contents (valid
    codes; lanes past ``out_c``: zero code, bias 0, threshold 1; classifier thresholds 1)."""
    data = memoryview(bytes(data))
    n = len(data)
    _expect(n >= HEADER_BYTES, f"image is {n} bytes, shorter than its {HEADER_BYTES}-byte header")
    h = _unpack_fields(HEADER_FIELDS, data[:HEADER_BYTES])
    _expect(h["magic"] == MAGIC_VALUE, f"bad magic {bytes(data[:4])!r} (expected {MAGIC!r}): "
            "not a network image")
    _expect(h["version"] == VERSION, f"image version {h['version']}, this reader knows "
            f"{VERSION}")
    _expect(h["header_bytes"] == HEADER_BYTES and h["descriptor_offset"] == HEADER_BYTES,
            f"header_bytes {h['header_bytes']} / descriptor_offset {h['descriptor_offset']}, "
            f"expected {HEADER_BYTES}")
    _expect(h["image_bytes"] <= n, f"image truncated: {n} bytes, the header says "
            f"{h['image_bytes']}")
    _expect(h["image_bytes"] == n, f"image is {n} bytes, the header says {h['image_bytes']}")
    _expect(n % ALIGN == 0, f"image of {n} bytes is not a whole number of {ALIGN}-byte units")
    P, L = h["cores"], h["layers"]
    _expect(1 <= P <= CORES_MAX, f"cores {P} outside 1..{CORES_MAX}")
    _expect(L >= 1, "image has no layers")
    _expect(HEADER_BYTES + L * DESCRIPTOR_BYTES <= n,
            f"{L} descriptors end at byte {HEADER_BYTES + L * DESCRIPTOR_BYTES}, past the end "
            f"of the image ({n} bytes)")
    _expect(1 <= h["T"] <= contract.T_MAX, f"T {h['T']} outside 1..{contract.T_MAX}")
    _expect(h["fire_rule"] < len(contract.FIRE_RULES), f"fire_rule code {h['fire_rule']} is not "
            "0 round or 1 floor")
    _expect(h["coding"] < len(contract.CODINGS), f"coding code {h['coding']} is not 0 ttfs or "
            "1 rate")
    _expect(min(h["in_c"], h["in_h"], h["in_w"]) >= 1,
            f"input map {h['in_c']}x{h['in_h']}x{h['in_w']} is empty")
    prev = (h["in_c"], h["in_h"], h["in_w"])
    end = HEADER_BYTES + L * DESCRIPTOR_BYTES
    rb = _row_bytes(P)
    layers = []
    for l in range(L):
        at = HEADER_BYTES + l * DESCRIPTOR_BYTES
        d = _unpack_fields(DESCRIPTOR_FIELDS, data[at:at + DESCRIPTOR_BYTES])
        where = f"descriptor {l + 1}"
        _expect(prev is not None, f"{where}: follows the classifier")
        prev, end = _check_descriptor(l, d, P, prev, end, n)
        G, gpp, fan_in = d["groups"], d["groups_per_pass"], d["fan_in"]
        params, rows = [], []
        for j in range(d["passes"]):
            gip = min(gpp, G - j * gpp)
            pb, wb = _block_bytes(P, fan_in, gip)
            at = d["params_offset"] + j * d["params_stride"]
            params.append(np.frombuffer(data[at:at + pb], dtype=[("bias", "<i4"),
                                                                  ("threshold", "<u4")]))
            at = d["weights_offset"] + j * d["weights_stride"]
            rows.append(np.frombuffer(data[at:at + wb], dtype=np.uint8).reshape(gip, fan_in, rb))
        params = np.concatenate(params)
        codes = unpack_rows(np.concatenate(rows), P)                   # (G, fan_in, P)
        codes = codes.transpose(0, 2, 1).reshape(G * P, fan_in)        # channel g * P + lane
        layer = LayerImage(d, params["bias"].astype(np.int64),
                           params["threshold"].astype(np.int64), codes)
        _check_lanes(where, layer, d["out_c"], d["kind"] == KINDS["classifier"])
        layers.append(layer)
    _expect(prev is None, f"descriptor {L}: the last layer is not a classifier")
    _expect(layers[-1].descriptor["out_c"] == h["classes"],
            f"header: classes {h['classes']}, the classifier has "
            f"{layers[-1].descriptor['out_c']} outputs")
    return NetworkImage(h, tuple(layers))


def _check_lanes(where, layer, out_c, classifier):
    try:
        contract.validate_codes(layer.weights, f"{where}: weight code")
    except contract.ContractError as exc:
        raise ImageError(str(exc)) from None
    pad_codes = layer.weights[out_c:]
    if (pad_codes != contract.ZERO_CODE).any():
        ch, i = np.argwhere(pad_codes != contract.ZERO_CODE)[0]
        raise ImageError(f"{where}: lane channel {out_c + ch} past out_c {out_c} holds weight "
                         f"code {int(pad_codes[ch, i])}, expected the zero code")
    _expect((layer.bias[out_c:] == 0).all() and (layer.threshold[out_c:] == 1).all(),
            f"{where}: lanes past out_c {out_c} must hold bias 0 and threshold 1")
    th = layer.threshold[:out_c]
    if classifier:
        _expect((th == 1).all(), f"{where}: classifier thresholds must be 1")
    else:
        _expect((th >= 1).all(), f"{where}: threshold 0 at channel {int(np.argmin(th))}")


def image_network(data, *, name="image"):
    """The golden ``Network`` of an image (``ImageError`` when it is malformed or describes an
    invalid network). The image holds no name: the network is called ``name``."""
    img = read_image(data)
    h = img.header
    pool = "maxpool2d" if h["coding"] == CODING_CODES["ttfs"] else "avgpool2d"
    layers = []
    for li in img.layers:
        d = li.descriptor
        kind = _KIND_NAMES[d["kind"]]
        co = d["out_c"]
        spec = {"type": kind, "weights": codes_to_text(li.weights[:co]),
                "bias": [int(b) for b in li.bias[:co]]}
        if kind == "conv2d":
            spec.update(out_channels=co, kernel=d["kernel"], stride=d["stride"],
                        padding=d["padding"])
        else:
            spec["out_features"] = co
        if kind != "classifier":
            spec["threshold"] = [int(t) for t in li.threshold[:co]]
        layers.append(spec)
        if d["pool"]:
            layers.append({"type": pool})
    doc = {"format": FORMAT, "name": name, "input_shape": [h["in_c"], h["in_h"], h["in_w"]],
           "coding": contract.CODINGS[h["coding"]],
           "fire_rule": contract.FIRE_RULES[h["fire_rule"]], "T": h["T"], "F": h["F"],
           "membrane_bits": h["membrane_bits"], "layers": layers}
    try:
        return build_network(doc)
    except NetworkError as exc:
        raise ImageError(f"image describes an invalid network: {exc}") from None


# -- bytes read per inference -------------------------------------------------------------------

class ReadRequest(NamedTuple):
    """One read of the memory master, in the order the processor issues them. ``offset`` is
    from ``IMAGE_BASE``, except for the input pixels (``what == "input"``), whose offset is from
    ``INPUT_BASE`` (``base`` says which)."""
    what: str           # "header", "input", "descriptor", "params" or "weights"
    offset: int
    length: int         # bytes requested (> 0)
    layer: int = -1     # compute layer from 0 (descriptor, params, weights)
    pass_index: int = -1  # pass (params, weights)

    @property
    def base(self):
        return "INPUT_BASE" if self.what == "input" else "IMAGE_BASE"

    def bytes(self, beat_bytes):
        """Bytes the request costs on a bus of ``beat_bytes`` (whole beats)."""
        return request_bytes(self.length, beat_bytes)


def request_bytes(length, beat_bytes):
    """A request of ``length`` bytes from an aligned address reads whole beats."""
    return -(-length // beat_bytes) * beat_bytes


def read_requests(network, capacity):
    """Every read of one inference of ``network`` on ``capacity``, in issue order: the header,
    the input pixels, then per layer its descriptor and per pass its params and weights."""
    descs, _ = descriptors(network, capacity)
    P = capacity.cores
    out = [ReadRequest("header", 0, HEADER_BYTES),
           ReadRequest("input", 0, math.prod(network.input_shape))]
    for l, d in enumerate(descs):
        out.append(ReadRequest("descriptor", HEADER_BYTES + l * DESCRIPTOR_BYTES,
                               DESCRIPTOR_BYTES, l))
        gpp, G = d["groups_per_pass"], d["groups"]
        for j in range(d["passes"]):
            pb, wb = _block_bytes(P, d["fan_in"], min(gpp, G - j * gpp))
            out.append(ReadRequest("params", d["params_offset"] + j * d["params_stride"], pb,
                                   l, j))
            out.append(ReadRequest("weights", d["weights_offset"] + j * d["weights_stride"], wb,
                                   l, j))
    return out


def bytes_read(network, capacity):
    """Bytes the memory master reads in one inference (at the capacity's data width)."""
    beat = capacity.beat_bytes
    return sum(r.bytes(beat) for r in read_requests(network, capacity))
