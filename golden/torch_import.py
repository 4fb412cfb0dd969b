"""PyTorch import: a trained ``torch.nn.Sequential`` -> a network of this project.

    python -m golden.torch_import MODEL.pt --data mnist --out build/nets/mnist-mine.json

``MODEL.pt`` is a whole module saved with ``torch.save(model, path)``; it is loaded with
``torch.load(weights_only=True)``, which admits only the layer classes below (no code of the
file runs), so an unsupported layer is refused as the file is read. From Python:
``golden.torch_import.read_module(model)`` and ``golden.convert.convert``, or ``import_module``.

The model is a ``torch.nn.Sequential`` (nested ones are flattened) of

    (Conv2d [BatchNorm2d] ReLU [MaxPool2d(2) | AvgPool2d(2)])* Flatten
    (Linear [BatchNorm1d] ReLU [Dropout])* Linear

on images scaled to [0, 1] (``x / 255``, the contract's input with lambda_0 = 1): square kernels
up to 7, strides 1 or 2, zero padding up to 3, no dilation or groups; 2x2 pools of stride 2.
Batch norms are folded into the layer before them, dropout is the identity at inference. A module
of these layers that is not a ``Sequential`` is accepted when its forward is its children in
order (checked on a random input). Each refusal names the layer and the reason.
"""

import os
import sys

import numpy as np

from . import cli, contract, convert, data, network
from .arch import KERNEL_MAX, PADDING_MAX, STRIDES, ArchLayer

__all__ = ["TorchImportError", "SUPPORTED", "read_module", "load_file", "import_module", "main"]

#: the torch.nn classes a model may consist of
SUPPORTED = ("Sequential", "Conv2d", "BatchNorm2d", "BatchNorm1d", "ReLU", "MaxPool2d",
             "AvgPool2d", "Flatten", "Linear", "Dropout")


class TorchImportError(ValueError):
    """A model this project cannot run (one line naming the layer)."""


def _torch():
    try:
        import torch
    except ImportError:
        raise TorchImportError("needs PyTorch: pip install 'torch==2.13.0' (the [train] "
                               "extra)") from None
    return torch


def _leaves(model):
    """(name, module) of the model's layers in order; nested Sequentials flattened."""
    nn = _torch().nn
    out = []
    for name, m in model.named_children():
        if isinstance(m, nn.Sequential):
            out += [(f"{name}.{n}", c) for n, c in _leaves(m)]
        else:
            out.append((name, m))
    return out


def _square(value, name, what):
    v = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(set(v)) != 1 or not isinstance(v[0], int):
        raise TorchImportError(f"layer {name}: {what} {value!r} is not one square integer")
    return v[0]


def _check_order(model, leaves, input_shape):
    """A non-Sequential module must compute its children in order."""
    torch = _torch()
    if isinstance(model, torch.nn.Sequential) or input_shape is None:
        return
    x = torch.rand((2,) + tuple(input_shape), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = model(x)
        got = x
        for _, m in leaves:
            got = m(got)
    if not isinstance(want, torch.Tensor) or want.shape != got.shape or \
            not torch.allclose(want, got, rtol=1e-4, atol=1e-5):
        raise TorchImportError(f"{type(model).__name__}: its forward is not its layers in order "
                               "(wrap them in a torch.nn.Sequential)")


def _fold_bn(name, bn, w, b):
    """W' = W gamma/sigma, b' = gamma (b - mu)/sigma + beta (eval-mode batch norm)."""
    if bn.running_mean is None or bn.running_var is None:
        raise TorchImportError(f"layer {name} ({type(bn).__name__}): no running statistics "
                               "(track_running_stats=False) to fold")
    mean = bn.running_mean.detach().double().numpy()
    g = 1.0 / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps)
    beta = np.zeros_like(mean)
    if bn.weight is not None:
        g = g * bn.weight.detach().double().numpy()
        beta = bn.bias.detach().double().numpy()
    return w * g.reshape((-1,) + (1,) * (w.ndim - 1)), g * (b - mean) + beta


