"""Hardware configuration: everything the generator derives from a network and a core count.

``HardwareConfig`` validates its parameters (keyword-only, precise errors), derives field widths
and memory depths from the network, and builds the per-layer descriptors and the initial memory
images. The RTL, the cycle model and the testbenches all read the layout from here.

Memory layouts (P neuron cores; output channel ``co = g * P + p`` lives in core ``p``, group
``g``; ``G = ceil(C_out / P)`` groups per layer):

- weights, per core: layer ``l`` starts at ``weight_base[l]``; conv entry
  ``((g * C_in + c) * K + ky) * K + kx``, dense entry ``g * N_in + i``. Lanes past C_out hold the
  zero code, so an idle lane adds nothing.
- bias/threshold, one memory shared by the cores: entry ``(param_base[l] + g) * P + p``,
  loaded into core ``p``'s registers when the fire phase reaches group ``g``. The ``load``
  port addresses it per core: core ``p``, addr ``param_base[l] + g`` (entry = addr * P + core).
- membranes, per core: entry ``g * positions + oy * W_out + ox`` (positions = H_out * W_out,
  1 for dense layers); each layer reuses the memory from address 0.
- spike buffers (two, ping-pong): events ``(c, y, x, k)`` in write order; a dense layer's
  neuron ``o`` is the event ``(o, 0, 0, k)``.
"""

from dataclasses import dataclass

import numpy as np

from golden import contract
from golden.cycles import event_shape
from golden.network import Network

#: the neuron cores' membrane adders (``rtl.neuron_core.NeuronCore.ADDERS``, which checks this)
ADDERS = ("carry", "prefix")

__all__ = ["ConfigError", "LayerDescriptor", "HardwareConfig", "P_MAX", "KIND_CONV", "KIND_DENSE",
           "KIND_CLASSIFIER", "memory_plan", "layer_geometry"]

P_MAX = 32
KIND_CONV, KIND_DENSE, KIND_CLASSIFIER = 0, 1, 2
_KINDS = {"conv2d": KIND_CONV, "dense": KIND_DENSE, "classifier": KIND_CLASSIFIER}


def layer_geometry(network):
    """What the memory plan needs of each compute layer of a Network (``pooled``: the map its
    events index, ``golden.cycles.event_shape``: before the pool in rate coding)."""
    out = []
    for l in network.layers:
        ps = event_shape(network, l)
        out.append({"out_c": l.out_channels, "positions": l.positions, "fan_in": l.fan_in,
                    "pooled": ps if len(ps) == 3 else (ps[0], 1, 1), "fires": l.fires})
    return out


def event_maps(input_shape, geometry):
    """(C, H, W) of every event map: the input and each firing layer's (pooled) output."""
    return [tuple(input_shape)] + [tuple(g["pooled"]) for g in geometry if g["fires"]]


def event_field_bits(maps, classes):
    """Widths of an event's c, y and x fields (c also carries the class index)."""
    return (_bits(max(max(m[0] for m in maps), classes) - 1),
            _bits(max(m[1] for m in maps) - 1), _bits(max(m[2] for m in maps) - 1))


