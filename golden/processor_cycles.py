"""Cycle model of the processor (``rtl.processor_core``, docs/PROCESSOR.md section 6): the exact
cycle of every read request and of ``done`` for one inference, under a fixed-latency memory.

The memory model: a read request is taken the cycle it is offered (``requests.ready`` high);
its beats are all available from ``latency`` cycles after that and are offered one per cycle
while the processor takes them (never a gap); the trace and score streams never stall; the
processor is idle at ``start`` (the CLEAR after a reset is over). This is the core's abstract
memory port; behind the AXI master the latency is the port's, not the bus's.

The schedule, one request at a time (the unpackers are ``rtl.unpack.BeatUnpacker``: a unit
narrower than a beat leaves at one per cycle, a wider one once its last beat is in, and a beat
is taken only when the unit held leaves room for it):

- ``start`` at cycle 0; the header request is taken at cycle 1.
- a header or descriptor (``n`` beats of the 64-byte record): its unit is valid ``latency + n``
  cycles after the request. The header's unit is taken that cycle and checked; its products
  (``SEQUENCER_PRODUCTS["header"]``) follow, ``S_header`` cycles, and the input request the
  cycle after. A descriptor's unit is held for the whole layer; the cycle after it is valid
  the range checks (CHECK), then the layer's products (``S_layer`` cycles), then the first pass
  (PASS, one cycle, and the pass's product, ``S_pass`` cycles): the first params request
  follows ``3 + S_layer + S_pass`` cycles after the unit is valid.
- the products: the sequencer has one shift-add multiplier (``rtl.processor_sequencer``) that
  takes one bit of the multiplier operand per cycle, most significant first, so a product
  costs the multiplier's width in cycles, ``bits(bound)`` for the operand's bound under the
  capacity (``operand_bounds``; the range checks before the products keep every operand within
  it). ``product_cycles(capacity, stage)`` is ``S_header``, ``S_layer`` or ``S_pass``.
- the input (``N`` pixels): the first pixel unit is valid ``latency + 1`` cycles after the
  request; the layer sequencer leaves IDLE the next cycle, its INPUT phase takes N + 1 cycles
  (one pixel per cycle, as the fixed-network accelerator's), one more when the last pixel
  spikes (its event leaves the encoder's register the cycle after), then it waits; the first
  descriptor request follows the cycle after.
- a pass's params (``E`` = groups_in_pass * P entries of 64 bits, ``k`` = 64 / data_bits beats
  each): two parameter writes per entry (bias, then threshold, taking the unit), and the next
  entry's first beat is taken only when the unit held leaves: ``max(1, k)`` cycles to the first
  entry, ``max(2, k + 1)`` per entry; the weights request follows two cycles after the last.
- a pass's weights (``R`` = groups_in_pass * fan_in rows, ``b`` beats): one row per cycle or
  one beat per cycle, whichever is slower: the last row is taken ``latency + max(R, b)``
  cycles after the request; the pass starts (INTEGRATE) two cycles after that.
- the pass: the integrate and fire phases of ``golden.cycles.layer_cycles`` with the pass's
  groups (every input event replayed); from the cycle after its fire phase, the next pass's
  params request follows ``2 + S_pass`` cycles later (PASS, its product), the next layer's
  descriptor request one cycle later, or, after the classifier's last pass, ``done`` two
  cycles later (PREDICT between).
"""

from dataclasses import dataclass, field

import numpy as np

from . import cycles as layer_model
from .capacity import plan
from .image import DESCRIPTOR_BYTES, HEADER_BYTES, PARAM_ENTRY_BYTES, read_requests

__all__ = ["InferenceCycles", "inference_cycles", "SEQUENCER_PRODUCTS", "operand_bounds",
           "product_cycles"]


@dataclass
class InferenceCycles:
    """``done``: the cycle ``done`` is 1 (the CYCLES register: cycles from ``start``);
    ``requests``: the cycle each read request is taken, in issue order (as
    ``golden.image.read_requests``); ``passes``: (layer, pass, integrate, fire) cycles."""
    done: int
    requests: list = field(default_factory=list)
    passes: list = field(default_factory=list)

    @property
    def load(self):
        """Cycles not spent in the integrate and fire phases (reads, waits, control)."""
        return self.done - sum(i + f for _, _, i, f in self.passes)


