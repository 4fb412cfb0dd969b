"""The torch models of conversion-aware training, for any architecture of ``golden.arch``.

``FloatANN``: conv-BN-ReLU(-maxpool) blocks, dense-BN-ReLU layers and a linear classifier on
``x/255``; ``folded()`` folds BN into the weights. ``CATNet``: the folded network with the spiking
quantiser (``QuantFn``), 5-bit log weights (``log_quantise``) and a trainable lambda per layer,
with three forwards (float, CAT, integer semantics through ``golden.dense``). ``export_doc``/
``build`` turn its parameters into the integers of the contract. See ``golden.train`` for the
pipeline. torch is imported here; nothing on the hardware side imports this module.
"""

import json
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as Fn

from . import contract, dense, network
from .arch import ArchLayer
from .files import atomic_path

__all__ = ["ExportError", "encode", "spikes_to_activation", "FloatANN", "save_float",
           "load_float", "QuantFn", "SpikeCountFn", "log_quantise", "CATNet", "frac_bits",
           "export_scales", "export_doc", "build"]


class ExportError(Exception):
    """The trained network does not fit the contract (one-line message)."""


def _norm(T, coding):
    return float(1 << (T - 1)) if coding == "ttfs" else float(T)


def encode(x, T, coding, rule, dtype=torch.float32):
    """uint8 images -> input activation (lambda_0 = 1) through contract.encode_input."""
    s = contract.spike_value(contract.encode_input(x, T, coding, rule), T, coding)
    return torch.from_numpy(s.astype(np.float64) / _norm(T, coding)).to(dtype)


def spikes_to_activation(spikes, T, coding):
    """Integer spikes (time k or count) -> activation in units of lambda."""
    return torch.from_numpy(contract.spike_value(spikes, T, coding).astype(np.float64)
                            / _norm(T, coding))


# -- float ANN -------------------------------------------------------------------------------------

class FloatANN(nn.Module):
    """The float ANN of an ``Arch`` on images of ``input_shape`` (C, H, W, already padded)."""

    def __init__(self, arch, input_shape):
        super().__init__()
        self.arch = arch
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        c = input_shape[0]
        shapes = arch.shapes(input_shape[:1] + tuple(s - 2 * arch.input_padding
                                                     for s in input_shape[1:]))
        flat_in = None
        for l, shape in zip(arch.layers, shapes):
            if l.kind == "conv2d":
                self.linears.append(nn.Conv2d(c, l.size, l.kernel, l.stride, l.padding,
                                              bias=False))
                self.norms.append(nn.BatchNorm2d(l.size))
                c = l.size
                flat_in = int(np.prod(shape))
            else:
                n_in = flat_in if flat_in is not None else int(np.prod(input_shape))
                last = l.kind == "classifier"
                self.linears.append(nn.Linear(n_in, l.size, bias=last))
                self.norms.append(nn.Identity() if last else nn.BatchNorm1d(l.size))
                flat_in = l.size

    def forward(self, x):
        for l, lin, bn in zip(self.arch.layers, self.linears, self.norms):
            if l.kind != "conv2d":
                x = x.flatten(1)
            x = lin(x)
            if l.kind == "classifier":
                return x
            x = Fn.relu(bn(x))
            if l.pool:
                x = Fn.max_pool2d(x, 2)

    def folded(self):
        """[(ArchLayer, weight, bias)] with BN folded: W' = W gamma/sigma,
        b' = beta - gamma mu/sigma."""
        out = []
        for l, lin, bn in zip(self.arch.layers, self.linears, self.norms):
            if l.kind == "classifier":
                out.append((l, lin.weight.detach().clone(), lin.bias.detach().clone()))
                continue
            g = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
            w = lin.weight.detach() * g.reshape((-1,) + (1,) * (lin.weight.dim() - 1))
            b = bn.bias.detach() - g * bn.running_mean
            out.append((l, w.clone(), b.clone()))
        return out