def memory_plan(geometry, *, cores, T, membrane_bits, input_shape, classes,
                events_per_neuron=1, param_bits=None):
    """Instances, depth, width and bits of every memory of the accelerator for a layer
    geometry (``layer_geometry``): the one place the sizes are computed. ``events_per_neuron``
    sizes the spike buffers: 1, what the RTL builds in both codings (a rate-coded neuron of N
    events is one entry, read out N times: ``rtl.spike_buffer``); T would be one entry per
    event. ``param_bits`` is
    the width of a bias + threshold entry (default: both fields as wide as the membrane)."""
    P = cores
    groups = [-(-g["out_c"] // P) for g in geometry]
    maps = event_maps(input_shape, geometry)
    c_bits, y_bits, x_bits = event_field_bits(maps, classes)
    mems = {
        "weights": {"instances": P, "width": contract.CODE_BITS,
                    "depth": sum(G * g["fan_in"] for G, g in zip(groups, geometry))},
        "params": {"instances": 1, "depth": sum(groups) * P,
                   "width": param_bits or 2 * membrane_bits},
        "membrane": {"instances": P, "width": membrane_bits,
                     "depth": max(G * g["positions"] for G, g in zip(groups, geometry))},
        "spike_buffer": {"instances": 2,
                         "depth": max(int(np.prod(m)) for m in maps) * events_per_neuron,
                         "width": c_bits + y_bits + x_bits + contract.time_bits(T)},
    }
    for m in mems.values():
        m["bits"] = m["instances"] * m["depth"] * m["width"]
    return mems


def _field_bits(name, value, need, most, what):
    """A parameter field width: ``need`` (the network's) when None, else checked."""
    if value is None:
        return need
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, not {value!r}")
    if not need <= value <= most:
        raise ConfigError(f"{name} {value} outside {need}..{most} (the network's {what} needs "
                          f"{need})")
    return value


class ConfigError(ValueError):
    """An out-of-range or inconsistent generator parameter."""


def _bits(n):
    """Unsigned width for values 0..n (at least 1)."""
    return max(1, int(n).bit_length())


@dataclass(frozen=True)
class LayerDescriptor:
    """One entry of the layer sequencer's descriptor table (all integers)."""
    kind: int
    in_c: int          # channels of the map read (dense: channels of the map before flattening)
    in_h: int
    in_w: int
    kernel: int
    stride: int
    padding: int
    out_c: int         # output channels / features
    out_h: int         # before pooling
    out_w: int
    groups: int        # ceil(out_c / P)
    positions: int     # out_h * out_w
    pool: int
    weight_base: int
    param_base: int
    fan_in: int        # C_in*K*K (conv) or N_in (dense): weights per group

    @property
    def scan_steps(self):
        """Fire-phase steps: every (group, position)."""
        return self.groups * self.positions


class HardwareConfig:
    """Generator parameters for one network.

    ``cores``: P, 1..32. ``membrane_bits``: defaults to the network's worst-case width and may be
    wider, never narrower. ``threshold_bits`` (Theta, unsigned) and ``bias_bits`` (B, signed):
    the widths of the parameter fields, the "shape limits" of networks the load port can
    install; they default to what this network needs (the smallest hardware) and may be up to
    ``membrane_bits - 1`` / ``membrane_bits``. ``trace``: add the trace stream of every layer's
    output events. ``adder``: how the neuron cores add to a membrane, "carry" (FPGAs) or
    "prefix" (standard cells), see ``rtl.neuron_core.NeuronCore``.
    """

    def __init__(self, network, *, cores=8, membrane_bits=None, threshold_bits=None,
                 bias_bits=None, adder="carry", trace=True):
        if not isinstance(network, Network):
            raise ConfigError(f"network must be a golden.network.Network, not "
                              f"{type(network).__name__}")
        if isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= P_MAX:
            raise ConfigError(f"cores (P) must be an integer in 1..{P_MAX}, not {cores!r}")
        need = network.membrane_bits
        if membrane_bits is None:
            membrane_bits = need
        if isinstance(membrane_bits, bool) or not isinstance(membrane_bits, int):
            raise ConfigError(f"membrane_bits must be an integer, not {membrane_bits!r}")
        if not need <= membrane_bits <= 48:
            raise ConfigError(f"membrane_bits {membrane_bits} outside {need}..48 (the network's "
                              f"worst case needs {need})")
        theta_max = max([int(np.max(l.threshold)) for l in network.layers
                         if l.threshold is not None] + [1])
        bias_max = max([int(np.max(np.abs(l.bias))) for l in network.layers] + [0])
        threshold_bits = _field_bits("threshold_bits", threshold_bits,
                                     max(1, theta_max.bit_length()), membrane_bits - 1,
                                     f"largest Theta, {theta_max},")
        bias_bits = _field_bits("bias_bits", bias_bits, contract.signed_width(bias_max),
                                membrane_bits, f"largest |B|, {bias_max},")
        if adder not in ADDERS:
            raise ConfigError(f"adder must be one of {', '.join(ADDERS)}, not {adder!r}")
        if not isinstance(trace, bool):
            raise ConfigError(f"trace must be True or False, not {trace!r}")
        self._net = network
        self._P = cores
        self._mbits = membrane_bits
        self._tbits = threshold_bits
        self._bbits = bias_bits
        self._adder = adder
        self._trace = trace
        # derived once: the event maps, their field widths and the memory plan
        self._maps = event_maps(network.input_shape, layer_geometry(network))
        self._fields = event_field_bits(self._maps, network.classes)
        self._mems = memory_plan(layer_geometry(network), cores=cores, T=network.T,
                                 membrane_bits=membrane_bits, input_shape=network.input_shape,
                                 classes=network.classes,
                                 param_bits=2 * max(threshold_bits, bias_bits))
        self._layers = self._descriptors()

    # -- parameters --------------------------------------------------------------------------
    network = property(lambda self: self._net)
    cores = property(lambda self: self._P)
    membrane_bits = property(lambda self: self._mbits)
    threshold_bits = property(lambda self: self._tbits)
    bias_bits = property(lambda self: self._bbits)
    adder = property(lambda self: self._adder)
    trace = property(lambda self: self._trace)
    layers = property(lambda self: self._layers)
    T = property(lambda self: self._net.T)
    F = property(lambda self: self._net.F)
    fire_rule = property(lambda self: self._net.fire_rule)
    coding = property(lambda self: self._net.coding)

    @property
    def c4(self):
        return contract.ttfs_c4(self.T, self.fire_rule)

    # -- derived widths ----------------------------------------------------------------------
    @property
    def maps(self):
        """(C, H, W) of every event map: the input and each firing layer's (pooled) output."""
        return self._maps

    @property
    def k_bits(self):
        from .layouts import event_time_bits
        return event_time_bits(self.T, self.coding)

    @property
    def c_bits(self):
        return self._fields[0]

    @property
    def y_bits(self):
        return self._fields[1]

    @property
    def x_bits(self):
        return self._fields[2]

    @property
    def spike_depth(self):
        """Events a spike buffer must hold: the largest map (each neuron fires at most once)."""
        return self._mems["spike_buffer"]["depth"]

    @property
    def membrane_depth(self):
        return self._mems["membrane"]["depth"]

    @property
    def weight_depth(self):
        return self._mems["weights"]["depth"]

    @property
    def param_depth(self):
        """Parameter entries per core (one per channel group of every layer)."""
        return self._mems["params"]["depth"] // self._P

    @property
    def shift_bits(self):
        return _bits(self.F)

    @property
    def class_bits(self):
        return _bits(self._net.classes - 1)

    @property
    def layer_bits(self):
        """Trace layer index: 0 = input, 1..L = compute layers."""
        return _bits(len(self._layers))

    # -- descriptors and memory images -------------------------------------------------------
    def _descriptors(self):
        P = self._P
        out = []
        wbase = pbase = 0
        for l in self._net.layers:
            c, h, w = l.in_map if len(l.in_map) == 3 else (l.in_map[0], 1, 1)
            co = l.out_shape[0]
            ho, wo = (l.out_shape[1], l.out_shape[2]) if l.kind == "conv2d" else (1, 1)
            g = -(-co // P)
            d = LayerDescriptor(kind=_KINDS[l.kind], in_c=c, in_h=h, in_w=w, kernel=l.kernel,
                                stride=l.stride, padding=l.padding, out_c=co, out_h=ho,
                                out_w=wo, groups=g, positions=ho * wo, pool=int(l.pool),
                                weight_base=wbase, param_base=pbase, fan_in=l.fan_in)
            out.append(d)
            wbase += g * l.fan_in
            pbase += g
        return tuple(out)

    def weight_images(self):
        """Per-core weight memory contents (list of P int lists)."""
        P = self._P
        img = np.full((P, self.weight_depth), contract.ZERO_CODE, dtype=np.int64)
        for l, d in zip(self._net.layers, self._layers):
            wt = l.weights.reshape(l.out_shape[0], -1)  # (Co, fan_in) in (c, ky, kx) order
            for co in range(d.out_c):
                g, p = divmod(co, P)
                base = d.weight_base + g * d.fan_in
                img[p, base:base + d.fan_in] = wt[co]
        return [list(map(int, r)) for r in img]

    def param_images(self):
        """Parameter memory contents: (biases, thresholds), entry (param_base + g) * P + p."""
        P = self._P
        bias = np.zeros(self.param_depth * P, dtype=np.int64)
        theta = np.ones(self.param_depth * P, dtype=np.int64)
        for l, d in zip(self._net.layers, self._layers):
            for co in range(d.out_c):
                g, p = divmod(co, P)
                entry = (d.param_base + g) * P + p
                bias[entry] = l.bias[co]
                if l.threshold is not None:
                    theta[entry] = l.threshold[co]
        return [int(b) for b in bias], [int(t) for t in theta]

    def manifest(self):
        """JSON-ready description: parameters, widths, memory sizes and what an integrator needs
        of the ports (``interface``: clock and reset, phase encoding, stream rules and payload
        fields, load addressing)."""
        from .layouts import interface  # (layouts derive from a config)
        P = self._P
        mems = {name: dict(m) for name, m in self._mems.items()}  # callers may annotate it
        return {
            "network": self._net.name, "cores": P, "T": self.T, "F": self.F,
            "coding": self._net.coding, "fire_rule": self.fire_rule,
            "membrane_bits": self._mbits, "threshold_bits": self._tbits,
            "bias_bits": self._bbits, "adder": self._adder, "trace": self._trace,
            "widths": {"c": self.c_bits, "y": self.y_bits, "x": self.x_bits, "k": self.k_bits,
                       "class": self.class_bits, "layer": self.layer_bits},
            "memories": mems,
            "memory_bits_total": sum(m["bits"] for m in mems.values()),
            "layers": [d.__dict__ for d in self._layers],
            "interface": interface(self),
        }
