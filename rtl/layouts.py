"""The payload layouts of the accelerator's streams and the encodings of its ports, in one place.

Every layout's field widths come from a ``config.HardwareConfig`` (or from the depths passed in),
so that the RTL, the generator's manifest and the testbenches agree on the bit layout: the first
field of a ``StructLayout`` is in the lowest bits.
"""

from amaranth.hdl import Shape, signed
from amaranth.lib import data, enum

from golden import contract

from .fire_unit import FireLimits

__all__ = ["Phase", "LoadTarget", "upto", "address", "event_time_bits", "fire_bias_bits",
           "POOL_SHIFT", "event_layout", "op_layout",
           "param_layout", "tag_layout", "descriptor_layout", "descriptor_value",
           "score_layout", "trace_layout", "load_layout", "weight_load_layout", "interface"]


class Phase(enum.IntEnum, shape=3):
    """The accelerator's ``phase`` status output (``sequencer.LayerSequencer``)."""
    IDLE = 0        # waiting for a pixel; ``load`` is taken
    INPUT = 1       # the input encoder takes the image
    INTEGRATE = 2   # layer ``layer`` integrates its input events
    FIRE = 3        # layer ``layer`` fires (the classifier: sends the scores)
    PREDICT = 4     # the prediction is offered
    CLEAR = 5       # after a reset: the membranes are being zeroed


class LoadTarget(enum.IntEnum, shape=2):
    """The memory a ``load`` writes (the ``target`` field); 3 addresses nothing."""
    WEIGHT = 0      # a core's weight memory (5-bit codes)
    BIAS = 1        # the bias half of a parameter entry
    THRESHOLD = 2   # the threshold half of a parameter entry


def upto(n):
    """The unsigned shape of the values 0..n (at least one bit)."""
    return range(max(2, n + 1))


def address(depth):
    """The shape of an address into ``depth`` entries (at least one bit)."""
    return upto(depth - 1)


#: the shift of an event into a rate-coded layer that reads an average-pooled map
#: (``contract.synaptic_increment``'s ``pool_shift``): the router's k of such an event
POOL_SHIFT = 2


def event_time_bits(T, coding):
    """The k field of events and synaptic operations: TTFS, the spike time 0..T-1; rate coding,
    the time step t 0..T-1 of an event and, into the router and the cores, the pool shift
    (rate events all have k = 0 in the contract, so the cores' ``F - e - k`` becomes
    ``F - e - pool_shift``): at least 2 bits."""
    bits = contract.time_bits(T)
    return bits if coding == "ttfs" else max(bits, POOL_SHIFT.bit_length())


def fire_bias_bits(*, bias_bits, threshold_bits, steps, coding):
    """Width of the bias term the fire unit adds: B (TTFS), or Theta/2 + T * B (rate,
    ``contract.rate_initial_membrane``)."""
    if coding == "ttfs":
        return bias_bits
    return max(bias_bits + (steps - 1).bit_length(), threshold_bits) + 1


def event_layout(config):
    """A spike event: channel c, row y, column x of its map, spike time k (dense: (o, 0, 0));
    rate coding: the time step t of one of a neuron's events (``event_time_bits``)."""
    return data.StructLayout({"c": config.c_bits, "y": config.y_bits, "x": config.x_bits,
                              "k": config.k_bits})


def op_layout(*, weight_depth, membrane_depth, time_bits):
    """One synaptic operation: weight address, membrane address, input spike time."""
    return data.StructLayout({"waddr": address(weight_depth), "maddr": address(membrane_depth),
                              "k": time_bits})


def param_layout(*, bias_bits, threshold_bits, steps, rule, coding="ttfs"):
    """The bias term (``fire_bias_bits``: B, or Theta/2 + T * B in rate coding) and the fire
    unit's limits (``FireLimits.of(Theta)``) of the channel group being fired."""
    limits = FireLimits(threshold_bits=threshold_bits, steps=steps, rule=rule, coding=coding)
    term = fire_bias_bits(bias_bits=bias_bits, threshold_bits=threshold_bits, steps=steps,
                          coding=coding)
    return data.StructLayout({"bias": signed(term), "limits": limits.layout})


def weight_load_layout(depth):
    """A write of a core's weight memory: address and 5-bit code."""
    return data.StructLayout({"addr": address(depth), "data": contract.CODE_BITS})


def tag_layout(config):
    """Where a fire-phase group lands: channel group g, output (pooled) row and column, and how
    many of the P lanes are real channels. (The processor's config, ``runtime``: g counts the
    groups of a pass, up to its ``max_groups``.)"""
    groups = (config.max_groups if getattr(config, "runtime", False)
              else max(d.groups for d in config.layers))
    return data.StructLayout({"g": address(groups),
                              "y": config.y_bits, "x": config.x_bits,
                              "lanes": upto(config.cores)})


