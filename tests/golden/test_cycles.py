"""The cycle model (golden.cycles) on hand-counted cases; tests/rtl/test_accelerator.py compares it
with the simulated RTL."""

import numpy as np

from golden import cycles
from golden import randnet as R


def _stride2_net():
    """Layer 1: 2 channels on a 2x2 map (P = 2: one channel group); layer 2: a 1x1 kernel with
    stride 2, so only input (0, 0) reaches an output and every other position reaches nothing."""
    return R.random_network(np.random.default_rng(5), (1, 2, 2),
                            [R.conv(2, 3, 1, 1), R.conv(1, 1, 2, 0), R.classifier(2)],
                            T=4, calib_images=1)


def test_buffer_order_is_group_position_lane():
    # neurons of a (3, 1, 2) map: channel c at position x is neuron 2c + x; P = 2
    events = np.array([[0, 1], [1, 0], [2, 3], [3, 2], [4, 1], [5, 0]])
    got = cycles.buffer_order(events, (3, 1, 2), 2)
    # group 0 (channels 0, 1) position by position, lanes in order; then group 1 (channel 2)
    assert got[:, 0].tolist() == [0, 2, 1, 3, 4, 5]
    assert got[:, 1].tolist() == [1, 3, 0, 2, 1, 0]
    dense = cycles.buffer_order(np.array([[4, 0], [1, 2]]), (5,), 3)  # dense: neuron order
    assert dense[:, 0].tolist() == [1, 4]


def test_integrate_ends_after_the_drain_of_the_last_reaching_event_in_buffer_order():
    """The events that reach nothing after the last one that reaches an output overlap the
    cores' drain, so the integrate count depends on the order in which the spike buffer holds
    the events: the fire scan's (group, position, lane), not the golden trace's neuron order."""
    net = _stride2_net()
    layer = net.layers[1]
    P = 2
    # layer 1 fired channel 0 at (1, 0) (neuron 2, reaches nothing) and channel 1 at (0, 0)
    # (neuron 4, one output): the buffer holds neuron 4 first, written at position (0, 0)
    events = np.array([[2, 0], [4, 0]])
    in_buffer = cycles.buffer_order(events, net.layers[0].pooled_shape, P)
    assert in_buffer[:, 0].tolist() == [4, 2]
    no_spikes = np.full(int(np.prod(layer.pooled_shape)), net.T)
    got = cycles.layer_cycles(net, layer, P, in_buffer, no_spikes)
    # 1 bundle, then 1 cycle for the event that reaches nothing, overlapping the drain (4)
    assert got.integrate == cycles.INTEGRATE_OVERHEAD + 1 + cycles.CORE_DRAIN
    assert got.bundles == 1
