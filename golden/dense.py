"""Dense integer model: the quantised ANN computed layer by layer with tensor operations.

Products are formed as exact integers ``A * W`` with ``A = spike_value`` (2^(T-1-k) or a count)
and ``W = +-2^(14-e)``, and shifted once to F fraction bits. The matrix products run in float64,
which is exact while every partial sum stays below 2^53; ``_exact_bound`` checks that per layer.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import contract

__all__ = ["LayerResult", "run", "integrate", "fire_layer", "predict", "layer_activation",
           "pool_spikes", "bias_term"]

_FLOAT_EXACT = 1 << 53


class LayerResult:
    """Per-layer output of a batch: membranes at the end of integration (bias included), the
    spikes of every neuron (time k or count; T = no spike in TTFS) and after pooling."""

    __slots__ = ("membrane", "spikes", "pooled")

    def __init__(self, membrane, spikes, pooled):
        self.membrane, self.spikes, self.pooled = membrane, spikes, pooled


def layer_activation(net, layer, spikes_in):
    """Integer activation A (batch, *layer.in_shape) of the previous layer's spikes, which come
    unpooled (batch, C, H, W) when the layer reads a rate-coded average-pooled map."""
    if net.coding == "ttfs":
        A = contract.spike_value(spikes_in, net.T, "ttfs")
    elif layer.pool_input:  # average pool: the sum here, the /4 is pool_shift
        n, c, h, w = spikes_in.shape
        A = spikes_in.reshape(n, c, h // 2, 2, w // 2, 2).sum(axis=(3, 5))
    else:
        A = spikes_in
    return A.reshape((A.shape[0],) + tuple(layer.in_shape))


def pool_spikes(net, spikes):
    """TTFS max-pool = earliest spike of each 2x2 window (batch, C, H, W)."""
    n, c, h, w = spikes.shape
    return spikes.reshape(n, c, h // 2, 2, w // 2, 2).min(axis=(3, 5))


def bias_term(net, layer):
    """What the fire unit adds to the integrated sum: B (TTFS) or Theta/2 + T*B (rate)."""
    if net.coding == "ttfs":
        return layer.bias
    theta = layer.threshold if layer.threshold is not None else np.zeros_like(layer.bias)
    return contract.rate_initial_membrane(layer.bias, theta, net.T)


def _shift(net, layer):
    if net.coding == "ttfs":
        return net.F - contract.EXP_MAX - (net.T - 1)
    return net.F - contract.EXP_MAX - layer.pool_shift


def _exact_bound(net, layer):
    a_max = (1 << (net.T - 1)) if net.coding == "ttfs" else net.T * (4 if layer.pool_input else 1)
    bound = layer.fan_in * a_max * (1 << contract.EXP_MAX)
    if bound >= _FLOAT_EXACT:
        raise contract.ContractError(f"layer {layer.index}: partial sums reach {bound}, beyond "
                                     "the exact float64 range of the dense model")


def _integrate(net, layer, A):
    """Integer sum of products (batch, *out_shape), before the shift to F fraction bits."""
    _exact_bound(net, layer)
    Wv = contract.code_values(layer.weights).astype(np.float64)
    A = A.astype(np.float64)
    n = A.shape[0]
    if layer.kind == "conv2d":
        co, ci, k, _ = layer.weights.shape
        p, s = layer.padding, layer.stride
        Ap = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))
        win = sliding_window_view(Ap, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        ho, wo = layer.out_shape[1], layer.out_shape[2]
        win = win[:, :, :ho, :wo]  # (n, ci, ho, wo, k, k)
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n, ho * wo, ci * k * k)
        acc = cols @ Wv.reshape(co, -1).T  # (n, ho*wo, co)
        acc = acc.transpose(0, 2, 1).reshape(n, co, ho, wo)
    else:
        acc = A.reshape(n, -1) @ Wv.T
    return np.rint(acc).astype(np.int64)


def run(net, images):
    """Run a batch of uint8 images (batch, C, H, W); returns (input spikes, [LayerResult])."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.shape[1:] != net.input_shape:
        raise contract.ContractError(f"images of shape {images.shape[1:]} do not match the "
                                     f"network input {net.input_shape}")
    x = contract.encode_input(images, net.T, net.coding, net.fire_rule)
    results = []
    spikes = x
    for layer in net.layers:
        U = integrate(net, layer, spikes)
        out, pooled = fire_layer(net, layer, U)
        results.append(LayerResult(U, out, pooled))
        spikes = pooled
    return x, results


def _channel_shape(layer):
    """Shape that broadcasts a per-output-channel vector over (batch, *layer.out_shape)."""
    return (1, -1) + (1,) * (len(layer.out_shape) - 1)


def integrate(net, layer, spikes_in):
    """Membranes (batch, *layer.out_shape) of one layer at the end of integration, bias term
    included, from the previous layer's (pooled) spikes or the input spikes."""
    A = layer_activation(net, layer, spikes_in)
    acc = _integrate(net, layer, A) << _shift(net, layer)
    return acc + bias_term(net, layer).reshape(_channel_shape(layer))


def fire_layer(net, layer, U):
    """(spikes, pooled spikes) of a layer with membranes ``U``; (None, None) for the
    classifier."""
    if not layer.fires:
        return None, None
    out = contract.fire(U, layer.threshold.reshape(_channel_shape(layer)), net.T, net.coding,
                        net.fire_rule)
    pooled = pool_spikes(net, out) if layer.pool and net.coding == "ttfs" else out
    return out, pooled


def predict(net, images):
    """Class scores (batch, classes) and predictions (lowest index on ties)."""
    _, results = run(net, images)
    scores = results[-1].membrane
    return scores, np.argmax(scores, axis=1)
