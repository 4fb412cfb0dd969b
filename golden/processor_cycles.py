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
- a header or descriptor (``n`` beats of the 64-byte record): its unit is taken ``latency + n``
  cycles after the request, the next request follows the cycle after (header -> input) or
  three cycles after (descriptor -> its CHECK and PASS states -> the first params request).
- the input (``N`` pixels): the first pixel unit is valid ``latency + 1`` cycles after the
  request; the layer sequencer leaves IDLE the next cycle, its INPUT phase takes N + 1 cycles
  (one pixel per cycle, as the fixed-network accelerator's; in rate coding a pixel of n > 1
  events n, ``golden.cycles.input_cycles``), one more when the last pixel
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
  params request follows two cycles later, the next layer's descriptor request one cycle
  later, or, after the classifier's last pass, ``done`` two cycles later (PREDICT between).
"""

from dataclasses import dataclass, field

import numpy as np

from . import cycles as layer_model
from .capacity import plan
from .image import DESCRIPTOR_BYTES, HEADER_BYTES, PARAM_ENTRY_BYTES, read_requests

__all__ = ["InferenceCycles", "inference_cycles"]


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

    out = InferenceCycles(done=0)
    t = 1                                          # the header request
    out.requests.append(t)
    t += L + record_beats + 1                      # the input request
    out.requests.append(t)
    events = trace.input_events
    # the encoder's event register holds the last pixel's event one more cycle
    last_spikes = bool(len(events)) and int(events[-1, 0]) == network.input_neurons - 1
    t += L + layer_model.input_cycles(network, events) + 4 + last_spikes  # first descriptor
    for li, (layer, lplan, lt) in enumerate(zip(network.layers, layers, trace.layers)):
        out.requests.append(t)
        t += L + record_beats + 3                  # the first params request
        spikes = layer_model.lane_results(network, layer, lt.events)
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
                t += 2                             # the next params request
        if li < len(network.layers) - 1:
            events = layer_model.buffer_order(lt.events, layer_model.event_shape(network, layer),
                                              P)
            t += 1                                 # the next descriptor request
    out.done = t + 2                               # (t: PREDICT) DONE
    assert len(out.requests) == len(read_requests(network, capacity))
    return out
