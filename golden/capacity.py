"""What a generated processor holds (its *capacity*), whether a network fits, and its pass plan.

The processor (docs/PROCESSOR.md) is generated for a :class:`Capacity`, not for a network: it
runs any network that fits it, read from a network image (``golden.image``) at run time.
:func:`check_fits` says whether a network fits (``DoesNotFit``: one line naming the limit, the
capacity's value, the network's need and the layer that needs it), and :func:`plan` splits each
layer into *passes* when its membranes, weights or parameters do not fit at once:

    G = ceil(C_out / P) channel groups,
    gpp = min(G, membrane_words // positions, weight_words // fan_in, param_words),
    passes = ceil(G / gpp); pass j covers groups j*gpp .. min(G, (j + 1)*gpp) - 1.

A pass loads its groups' biases, thresholds and weights, replays the layer's input events from
the spike buffer and fires its groups; every weight and parameter byte is read once per
inference, the input events of a layer are read ``passes`` times from the on-chip buffer.

Presets (``PRESETS``) are sized from the networks they must hold (``PRESET_NETWORKS``; the
VGG-16 workload is the shape ``vgg16-cifar10`` of ``golden.arch`` on 3x32x32): every memory
depth is a power of two at least the need (:func:`requirements`); the memories of
``ice40-digits`` and ``ecp5-mnist`` hold a whole layer of their networks (no passes: they run
like the fixed-network accelerator), those of ``vgg16`` one channel group of the widest layer
(a whole layer of VGG-16 would need 73,728 weight words per core; passes cost almost no cycles,
since an event sends the same bundles whether its groups run in one pass or several).
"""

import math
import re
from dataclasses import asdict, dataclass, fields, replace

from . import contract

__all__ = ["Capacity", "CapacityError", "DoesNotFit", "LayerPlan", "PRESETS", "PRESET_NETWORKS",
           "PRESET_ARCHS", "check_fits", "plan", "requirements", "preset", "CORES_MAX",
           "DATA_BITS", "ADDR_BITS", "FIELD_BITS_MAX", "PARAM_ENTRIES_MIN", "pow2_ceil",
           "with_changes"]

#: neuron cores (the event's lane index and the weight row's width)
CORES_MAX = 32
#: AXI data widths (the image aligns every block to the widest beat, 64 bytes)
DATA_BITS = (32, 64, 128, 256, 512)
ADDR_BITS = (32, 64)
#: bias and threshold are 32-bit fields of the image
FIELD_BITS_MAX = 32
#: the datapath's membrane width (as the fixed-network accelerator's)
MEMBRANE_BITS_MAX = 48
#: the image's u16 fields (channels, map sides, groups)
U16_MAX = (1 << 16) - 1
#: memory depths: powers of two up to this
WORDS_MAX = 1 << 24
LAYERS_MAX = 255
BURSTS_MAX = 64
KERNEL_MAX = 7
SIDE_MAX = 1024
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


class CapacityError(ValueError):
    """A bad capacity parameter (the message names the field)."""


class DoesNotFit(ValueError):
    """A network that does not fit a capacity (one line: limit, capacity's value, need, where)."""


def pow2_ceil(n):
    """The smallest power of two >= n (n >= 1)."""
    return 1 << max(0, (int(n) - 1).bit_length())


def _bits(n):
    """Unsigned width for values 0..n (at least 1)."""
    return max(1, int(n).bit_length())