def save_float(layers, path, input_padding=0):
    """The folded float ANN as .npz (the format ``golden.floatnet`` reads)."""
    spec = [{"type": l.kind, "kernel": l.kernel, "stride": l.stride, "padding": l.padding,
             "pool": l.pool} for l, _, _ in layers]
    arrays = {"spec": np.array(json.dumps(spec)), "input_padding": np.array(input_padding)}
    for i, (_, w, b) in enumerate(layers):
        arrays[f"layer{i}.weight"] = w.numpy().astype(np.float32)
        arrays[f"layer{i}.bias"] = b.numpy().astype(np.float32)
    # np.savez stamps every member with the current time; a fixed stamp keeps the bytes
    # reproducible (same training -> same file)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def load_float(path):
    """[(ArchLayer, weight, bias)] of a .float.npz (older files: 3x3 convs, padding 1)."""
    with np.load(path) as z:
        spec = json.loads(str(z["spec"]))
        out = []
        for i, s in enumerate(spec):
            conv = s["type"] == "conv2d"
            w = torch.from_numpy(z[f"layer{i}.weight"].astype(np.float32))
            l = ArchLayer(s["type"], int(w.shape[0]), s.get("kernel", int(w.shape[-1]) if conv
                                                            else 1),
                          s.get("stride", 1), s.get("padding", 0), bool(s.get("pool")))
            out.append((l, w, torch.from_numpy(z[f"layer{i}.bias"].astype(np.float32))))
        return out


# -- CAT network -----------------------------------------------------------------------------------

class QuantFn(torch.autograd.Function):
    """The spiking quantiser with the QCFS straight-through gradient:
    dQ/dz = 1 on 0 <= z <= lambda, else 0; dQ/dlambda = (Q - z)/lambda inside, 1 above, 0 below."""

    @staticmethod
    def forward(ctx, z, lam, T, coding, c4):
        if coding == "ttfs":
            q = torch.zeros_like(z)
            for k in range(T - 1, -1, -1):
                level = lam * 2.0 ** -k
                q = torch.where(z >= (c4[k] / 4.0) * level, level, q)
        else:
            q = lam / T * torch.clamp(torch.floor(z * T / lam + 0.5), 0, T)
        ctx.save_for_backward(z, lam, q)
        return q

    @staticmethod
    def backward(ctx, g):
        z, lam, q = ctx.saved_tensors
        inside = (z >= 0) & (z <= lam)
        gz = g * inside.to(g.dtype)
        dl = torch.where(inside, (q - z) / lam, (z > lam).to(g.dtype))
        return gz, (g * dl).sum().reshape(lam.shape), None, None, None


class SpikeCountFn(torch.autograd.Function):
    """Spikes per image of a layer's output map ``a`` (what enters the spike buffer: after the
    TTFS max-pool), the activity regulariser's measure. Forward: the exact count (TTFS: neurons
    with a > 0, at most one spike each; rate: the counts a T / lambda). Backward: the count has
    no gradient, so its straight-through surrogate is that of the activation in units of one
    spike (TTFS: a / lambda, the weight of a k = 0 spike; rate: a T / lambda), which QuantFn's
    straight-through gradient turns into a constant push down on every pre-activation in
    0..lambda, however late the neuron fires (an L1 penalty on a would hardly touch late
    spikes, worth 2^-k)."""

    @staticmethod
    def forward(ctx, a, lam, T, coding):
        per_spike = lam / T if coding == "rate" else lam
        ctx.save_for_backward(per_spike)
        ctx.shape = a.shape
        if coding == "rate":
            n = torch.round(a / per_spike)
        else:
            n = (a > 0).to(a.dtype)
        return n.flatten(1).sum(1)

    @staticmethod
    def backward(ctx, g):
        (per_spike,) = ctx.saved_tensors
        ones = (1,) * (len(ctx.shape) - 1)
        grad = (g.reshape((-1,) + ones) / per_spike).expand(ctx.shape)
        return grad, None, None, None


def log_quantise(w, per_channel):
    """(value, sign, exponent, alpha): nearest level +-alpha 2^-e in the log2 domain, e in 0..14,
    e = 15 (zero) below alpha 2^-14.5; alpha = max |w| per output channel (or per layer)."""
    a = w.detach().abs()
    if per_channel:
        alpha = a.flatten(1).amax(1)
    else:
        alpha = a.max().expand(w.shape[0])
    alpha = torch.clamp(alpha, min=max(float(alpha.max()) * 1e-6, 1e-30))
    ab = alpha.reshape((-1,) + (1,) * (w.dim() - 1))
    r = torch.log2(ab / torch.clamp(a, min=1e-30))
    e = torch.clamp(torch.round(r), 0, contract.EXP_MAX)
    zero = r > contract.EXP_MAX + 0.5
    e = torch.where(zero, torch.full_like(e, contract.ZERO_EXP), e)
    sign = ((w.detach() < 0) & ~zero).to(torch.int64)
    val = torch.where(zero, torch.zeros_like(w), torch.where(sign == 1, -ab, ab) * 2.0 ** -e)
    return val.to(w.dtype), sign, e.to(torch.int64), alpha