#: The products the processor's sequencer computes on its one shift-add multiplier, one after
#: another, per stage: (product, multiplicand, multiplier); the multiplier operand's bits are
#: taken one per cycle. "header": the input map's neurons (the input request's length, checked
#: against spike_events); "layer", after the descriptor's range checks: the pass plan's cover
#: (passes * gpp, checked against groups), a pass's membranes and weights (checked against the
#: memory depths), the pooled output map (against spike_events), the router's K * K and the
#: map's H * W (the pass descriptor); "pass": the pass's weight rows.
SEQUENCER_PRODUCTS = {
    "header": (("input_hw", "input_h", "input_w"), ("input_neurons", "input_hw", "input_c")),
    "layer": (("pass_cover", "passes", "groups_per_pass"),
              ("pass_membranes", "positions", "groups_per_pass"),
              ("pass_weights", "fan_in", "groups_per_pass"),
              ("pooled_hw", "pooled_h", "pooled_w"),
              ("pooled", "pooled_hw", "out_c"),
              ("kernel_sq", "kernel", "kernel"),
              ("in_hw", "in_h", "in_w")),
    "pass": (("rows", "fan_in", "groups_in_pass"),),
}


def _bits(n):
    """Unsigned width for values 0..n (at least 1)."""
    return max(1, int(n).bit_length())


def operand_bounds(capacity):
    """The largest value of every operand of ``SEQUENCER_PRODUCTS`` under ``capacity`` (the
    sequencer checks each against it before the products, so each is that many bits wide)."""
    side, channels = capacity.max_map, capacity.max_channels
    groups = -(-channels // capacity.cores)
    return {"input_h": side, "input_w": side, "input_c": channels, "input_hw": side * side,
            "in_h": side, "in_w": side,
            "passes": groups, "groups_per_pass": capacity.param_words,
            "groups_in_pass": capacity.param_words, "positions": capacity.membrane_words,
            "fan_in": capacity.weight_words, "pooled_h": side, "pooled_w": side,
            "pooled_hw": side * side, "out_c": channels, "kernel": capacity.max_kernel}


def product_cycles(capacity, stage):
    """Cycles of the products of ``stage`` ("header", "layer" or "pass"): the widths of their
    multiplier operands."""
    bounds = operand_bounds(capacity)
    return sum(_bits(bounds[multiplier]) for _, _, multiplier in SEQUENCER_PRODUCTS[stage])


def _beats(nbytes, beat_bytes):
    return -(-nbytes // beat_bytes)


def inference_cycles(network, capacity, trace, *, latency):
    """The schedule of one inference of ``network`` on a processor of ``capacity`` for the
    event-driven ``golden.event.Trace`` of its image, with memory latency ``latency`` (>= 1)."""
    if isinstance(latency, bool) or not isinstance(latency, int) or latency < 1:
        raise ValueError(f"latency must be an integer >= 1, not {latency!r}")
    P = capacity.cores
    beat = capacity.beat_bytes
    L = latency
    layers = plan(network, capacity)
    record_beats = _beats(HEADER_BYTES, beat)
    assert _beats(DESCRIPTOR_BYTES, beat) == record_beats
    entry_beats = PARAM_ENTRY_BYTES * 8 / capacity.data_bits  # k, may be below 1
    first_entry, per_entry = max(1, int(np.ceil(entry_beats))), max(2, int(entry_beats) + 1)

    s_header, s_layer, s_pass = (product_cycles(capacity, stage)
                                 for stage in ("header", "layer", "pass"))
    out = InferenceCycles(done=0)
    t = 1                                          # the header request
    out.requests.append(t)
    t += L + record_beats + s_header + 1           # the input request
    out.requests.append(t)
    events = trace.input_events
    # the encoder's event register holds the last pixel's event one more cycle
    last_spikes = bool(len(events)) and int(events[-1, 0]) == network.input_neurons - 1
    t += L + network.input_neurons + 4 + last_spikes  # the first descriptor request
    for li, (layer, lplan, lt) in enumerate(zip(network.layers, layers, trace.layers)):
        out.requests.append(t)
        t += L + record_beats + 3 + s_layer + s_pass  # the first params request
        spikes = np.full(int(np.prod(layer.pooled_shape)), network.T, dtype=np.int64)
        if len(lt.events):
            spikes[lt.events[:, 0]] = lt.events[:, 1]
        for j in range(lplan.passes):
            first, gip = lplan.pass_groups(j)
            out.requests.append(t)
            t += L + first_entry + (gip * P - 1) * per_entry + 2   # the weights request
            out.requests.append(t)
            rows = gip * layer.fan_in
            t += L + max(rows, _beats(rows * capacity.row_bytes, beat)) + 2  # INTEGRATE
            c = layer_model.layer_cycles(network, layer, P, events, spikes,
                                         groups=(first, gip))
            out.passes.append((li, j, c.integrate, c.fire))
            t += c.integrate + c.fire              # the first cycle after FIRE: WAIT
            if j < lplan.passes - 1:
                t += 2 + s_pass                    # the next params request
        if li < len(network.layers) - 1:
            events = layer_model.buffer_order(lt.events, layer.pooled_shape, P)
            t += 1                                 # the next descriptor request
    out.done = t + 2                               # (t: PREDICT) DONE
    assert len(out.requests) == len(read_requests(network, capacity))
    return out