def descriptor_layout(config):
    """The fields of a layer descriptor that the datapath reads (see config.LayerDescriptor)."""
    def most(field):
        return upto(max(getattr(d, field) for d in config.layers))
    return data.StructLayout({
        "kind": 2,
        "kernel": most("kernel"),
        "stride": 2, "padding": most("padding"),
        "out_c": most("out_c"), "out_h": most("out_h"), "out_w": most("out_w"),
        "groups": most("groups"), "positions": most("positions"),
        "pool": 1,
        "weight_base": upto(config.weight_depth), "param_base": upto(config.param_depth),
        "fan_in": most("fan_in"),
    })


def descriptor_value(config, d):
    """The constant a descriptor table entry holds: the layout's fields of ``d``."""
    return {name: getattr(d, name) for name in descriptor_layout(config).members}


def score_layout(config):
    """A class score on the ``scores`` stream."""
    return data.StructLayout({"cls": config.class_bits, "score": signed(config.membrane_bits)})


def trace_layout(config):
    """An event on the ``trace`` stream: layer 0 = the input encoder's, layer i = the output of
    compute layer i (after pooling)."""
    return data.StructLayout({"layer": config.layer_bits, "c": config.c_bits,
                              "y": config.y_bits, "x": config.x_bits, "k": config.k_bits})


def load_layout(config):
    """A word of the ``load`` stream: core, target memory, address in it, value (as wide as a
    membrane; cut to the target's field)."""
    return data.StructLayout({"core": address(config.cores), "target": LoadTarget,
                              "addr": address(max(config.weight_depth, config.param_depth)),
                              "data": signed(config.membrane_bits)})


def _fields(layout):
    """[{name, offset, width, signed}] of a StructLayout, lowest bits first."""
    out = []
    for name, field in layout:
        shape = Shape.cast(field.shape)
        out.append({"name": name, "offset": field.offset, "width": shape.width,
                    "signed": shape.signed})
    return out


def interface(config):
    """What an integrator needs of the accelerator's ports, as JSON-ready data (the manifest's
    ``interface``); ``docs/ARCHITECTURE.md`` ("Host interface") says the same in prose."""
    P = config.cores
    return {
        "clock": {"port": "clk", "edge": "rising"},
        "reset": {
            "port": "rst", "active": "high", "synchronous": True,
            "clears": "every register: the sequencer enters phase CLEAR, which writes zero to "
                      "each membrane address (membrane_depth + 1 cycles, pixels.ready and "
                      "load.ready low), then IDLE; spike buffers empty, streams invalid. The "
                      "weight and parameter memories keep their contents (also loaded ones).",
            "clear_cycles": config.membrane_depth + 1,
        },
        "phase": {"port": "phase", "encoding": {p.name: p.value for p in Phase}},
        "streams": {
            "pixels": {"direction": "in", "width": 8,
                       "rule": "C*H*W uint8 pixels in C, H, W order. In IDLE a valid pixel "
                               "starts an inference; ready rises the next cycle (phase INPUT) "
                               "and stays high while the encoder can take a pixel (one per "
                               "cycle unless trace is stalled); it is low from the last pixel "
                               "of an image until the next inference starts, which is after "
                               "the prediction of this one was taken."},
            "scores": {"direction": "out", "fields": _fields(score_layout(config)),
                       "rule": "every class score, in class order, during the classifier's "
                               "FIRE phase; back-pressure stalls the accelerator."},
            "prediction": {"direction": "out", "width": config.class_bits,
                           "rule": "argmax of the scores (lowest class on ties), valid in "
                                   "phase PREDICT until taken: the next image is not taken "
                                   "before it."},
            "trace": {"direction": "out", "fields": _fields(trace_layout(config)),
                      "present": config.trace,
                      "rule": "every event written to a spike buffer. Layer 0: the input "
                              "encoder's, in pixel order. Layer i: compute layer i's output "
                              "(after pooling) in fire-scan order: channel group g, pooled "
                              "row y, pooled column x, then channel c = g*P + lane in "
                              "increasing lane. Back-pressure stalls the accelerator (the "
                              "cycle model assumes none)."},
            "load": {"direction": "in", "fields": _fields(load_layout(config)),
                     "rule": "taken (ready high) only in phase IDLE; a load that addresses no "
                             "memory is taken but writes nothing and raises load_error "
                             "(combinational, sample it with the transfer).",
                     "targets": {t.name: t.value for t in LoadTarget},
                     "addressing": {
                         "WEIGHT": "core = co mod P, addr = weight_base[l] + (co div P) * "
                                   "fan_in[l] + i, i = (c*K + ky)*K + kx (conv) or the input "
                                   "neuron (dense); addr < weight_depth",
                         "BIAS": "core = co mod P, addr = param_base[l] + co div P; "
                                 "addr < param_entries_per_core",
                         "THRESHOLD": "as BIAS",
                     },
                     "weight_depth": config.weight_depth,
                     "param_entries_per_core": config.param_depth,
                     "cores": P},
        },
        "memory_images": "mem/core<p>_weights.hex (entry = load addr of core p) and "
                         "mem/params_bias.hex, mem/params_threshold.hex (entry = addr * P + "
                         "core), one hex word per line: the same contents the Verilog holds "
                         "as initial values. They are not read by the Verilog: use them to "
                         "restore a design through the load port, to initialise memories "
                         "of a flow that ignores initial values, or to inspect them.",
    }
