"""Event-driven SNN: processes spike events one at a time, as the accelerator does.

Each layer starts with membranes at zero, integrates every input event through the fan-out of the
spike router (conv: every output position and channel the event reaches; dense: every output),
then fires: the fire unit adds the bias term (B, or Theta/2 + T*B in rate coding), applies the fire
rule, clears the membrane, and (TTFS) max-pools by keeping the earliest spike of each 2x2 window.
Integration is order-independent, so adding the bias at fire time equals starting from it.

Events are (neuron, k): neuron is the flat C,H,W address in the layer's output map (after
pooling), k the spike time (TTFS) or the time step t (rate: a neuron with count n emits
t = 0..n-1). Event lists are in ascending (neuron, k) order.
"""

from dataclasses import dataclass, field

import numpy as np

from . import contract
from .dense import bias_term

__all__ = ["LayerTrace", "Trace", "input_events", "run", "fanout_range", "COUNT_KEYS"]

#: per-layer work counters (see LayerTrace.counts)
COUNT_KEYS = ("events_in", "synops", "synops_nonzero", "membrane_reads", "membrane_writes",
              "weight_reads", "spike_reads", "spike_writes", "events_out", "neurons")


@dataclass
class LayerTrace:
    """events: (n, 2) int64 [neuron, k] output events (empty for the classifier);
    membrane: flat int64 membranes at the end of integration, bias term included (C,H,W order,
    before pooling); counts: COUNT_KEYS -> int."""
    events: np.ndarray
    membrane: np.ndarray
    counts: dict = field(default_factory=dict)


@dataclass
class Trace:
    input_events: np.ndarray
    layers: list
    scores: np.ndarray
    prediction: int
    counts: dict


def _ttfs_events(k, T):
    flat = np.asarray(k, dtype=np.int64).ravel()
    idx = np.nonzero(flat < T)[0]
    return np.stack([idx, flat[idx]], axis=1).astype(np.int64)


def _to_events(spikes, net):
    if net.coding == "ttfs":
        return _ttfs_events(spikes, net.T)
    flat = np.asarray(spikes, dtype=np.int64).ravel()
    idx = np.repeat(np.arange(flat.size), flat)
    t = np.arange(idx.size) - np.repeat(np.cumsum(flat) - flat, flat)
    return np.stack([idx, t], axis=1).astype(np.int64)


def input_events(net, image):
    """The input encoder: uint8 image -> input events in pixel-address order."""
    x = contract.encode_input(np.asarray(image).reshape(net.input_shape), net.T, net.coding,
                              net.fire_rule)
    return _to_events(x, net)


def fanout_range(pos, pad, kernel, stride, size_out):
    """Output positions o (inclusive range) that an input at ``pos`` reaches along one axis:
    0 <= o < size_out and 0 <= pos + pad - o*stride < kernel."""
    top = pos + pad
    lo = max(0, -((kernel - 1 - top) // stride))  # ceil((top - kernel + 1) / stride)
    hi = min(size_out - 1, top // stride)
    return lo, hi


def _contrib_tables(net, layer):
    """contrib[k] = membrane increment of each weight for an input event at time k."""
    ks = range(net.T) if net.coding == "ttfs" else [0]
    tables = [contract.synaptic_increment(layer.weights, k, net.F, layer.pool_shift) for k in ks]
    return tables, contract.code_exponent(layer.weights) != contract.ZERO_EXP


def _input_position(net, layer, neuron):
    """(c, y, x) in the layer's (pooled) input map of an event of the previous layer."""
    c_in, h, w = layer.in_map
    if net.coding == "rate" and layer.pool_input:
        h2, w2 = 2 * h, 2 * w
        c, r = divmod(neuron, h2 * w2)
        y, x = divmod(r, w2)
        return c, y // 2, x // 2
    c, r = divmod(neuron, h * w)
    y, x = divmod(r, w)
    return c, y, x


def _input_index(net, layer, neuron):
    """Flat index into the dense layer's (pooled) input vector."""
    if net.coding == "rate" and layer.pool_input:
        c, y, x = _input_position(net, layer, neuron)
        _, h, w = layer.in_map
        return (c * h + y) * w + x
    return neuron


def _integrate(net, layer, events, counts):
    tables, nonzero = _contrib_tables(net, layer)
    U = np.zeros(layer.out_shape, dtype=np.int64)
    synops = nz = 0
    if layer.kind == "conv2d":
        co, _, K, _ = layer.weights.shape
        _, ho, wo = layer.out_shape
        s, p = layer.stride, layer.padding
        for neuron, k in events:
            c, y, x = _input_position(net, layer, int(neuron))
            oy0, oy1 = fanout_range(y, p, K, s, ho)
            ox0, ox1 = fanout_range(x, p, K, s, wo)
            if oy0 > oy1 or ox0 > ox1:
                continue
            ky = y + p - np.arange(oy0, oy1 + 1) * s
            kx = x + p - np.arange(ox0, ox1 + 1) * s
            tab = tables[int(k) if net.coding == "ttfs" else 0]
            U[:, oy0:oy1 + 1, ox0:ox1 + 1] += tab[:, c][:, ky][:, :, kx]
            synops += co * ky.size * kx.size
            nz += int(nonzero[:, c][:, ky][:, :, kx].sum())
    else:
        for neuron, k in events:
            i = _input_index(net, layer, int(neuron))
            U += tables[int(k) if net.coding == "ttfs" else 0][:, i]
            synops += U.size
            nz += int(nonzero[:, i].sum())
    counts.update(events_in=len(events), synops=synops, synops_nonzero=nz,
                  membrane_reads=synops, membrane_writes=synops, weight_reads=synops,
                  spike_reads=len(events))
    return U


def run(net, image):
    """Run one uint8 image through the event-driven SNN; returns a Trace."""
    events = input_events(net, image)
    trace_layers = []
    first_events = events
    for layer in net.layers:
        counts = {}
        U = _integrate(net, layer, events, counts)
        bshape = (-1,) + (1,) * (len(layer.out_shape) - 1)
        U = U + bias_term(net, layer).reshape(bshape)
        counts["neurons"] = int(U.size)
        if layer.fires:
            spikes = contract.fire(U, layer.threshold.reshape(bshape), net.T, net.coding,
                                   net.fire_rule)
            if layer.pool and net.coding == "ttfs":
                c, h, w = spikes.shape
                spikes = spikes.reshape(c, h // 2, 2, w // 2, 2).min(axis=(2, 4))
            out = _to_events(spikes, net)
            # fire phase: read and clear every membrane, write every event
            counts["membrane_reads"] += U.size
            counts["membrane_writes"] += U.size
            counts["spike_writes"] = len(out)
        else:
            out = np.zeros((0, 2), dtype=np.int64)
            counts["membrane_reads"] += U.size
            counts["membrane_writes"] += U.size
            counts["spike_writes"] = 0
        counts["events_out"] = len(out)
        trace_layers.append(LayerTrace(events=out, membrane=U.ravel(), counts=counts))
        events = out
    scores = trace_layers[-1].membrane.copy()
    total = {k: sum(t.counts[k] for t in trace_layers) for k in COUNT_KEYS}
    total["events"] = len(first_events) + sum(len(t.events) for t in trace_layers)
    total["input_events"] = len(first_events)
    return Trace(input_events=first_events, layers=trace_layers, scores=scores,
                 prediction=int(np.argmax(scores)), counts=total)
