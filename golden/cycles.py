"""Cycle model of the accelerator's schedule: exact cycle counts of every layer's phases.

The schedule (rtl/, see docs/ARCHITECTURE.md):

- integrate: the spike router expands each input event into ``max(1, n)`` cycles, where n is
  the number of operation bundles it sends (conv: reachable output positions x channel groups;
  dense: channel groups; an event that reaches nothing costs one cycle); the events follow each
  other without bubbles, in the spike buffer's order (``buffer_order``). The phase ends when the
  router is done and the cores have written the last bundle back (``CORE_DRAIN`` cycles after
  it), so the events after the last one that reaches an output count only beyond that drain:
  this makes the count depend on the order. Plus a fixed overhead for the launch, the
  spike-buffer read latency, the router's setup stage and the end-of-phase detection.
- fire: P + LOAD_LEAD steps per channel group load the group's biases and thresholds into the cores,
  then one scan step per (group, pre-pool position); a group of lane results (one per window,
  or per step without pooling) with m results to send freezes the scan for max(0, m - 1)
  cycles while the emitter sends them one per cycle (the last group, sent after the scan has
  ended, costs m); plus a fixed overhead.

Rate coding (the count scheme of the contract): a neuron that fires N times is N events
(``golden.event``), and the hardware handles them as N events (the spike buffer stores one entry
holding N - 1 and reads it out N times, ``rtl.spike_buffer``): every event costs the router its
bundles, a lane result of N events costs the emitter N cycles, a pixel of n events costs the
encoder max(1, n) cycles. The fire scan does not pool (the average pool is done by the layer
that reads the map, ``event._input_position``), so a layer's events index its pre-pool map
(``event_shape``).

The counts assume a host that never stalls the trace or score streams during the layer phases.
"""

from dataclasses import dataclass

import numpy as np

from .event import _input_position, fanout_range

__all__ = ["LayerCycles", "layer_cycles", "network_cycles", "buffer_order", "event_shape",
           "lane_results", "input_cycles", "INTEGRATE_OVERHEAD", "FIRE_OVERHEAD"]

#: launch + buffer read + router setup + iterator load + phase change
INTEGRATE_OVERHEAD = 7
#: the cores' decode and write-back stages after the last bundle
CORE_DRAIN = 4
#: an integrate phase without input events: launch, empty read-out, phase change
INTEGRATE_EMPTY = 3
#: parameter steps per channel group beyond P (rtl.sequencer.LOAD_LEAD)
LOAD_LEAD = 2
#: scan drain (fire stages, emitter) + phase change
FIRE_OVERHEAD = 5


@dataclass
class LayerCycles:
    integrate: int      # cycles in the integrate phase
    fire: int           # cycles in the fire (or scoring) phase
    bundles: int        # operation bundles the router sent (each P lanes wide)
    lane_ops: int       # synaptic operations on real channels (lanes < C_out)

    @property
    def total(self):
        return self.integrate + self.fire


def event_shape(net, layer):
    """The map a firing layer's output events index: (C, H, W), or (N,) for a dense layer.
    TTFS: after the max-pool; rate: before the average pool (the layer that reads the map
    divides by 4, ``pool_shift``)."""
    return tuple(layer.pooled_shape if net.coding == "ttfs" else layer.out_shape)


def lane_results(net, layer, events):
    """What the fire scan hands the emitter for each neuron of ``event_shape`` (flat), from
    the layer's output events (n, 2): TTFS the spike time (T: none), rate the count."""
    size = int(np.prod(event_shape(net, layer)))
    events = np.asarray(events, dtype=np.int64).reshape(-1, 2)
    if net.coding == "rate":
        return np.bincount(events[:, 0], minlength=size).astype(np.int64)
    out = np.full(size, net.T, dtype=np.int64)
    out[events[:, 0]] = events[:, 1]
    return out


def input_cycles(net, input_events):
    """Cycles the input encoder takes the image in: one per pixel, a pixel of n > 1 events
    (rate coding) n."""
    n = np.bincount(np.asarray(input_events, dtype=np.int64).reshape(-1, 2)[:, 0],
                    minlength=net.input_neurons)
    return int(np.maximum(n, 1).sum())