class CATNet(nn.Module):
    """The BN-folded network with spiking quantisers, log weights and trainable lambdas (one per
    layer: the lambda of a layer is the value of its earliest spike, shared by its channels)."""

    def __init__(self, layers, T=8, coding="ttfs", rule="round", float_pool="max"):
        super().__init__()
        self.geometry = [l for l, _, _ in layers]
        self.kinds = [l.kind for l in self.geometry]
        self.weights = nn.ParameterList([nn.Parameter(w.clone().float()) for _, w, _ in layers])
        self.biases = nn.ParameterList([nn.Parameter(b.clone().float()) for _, _, b in layers])
        self.lams = nn.ParameterList([nn.Parameter(torch.tensor(1.0))
                                      for k in self.kinds if k != "classifier"])
        self.T, self.coding, self.rule = T, coding, rule
        self.c4 = contract.ttfs_c4(T, rule) if coding == "ttfs" else None
        #: the pool of the float ANN (``forward_float``): "max", or "avg" for an imported model
        #: that was trained with average pooling (golden.convert)
        self.float_pool = float_pool

    def lam(self, i):
        return torch.clamp(self.lams[i], min=1e-3)

    def _linear(self, i, a, quant):
        w = self.weights[i]
        if quant:  # codes chosen in float64 like the export: STE-trapped weights sit exactly
            # on level boundaries, where a float32 log2 could round the other way
            q = log_quantise(w.double(), per_channel=self.kinds[i] != "classifier")[0]
            w = w + (q.to(w.dtype) - w).detach()
        g = self.geometry[i]
        if g.kind == "conv2d":
            return Fn.conv2d(a, w, self.biases[i], stride=g.stride, padding=g.padding)
        return Fn.linear(a.flatten(1), w, self.biases[i])

    def _pool(self, i, a, float_mode=False):
        if not self.geometry[i].pool:
            return a
        if float_mode and self.float_pool == "avg":
            return Fn.avg_pool2d(a, 2)
        if float_mode or self.coding == "ttfs":
            return Fn.max_pool2d(a, 2)
        return Fn.avg_pool2d(a, 2)

    def forward(self, a0, net=None, images=None, activity=False):
        """The CAT forward, or the integer-semantics one when ``net`` is given (the entry point
        that DistributedDataParallel wraps). With ``activity``: (logits, spikes per image of
        the firing layers, summed: ``SpikeCountFn``), for the activity regulariser."""
        spikes = [] if activity else None
        if net is None:
            logits = self.forward_cat(a0, spikes=spikes)
        else:
            logits = self.forward_int(a0, net, images, spikes=spikes)[0]
        if not activity:
            return logits
        return logits, torch.stack(spikes).sum(0) if spikes else torch.zeros(len(a0))

    def forward_float(self, x01, collect=None):
        """The float ANN (ReLU, max-pool); collect gets each layer's activations."""
        a = x01
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=False)
            if kind == "classifier":
                return z
            a = Fn.relu(z)
            if collect is not None:
                collect.append(a.detach())
            a = self._pool(i, a, float_mode=True)

    def _count(self, i, pooled, a, spikes):
        """Append to ``spikes`` the spikes per image that layer ``i`` writes to the spike
        buffer: its pooled map in TTFS (earliest spike of a window), its map before pooling
        in rate coding (the average pool is folded into the next layer); returns ``pooled``."""
        if spikes is not None:
            spikes.append(SpikeCountFn.apply(pooled if self.coding == "ttfs" else a,
                                             self.lam(i), self.T, self.coding))
        return pooled

    def forward_cat(self, a0, collect=None, spikes=None):
        """The CAT model: quantised activations and log weights, real-valued lambdas and biases;
        collect gets each layer's quantised activations (before pooling), ``spikes`` each
        firing layer's spikes per image (``SpikeCountFn``: after pooling, as the spike buffer
        receives them)."""
        a = a0
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=True)
            if kind == "classifier":
                return z
            a = QuantFn.apply(z, self.lam(i), self.T, self.coding, self.c4)
            if collect is not None:
                collect.append(a.detach())
            a = self._count(i, self._pool(i, a), a, spikes)

    def forward_int(self, a0, net, images, res=None, spikes=None):
        """Integer semantics: forward values come from golden.dense on the exported ``net``
        (``res``: its layer results on ``images`` when already computed); the gradient is that
        of the CAT model. Returns (logits for the loss, exact scores)."""
        if res is None:
            _, res = dense.run(net, images)
        scales = export_scales(self, net.F)
        a = a0
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=True)
            if kind == "classifier":
                U = torch.from_numpy(res[i].membrane.astype(np.float64))
                exact = (U / torch.from_numpy(scales[i])[None]).to(z.device)
                return z + (exact.to(z.dtype) - z).detach(), exact
            lam = self.lam(i)
            q = QuantFn.apply(z, lam, self.T, self.coding, self.c4)
            exact = lam.detach() * spikes_to_activation(res[i].spikes, self.T,
                                                        self.coding).to(z.device)
            a = q + (exact.to(q.dtype) - q).detach()
            a = self._count(i, self._pool(i, a), a, spikes)