@dataclass(frozen=True, kw_only=True)
class Capacity:
    """What a generated processor holds; every field is validated (``CapacityError``).

    Memory depths (``membrane_words``, ``weight_words``, ``param_words``, ``spike_events``) are
    powers of two: the memories are generated at these depths and the CAPACITY1 register
    reports their log2.
    """
    name: str = "custom"
    cores: int                  # P, neuron cores
    membrane_words: int         # membrane memory depth per core: >= gpp * positions
    weight_words: int           # weight buffer depth per core (5-bit codes): >= gpp * fan_in
    param_words: int            # parameter memory depth per core (bias + threshold): >= gpp
    spike_events: int           # depth of each spike buffer: the largest event map
    max_layers: int             # descriptor entries: compute layers
    T: int = 8
    F: int = 21
    fire_rule: str = "round"
    membrane_bits: int
    threshold_bits: int         # every Theta < 2^threshold_bits
    bias_bits: int              # every B fits bias_bits signed
    max_channels: int           # largest channel / feature / class count (event field c)
    max_map: int                # largest H or W of any map (event fields y, x)
    max_kernel: int
    data_bits: int              # AXI data width
    addr_bits: int = 32         # AXI address width
    max_bursts: int = 2         # AXI read bursts in flight

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise CapacityError(f"name: {self.name!r} is not a name (1 to 64 of A-Z a-z 0-9 _ . "
                                "-, not starting with . or -)")
        _int("cores", self.cores, 1, CORES_MAX)
        for f in ("membrane_words", "weight_words", "param_words", "spike_events"):
            v = _int(f, getattr(self, f), 1, WORDS_MAX)
            if v & (v - 1):
                raise CapacityError(f"{f}: {v} is not a power of two (memories are generated at "
                                    f"powers of two: {pow2_ceil(v) // 2} or {pow2_ceil(v)})")
        _int("max_layers", self.max_layers, 1, LAYERS_MAX)
        _int("T", self.T, 1, contract.T_MAX)
        _int("F", self.F, contract.min_frac_bits("ttfs", self.T), MEMBRANE_BITS_MAX)
        if self.fire_rule not in contract.FIRE_RULES:
            raise CapacityError(f"fire_rule: {self.fire_rule!r} is not one of "
                                f"{', '.join(contract.FIRE_RULES)}")
        _int("membrane_bits", self.membrane_bits, 2, MEMBRANE_BITS_MAX)
        _int("threshold_bits", self.threshold_bits, 1,
             min(FIELD_BITS_MAX, self.membrane_bits - 1))
        _int("bias_bits", self.bias_bits, 2, min(FIELD_BITS_MAX, self.membrane_bits))
        _int("max_channels", self.max_channels, 1, U16_MAX)
        _int("max_map", self.max_map, 1, SIDE_MAX)
        _int("max_kernel", self.max_kernel, 1, KERNEL_MAX)
        if self.data_bits not in DATA_BITS:
            raise CapacityError(f"data_bits: {self.data_bits!r} is not one of "
                                f"{', '.join(map(str, DATA_BITS))}")
        if self.addr_bits not in ADDR_BITS:
            raise CapacityError(f"addr_bits: {self.addr_bits!r} is not one of "
                                f"{', '.join(map(str, ADDR_BITS))}")
        _int("max_bursts", self.max_bursts, 2, BURSTS_MAX)

    # -- derived widths ------------------------------------------------------------------------
    @property
    def beat_bytes(self):
        """Bytes per AXI beat."""
        return self.data_bits // 8

    @property
    def row_bytes(self):
        """Bytes of one weight row of the image (the P lanes' 5-bit codes)."""
        return -(-contract.CODE_BITS * self.cores // 8)

    @property
    def event_field_bits(self):
        """Widths of a spike event's fields (c, y, x, k)."""
        return (_bits(self.max_channels - 1), _bits(self.max_map - 1), _bits(self.max_map - 1),
                contract.time_bits(self.T))

    def as_dict(self):
        return asdict(self)


def _int(name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, int):
        raise CapacityError(f"{name}: expected an integer, got {v!r}")
    if not lo <= v <= hi:
        raise CapacityError(f"{name}: {v} outside {lo}..{hi}")
    return v


# -- what a network needs ----------------------------------------------------------------------

def _shape(shape):
    return "x".join(map(str, shape))


def _where(layer):
    return f"layer {layer.index + 1}"


def _argmax(items):
    """(need, where) of the largest need; the first one on a tie."""
    best = None
    for need, where in items:
        if best is None or need > best[0]:
            best = (need, where)
    return best


def _needs(network, cores):
    """Each capacity limit the network meets: (field, need, where), the need being the
    smallest capacity value that holds it (every memory holding at least one channel group)."""
    L = network.layers
    firing = [l for l in L if l.fires]
    maps = [(network.input_neurons, f"input map {_shape(network.input_shape)}")]
    maps += [(math.prod(l.pooled_shape), f"{_where(l)} output map {_shape(l.pooled_shape)}")
             for l in firing]
    channels = [(network.input_shape[0], "input channels")]
    channels += [(l.out_channels, f"{_where(l)} "
                  + ("classes" if l.kind == "classifier" else "output channels")) for l in L]
    sides = [(max(network.input_shape[1:]), f"input map {_shape(network.input_shape)}")]
    sides += [(max(l.out_shape[1:]), f"{_where(l)} output map {_shape(l.out_shape)}")
              for l in L if l.kind == "conv2d"]
    thetas = [(int(l.threshold.max()).bit_length(), f"{_where(l)} threshold "
               f"{int(l.threshold.max())}") for l in firing]
    biases = [(contract.signed_width(int(abs(l.bias).max())),
               f"{_where(l)} bias {int(l.bias[abs(l.bias).argmax()])}") for l in L]
    convs = [l for l in L if l.kind == "conv2d"]
    return [
        ("max_layers", len(L), "compute layers"),
        ("membrane_bits", *_argmax((l.membrane_bits, f"{_where(l)} worst-case membrane")
                                   for l in L)),
        ("threshold_bits", *_argmax(thetas or [(1, "no firing layer")])),
        ("bias_bits", *_argmax(biases)),
        ("max_channels", *_argmax(channels)),
        ("max_map", *_argmax(sides)),
        ("max_kernel", *_argmax([(l.kernel, f"{_where(l)} kernel {l.kernel}x{l.kernel}")
                                 for l in convs] or [(1, "no conv layer")])),
        ("spike_events", *_argmax(maps)),
        ("membrane_words", *_argmax((l.positions, f"{_where(l)}: one channel group has "
                                     f"{l.positions} positions"
                                     + (f" {_shape(l.out_shape[1:])}" if l.kind == "conv2d"
                                        else "")) for l in L)),
        ("weight_words", *_argmax((l.fan_in, f"{_where(l)}: one channel group has fan-in "
                                   + (f"{l.in_shape[0]}x{l.kernel}x{l.kernel}"
                                      if l.kind == "conv2d" else str(l.fan_in)))
                                  for l in L)),
    ]


def check_fits(network, capacity):
    """Raise ``DoesNotFit`` (one line) unless ``network`` runs on a processor of ``capacity``.

    The message names the first limit the network exceeds, in the order: coding, T, F, fire
    rule, max_layers, membrane_bits, threshold_bits, bias_bits, max_channels, max_map,
    max_kernel, spike_events, membrane_words, weight_words (the last two: one channel group of
    each layer must fit; larger layers run in passes)."""
    head = f"{network.name} does not fit {capacity.name}"
    if network.coding != "ttfs":
        raise DoesNotFit(f"{head}: coding {network.coding} (the processor runs ttfs networks)")
    for f in ("T", "F", "fire_rule"):
        have, need = getattr(capacity, f), getattr(network, f)
        if have != need:
            raise DoesNotFit(f"{head}: {f} {have} != {need} (fixed at generation)")
    for f, need, where in _needs(network, capacity.cores):
        have = getattr(capacity, f)
        if have < need:
            raise DoesNotFit(f"{head}: {f} {have} < {need} ({where})")


def requirements(networks, cores):
    """The smallest capacity values that hold every network of ``networks`` on ``cores``
    cores: {field: need} for every limit of ``check_fits`` (memories holding one channel group
    of each layer), plus ``membrane_words_layer`` and ``weight_words_layer``, the depths that
    hold every layer whole (one pass per layer)."""
    out = {}
    for net in networks:
        for f, need, _ in _needs(net, cores):
            out[f] = max(out.get(f, 0), need)
        for l in net.layers:
            G = -(-l.out_channels // cores)
            out["membrane_words_layer"] = max(out.get("membrane_words_layer", 0),
                                              G * l.positions)
            out["weight_words_layer"] = max(out.get("weight_words_layer", 0), G * l.fan_in)
    return out


# -- pass plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerPlan:
    """How one compute layer runs on a capacity: ``groups`` channel groups of P lanes, in
    ``passes`` passes of ``groups_per_pass`` groups (the last pass may have fewer).
    ``limit`` names what sets ``groups_per_pass``: ``groups`` (the whole layer in one pass),
    ``membrane_words``, ``weight_words`` or ``param_words``."""
    index: int          # compute layer, from 0
    kind: str           # conv2d, dense, classifier
    cores: int          # P
    groups: int         # G = ceil(C_out / P)
    groups_per_pass: int
    passes: int
    positions: int      # output positions per channel (before pooling; 1 for dense)
    fan_in: int         # weights per output channel
    limit: str

    def pass_groups(self, j):
        """(first group, groups in the pass) of pass ``j``."""
        if not 0 <= j < self.passes:
            raise IndexError(f"pass {j} outside 0..{self.passes - 1}")
        first = j * self.groups_per_pass
        return first, min(self.groups_per_pass, self.groups - first)

    def groups_in_pass(self, j):
        return self.pass_groups(j)[1]


def plan(network, capacity):
    """The pass plan of every compute layer (a tuple of ``LayerPlan``); raises ``DoesNotFit``
    when the network does not fit."""
    check_fits(network, capacity)
    P = capacity.cores
    out = []
    for l in network.layers:
        G = -(-l.out_channels // P)
        bounds = [("groups", G), ("membrane_words", capacity.membrane_words // l.positions),
                  ("weight_words", capacity.weight_words // l.fan_in),
                  ("param_words", capacity.param_words)]
        limit, gpp = min(bounds, key=lambda b: b[1])  # the first of equal bounds
        assert gpp >= 1, "check_fits lets one group of every layer through"
        out.append(LayerPlan(index=l.index, kind=l.kind, cores=P, groups=G, groups_per_pass=gpp,
                             passes=-(-G // gpp), positions=l.positions, fan_in=l.fan_in,
                             limit=limit))
    return tuple(out)


# -- presets ------------------------------------------------------------------------------------

#: the shipped networks each preset must hold (tests/golden/test_capacity.py checks it)
PRESET_NETWORKS = {
    "ice40-digits": ("digits",),
    "ecp5-mnist": ("digits", "mnist", "mnist-conv4"),
    "vgg16": ("digits", "mnist", "mnist-conv4", "mnist-vgg16"),
}
#: ... and the architectures of ``golden.arch`` (on their input shape) it must hold
PRESET_ARCHS = {
    "ice40-digits": (),
    "ecp5-mnist": (),
    "vgg16": (("vgg16-cifar10", (3, 32, 32)),),
}

#: The fewest parameter entries (param_words * P) of a preset: the synthesis flows build a
#: memory of at most 16 words from flip-flops (gen.synth, small_memory_max_depth), which for the
#: 16 entries of 58 bits that ice40-digits would otherwise have costs about 1,000 flip-flops and
#: their multiplexers, more than the iCE40 HX8K has to spare; 32 entries are a block RAM's
#: (an iCE40 SB_RAM40_4K holds 256), and a pass may then hold more groups.
PARAM_ENTRIES_MIN = 32

#: The presets. Sizes (needs from ``requirements`` of the networks above, rounded up to a power
#: of two for memory depths):
#:   membrane_bits: the widest network's worst case (digits 29, mnist-conv4 34, VGG-16 35);
#:   threshold_bits = min(32, membrane_bits - 1), bias_bits = min(32, membrane_bits): any Theta
#:     and B of a network whose membrane fits (at most the image's 32-bit fields); except
#:     ice40-digits: its networks' need (digits: 23 and 23), since logic cells are what the
#:     iCE40 HX8K lacks (the fire units' carry chains and the parameter registers are as wide
#:     as Theta: 28 bits cost about 250 more logic cells);
#:   ice40-digits, ecp5-mnist: membrane_words, weight_words hold each layer whole (digits at
#:     P = 4: 128 and 288; mnist-conv4 at P = 8: 2048 and 4096); vgg16: one channel group of
#:     the largest map (32x32: 1024) and of the widest fan-in (512x3x3 = 4608 -> 8192);
#:   param_words: the most groups a pass holds under the two limits above (4, 4, 16), and at
#:     least PARAM_ENTRIES_MIN / P (ice40-digits: 8 instead of 4);
#:   spike_events: the largest event map (8x4x4, 16x32x32, 64x32x32); max_layers: the most
#:     compute layers (3, 5, 15); max_channels, max_map: the full range of the event fields
#:     (16, 32, 512 channels; maps 8, 32, 32); max_kernel 3.
PRESETS = {
    "ice40-digits": Capacity(
        name="ice40-digits", cores=4, membrane_words=128, weight_words=512, param_words=8,
        spike_events=128, max_layers=4, membrane_bits=29, threshold_bits=23, bias_bits=23,
        max_channels=16, max_map=8, max_kernel=3, data_bits=32, max_bursts=2),
    "ecp5-mnist": Capacity(
        name="ecp5-mnist", cores=8, membrane_words=2048, weight_words=4096, param_words=4,
        spike_events=16384, max_layers=8, membrane_bits=34, threshold_bits=32, bias_bits=32,
        max_channels=32, max_map=32, max_kernel=3, data_bits=64, max_bursts=4),
    "vgg16": Capacity(
        name="vgg16", cores=32, membrane_words=1024, weight_words=8192, param_words=16,
        spike_events=65536, max_layers=16, membrane_bits=35, threshold_bits=32, bias_bits=32,
        max_channels=512, max_map=32, max_kernel=3, data_bits=128, max_bursts=8),
}


def preset(name):
    """The preset ``name`` (``CapacityError`` naming the known ones otherwise)."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise CapacityError(f"no capacity preset named {name!r} (known: "
                            f"{', '.join(PRESETS)})") from None


def _field_names():
    return tuple(f.name for f in fields(Capacity))


def with_changes(capacity, **changes):
    """A copy of ``capacity`` with fields changed (validated like a new one)."""
    unknown = sorted(set(changes) - set(_field_names()))
    if unknown:
        raise CapacityError(f"{unknown[0]}: not a capacity field")
    return replace(capacity, **changes)