def _event_bundles(net, layer, desc_groups, events):
    """Bundles (>= 0) the router sends for each input event of a layer."""
    if layer.kind != "conv2d":
        return np.full(len(events), desc_groups, dtype=np.int64)
    _, ho, wo = layer.out_shape
    K, s, p = layer.kernel, layer.stride, layer.padding
    out = np.empty(len(events), dtype=np.int64)
    for i, (neuron, _) in enumerate(events):
        _, y, x = _input_position(net, layer, int(neuron))
        y0, y1 = fanout_range(y, p, K, s, ho)
        x0, x1 = fanout_range(x, p, K, s, wo)
        out[i] = max(0, y1 - y0 + 1) * max(0, x1 - x0 + 1) * desc_groups
    return out


def _fire_groups(net, layer, P, out_spikes_flat):
    """Number of outputs of every emitter group of a layer, in scan order (``lane_results``:
    a lane with a TTFS spike sends one, a lane with a rate count N sends N)."""
    co = layer.out_channels
    G = -(-co // P)
    if not layer.fires:  # classifier: every real lane sends its score
        lanes = np.minimum(P, co - np.arange(G) * P)
        return lanes
    ks = np.asarray(out_spikes_flat).reshape(co, -1)  # lane results per channel
    fired = ks if net.coding == "rate" else ks < net.T
    pad = G * P - co
    if pad:
        fired = np.concatenate([fired, np.zeros((pad, fired.shape[1]), bool)])
    return fired.reshape(G, P, -1).sum(axis=1).ravel()


def buffer_order(events, shape, P):
    """A firing layer's output events (n, 2) [neuron, k], neuron flat over its ``shape``
    (``event_shape``: C, H, W, or (C,) for a dense layer), in the order its fire scan writes
    them to the spike buffer, which is the order the next layer reads them in: channel group
    (P channels), (pooled) position, lane, and a rate-coded neuron's events in t order. (The
    golden trace lists them by neuron; the input encoder writes pixel order, which is neuron
    order.)"""
    events = np.asarray(events, dtype=np.int64).reshape(-1, 2)
    c, pos = np.divmod(events[:, 0], int(np.prod(shape[1:], dtype=np.int64)))
    return events[np.lexsort((c % P, pos, c // P))]


def layer_cycles(net, layer, P, in_events, out_spikes_flat, *, groups=None):
    """Cycles of one layer given its input events (n, 2), in the order the spike buffer holds
    them (``buffer_order``), and its ``lane_results``. ``groups`` = (first, count):
    only those channel groups (a pass of the processor, which replays every input event),
    else all of the layer's."""
    G = -(-layer.out_channels // P)
    first, count = (0, G) if groups is None else groups
    bundles = _event_bundles(net, layer, count, in_events)
    cost = np.maximum(bundles, 1)
    if len(cost) == 0:
        integrate = INTEGRATE_EMPTY
    else:
        busy = int(cost.sum())
        real = np.nonzero(bundles)[0]
        # the phase ends when the router has expanded every event and the cores have written
        # the last bundle back, whichever is later (trailing events may reach nothing)
        drained = int(cost[:real[-1] + 1].sum()) + CORE_DRAIN if len(real) else 0
        integrate = INTEGRATE_OVERHEAD + max(busy, drained)
    steps = count * layer.positions
    m = _fire_groups(net, layer, P, out_spikes_flat)
    m = m.reshape(G, -1)[first:first + count].ravel()
    # the emitter sends the last group after the scan has ended: m cycles instead of m - 1
    fire = (FIRE_OVERHEAD + steps + count * (P + LOAD_LEAD) + int(np.maximum(m - 1, 0).sum())
            + int(m[-1] > 0))
    lanes = min(layer.out_channels, (first + count) * P) - first * P
    lane_ops = int((bundles // count * lanes).sum()) if count else 0
    return LayerCycles(integrate=integrate, fire=fire, bundles=int(bundles.sum()),
                       lane_ops=lane_ops)


def network_cycles(net, trace, P):
    """Per-layer LayerCycles of an event-driven ``golden.event.Trace`` on P cores."""
    out = []
    events = trace.input_events
    for layer, lt in zip(net.layers, trace.layers):
        out.append(layer_cycles(net, layer, P, events, lane_results(net, layer, lt.events)))
        events = buffer_order(lt.events, event_shape(net, layer), P)
    return out