# -- export ----------------------------------------------------------------------------------------

def frac_bits(model):
    """F of the contract; rate-coded layers that read an average-pooled map need 2 more bits."""
    pooled = model.coding == "rate" and any(g.pool for g in model.geometry)
    return contract.min_frac_bits(model.coding, model.T, pooled_input=pooled)


def export_scales(model, F):
    """Per layer and output channel: the factor 2^F / (alpha lambda_{l-1}) (rate: times T) that
    maps the layer's real pre-activation z to its integer membrane U."""
    out = []
    lam_prev = 1.0
    for i, kind in enumerate(model.kinds):
        w = model.weights[i].detach().cpu().double()
        alpha = log_quantise(w, per_channel=kind != "classifier")[3].numpy()
        s = 2.0 ** F / (alpha * lam_prev)
        out.append(s * (model.T if model.coding == "rate" else 1))
        if kind != "classifier":
            lam_prev = float(model.lam(i).detach().cpu().double())
    return out


def export_doc(model, name, meta=None):
    """The network document (golden.network format) of the model's current parameters."""
    T, coding = model.T, model.coding
    F = frac_bits(model)
    layers = []
    lam_prev = 1.0
    for i, (g, kind) in enumerate(zip(model.geometry, model.kinds)):
        w = model.weights[i].detach().cpu().double()
        b = model.biases[i].detach().cpu().double().numpy()
        _, sign, e, alpha = log_quantise(w, per_channel=kind != "classifier")
        alpha = alpha.numpy()
        codes = contract.encode_code(sign.numpy(), e.numpy())
        scale = 2.0 ** F / (alpha * lam_prev)
        d = {"type": kind}
        if kind == "conv2d":
            d.update(out_channels=int(w.shape[0]), kernel=g.kernel, stride=g.stride,
                     padding=g.padding)
        else:
            d["out_features"] = int(w.shape[0])
        d["weights"] = network.codes_to_text(codes)
        d["bias"] = [int(v) for v in np.rint(b * scale)]
        if kind != "classifier":
            lam = float(model.lam(i).detach().cpu().double())
            theta = lam * scale
            if coding == "rate":
                theta = 2 * np.maximum(np.rint(theta / 2), 1)
            else:
                theta = np.maximum(np.rint(theta), 1)
            d["threshold"] = [int(v) for v in theta]
            lam_prev = lam
        layers.append(d)
        if g.pool:
            layers.append({"type": "maxpool2d" if coding == "ttfs" else "avgpool2d"})
    return {"format": network.FORMAT, "name": name, "input_shape": None, "coding": coding,
            "fire_rule": model.rule, "T": T, "F": F, "layers": layers, "meta": meta or {}}


def build(model, name, input_shape, meta=None):
    """The validated Network of the model's parameters; ExportError when it breaks the contract."""
    doc = export_doc(model, name, meta)
    doc["input_shape"] = list(input_shape)
    try:
        return network.build_network(doc)
    except (network.NetworkError, contract.ContractError) as exc:
        raise ExportError(f"{name}: export refused: {exc}") from None