def read_module(model, input_shape=None):
    """(layers [(ArchLayer, weight, bias)] float64 with batch norms folded, float_pool) of a
    model; ``input_shape`` (C, H, W) lets a non-Sequential module's order be checked."""
    torch = _torch()
    nn = torch.nn
    leaves = _leaves(model) if len(list(model.children())) else [("0", model)]
    for name, m in leaves:
        if type(m).__name__ not in SUPPORTED or not isinstance(m, getattr(nn, type(m).__name__)):
            raise TorchImportError(f"layer {name} ({type(m).__name__}): not supported; the "
                                   f"contract runs {', '.join(SUPPORTED[1:])}")
    _check_order(model, leaves, input_shape)
    layers, pools, flat = [], set(), False
    pending = None  # [name, kind, w, b, geometry, had_bn]
    for name, m in leaves:
        kind = type(m).__name__
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if pending is not None:
                raise TorchImportError(f"layer {name} ({kind}) follows layer {pending[0]} "
                                       "without a ReLU between them")
            w = m.weight.detach().double().numpy()
            b = m.bias.detach().double().numpy() if m.bias is not None else np.zeros(w.shape[0])
            if isinstance(m, nn.Conv2d):
                if flat:
                    raise TorchImportError(f"layer {name} (Conv2d): a convolution after Flatten")
                k = _square(m.kernel_size, name, "kernel")
                s = _square(m.stride, name, "stride")
                if isinstance(m.padding, str):
                    raise TorchImportError(f"layer {name} (Conv2d): padding {m.padding!r}; give "
                                           "it as an integer")
                p = _square(m.padding, name, "padding")
                dilation = _square(m.dilation, name, "dilation")
                if dilation != 1:
                    raise TorchImportError(f"layer {name} (Conv2d): dilation {dilation}; the "
                                           "contract's convolutions are not dilated")
                if m.groups != 1:
                    raise TorchImportError(f"layer {name} (Conv2d): groups = {m.groups}; the "
                                           "contract's convolutions are dense (groups = 1)")
                if m.padding_mode != "zeros":
                    raise TorchImportError(f"layer {name} (Conv2d): padding_mode "
                                           f"{m.padding_mode!r}; the contract pads with zeros")
                if k > KERNEL_MAX or s not in STRIDES or p > PADDING_MAX or p >= k:
                    raise TorchImportError(
                        f"layer {name} (Conv2d): kernel {k}, stride {s}, padding {p}; the "
                        f"contract runs kernels up to {KERNEL_MAX}, strides {STRIDES}, padding "
                        f"up to {PADDING_MAX} and below the kernel")
                pending = [name, "conv2d", w, b, dict(kernel=k, stride=s, padding=p), False]
            else:
                if not flat and layers and layers[-1][0].kind == "conv2d":
                    raise TorchImportError(f"layer {name} (Linear): needs a Flatten before it")
                flat = True
                pending = [name, "dense", w, b, {}, False]
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            want = "conv2d" if isinstance(m, nn.BatchNorm2d) else "dense"
            if pending is None or pending[1] != want or pending[5]:
                raise TorchImportError(f"layer {name} ({kind}): must follow a "
                                       f"{'Conv2d' if want == 'conv2d' else 'Linear'} layer "
                                       "directly (it is folded into it)")
            pending[2], pending[3] = _fold_bn(name, m, pending[2], pending[3])
            pending[5] = True
        elif isinstance(m, nn.ReLU):
            if pending is None:
                raise TorchImportError(f"layer {name} (ReLU): follows no Conv2d or Linear layer")
            pname, lkind, w, b, geom, _ = pending
            layers.append((ArchLayer(lkind, int(w.shape[0]), **geom), w, b))
            pending = None
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k = _square(m.kernel_size, name, "kernel_size")
            s = k if m.stride is None else _square(m.stride, name, "stride")
            p = _square(m.padding, name, "padding")
            if (k, s, p) != (2, 2, 0) or m.ceil_mode or \
                    (isinstance(m, nn.MaxPool2d) and _square(m.dilation, name, "dilation") != 1):
                raise TorchImportError(f"layer {name} ({kind}): kernel {k}, stride {s}, padding "
                                       f"{p}; the contract pools 2x2 windows with stride 2")
            if pending is not None or not layers or layers[-1][0].kind != "conv2d" or \
                    layers[-1][0].pool or flat:
                raise TorchImportError(f"layer {name} ({kind}): a pool must follow a "
                                       "convolution's ReLU")
            l, w, b = layers[-1]
            layers[-1] = (ArchLayer(l.kind, l.size, l.kernel, l.stride, l.padding, True), w, b)
            pools.add("max" if isinstance(m, nn.MaxPool2d) else "avg")
        elif isinstance(m, nn.Flatten):
            if pending is not None or flat:
                raise TorchImportError(f"layer {name} (Flatten): must follow a ReLU or pool, "
                                       "once")
            if m.start_dim != 1 or m.end_dim != -1:
                raise TorchImportError(f"layer {name} (Flatten): start_dim {m.start_dim}, "
                                       f"end_dim {m.end_dim}; expected 1, -1")
            flat = True
        elif isinstance(m, nn.Dropout):
            if pending is not None:
                raise TorchImportError(f"layer {name} (Dropout): between layer {pending[0]} and "
                                       "its ReLU")
    if pending is None or pending[1] != "dense" or pending[5]:
        raise TorchImportError("the last layer must be a Linear classifier without ReLU or "
                               "batch norm after it")
    _, _, w, b, _, _ = pending
    layers.append((ArchLayer("classifier", int(w.shape[0])), w, b))
    if len(pools) > 1:
        raise TorchImportError("the model mixes max and average pools")
    return layers, pools.pop() if pools else "max"


def load_file(path):
    """The module of a ``torch.save(model)`` file, loaded with only SUPPORTED classes."""
    torch = _torch()
    nn = torch.nn
    if not os.path.isfile(path):
        raise TorchImportError(f"{path}: no such file")
    allowed = [getattr(nn, n) for n in SUPPORTED]
    try:
        with torch.serialization.safe_globals(allowed):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch.load raises many types; one line each
        text = str(exc)
        marker = "Unsupported global: GLOBAL "
        if marker in text:
            cls = text.split(marker, 1)[1].split()[0]
            raise TorchImportError(f"{path}: layer class {cls} is not supported; the contract "
                                   f"runs {', '.join(SUPPORTED)}") from None
        raise TorchImportError(f"{path}: not a saved torch module ({cli.reason(exc)})") from None
    if not isinstance(obj, nn.Module):
        raise TorchImportError(f"{path}: holds a {type(obj).__name__}, not a module (save the "
                               "model with torch.save(model, path), not its state_dict)")
    return obj.eval()


def import_module(model, *, name, dataset, out, input_shape=None, source=None, **opts):
    """Convert a model (see the module doc) into the network file ``out``; returns (Network,
    report). ``input_shape``: the model's (C, H, W) input (default: the data set's images)."""
    if input_shape is None:
        try:
            input_shape = data.load(dataset, "heldout")[0].shape[1:]
        except (data.DatasetUnavailable, data.UnknownDataset) as exc:
            raise convert.ConvertError(cli.reason(exc)) from None
    layers, pool = read_module(model, input_shape)
    return convert.convert(layers, name=name, dataset=dataset, out=out,
                           graph_input_shape=input_shape if layers[0][0].kind == "conv2d"
                           else None, float_pool=pool,
                           source=source or {"format": "torch", "model": type(model).__name__},
                           **opts)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.torch_import",
                            description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a torch.save(model) file")
    ap.add_argument("--data", required=True, help="data set of the CAT fine-tune")
    ap.add_argument("--out", required=True, help="output network file (.json)")
    ap.add_argument("--name", help="network name (default: the output file's stem)")
    convert.add_options(ap)
    args = ap.parse_args(argv)
    try:
        cli.check_output(args.out)
        model = load_file(args.model)
        name = args.name or os.path.splitext(os.path.basename(args.out))[0]
        import_module(model, name=name, dataset=args.data, out=args.out,
                      source={"format": "torch", "file": os.path.basename(args.model)},
                      **convert.options(args))
    except (TorchImportError, convert.ConvertError, network.NetworkError,
            contract.ContractError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
