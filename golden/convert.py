"""Bring your own model: a float ANN from another tool -> a network of this project.

``golden.nir`` (a foreign NIR graph) and ``golden.torch_import`` (a ``torch.nn.Sequential``) read
a model into float layers ``[(ArchLayer, weight, bias)]`` with batch norms and neuron scales
folded in (the form ``golden.catnet.FloatANN.folded`` returns). ``convert`` takes them through
the pipeline of ``golden.train`` from its step 2 on: lambda initialisation, CAT fine-tune,
integer-semantics fine-tune and the validated integer export, on a named data set, with a
progress bar, and writes the network file with the model's held-out accuracy before (the float
ANN as the source tool defined it) and after conversion (the exported integers through
``golden.dense``) in its ``meta``.

torch is imported only when ``convert`` runs (the ``[train]`` extra); the option helpers here are
NumPy-only so that the command lines can parse and refuse before torch loads.
"""

import dataclasses
import os
import tempfile

import numpy as np

from . import arch as archmod
from . import cli, contract, data, network

__all__ = ["ConvertError", "DEFAULTS", "add_options", "options", "convert"]

#: a short fine-tune (CPU is scarce); the options override it
DEFAULTS = {"T": 8, "coding": "ttfs", "rule": "round", "cat_epochs": 3, "int_epochs": 1,
            "seed": 0, "threads": 1}


class ConvertError(ValueError):
    """The model cannot become a network here (one line)."""


def add_options(ap):
    """The conversion options of a command line (argparse parser)."""
    ap.add_argument("--T", type=cli.count(1, contract.T_MAX),
                    help=f"time steps (default {DEFAULTS['T']})")
    ap.add_argument("--coding", choices=contract.CODINGS,
                    help=f"spike coding (default {DEFAULTS['coding']})")
    ap.add_argument("--rule", choices=contract.FIRE_RULES,
                    help=f"TTFS fire rule (default {DEFAULTS['rule']})")
    ap.add_argument("--cat-epochs", type=cli.count(0),
                    help=f"CAT fine-tune epochs (default {DEFAULTS['cat_epochs']})")
    ap.add_argument("--int-epochs", type=cli.count(0),
                    help=f"integer-semantics epochs (default {DEFAULTS['int_epochs']})")
    ap.add_argument("--seed", type=cli.count(0), help="seed (default 0)")
    ap.add_argument("--threads", type=cli.count(1, 256),
                    help="torch and BLAS threads (default 1)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")


def options(args):
    """The keyword arguments of ``convert`` from parsed ``add_options`` options."""
    out = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k, None) is not None}
    out["progress"] = not getattr(args, "quiet", False)
    return out


def _input_padding(graph_shape, data_shape, first):
    """The arch's input padding that turns the data set's images into the model's input."""
    if graph_shape is None:  # the model takes a flat vector: the image, flattened
        if first.kind == "conv2d":
            raise ConvertError("the model takes a flat vector but starts with a convolution")
        return 0
    c, h, w = graph_shape
    dc, dh, dw = data_shape
    ph, pw = h - dh, w - dw
    if c != dc or ph != pw or ph < 0 or ph % 2 or ph // 2 > archmod.INPUT_PAD_MAX:
        raise ConvertError(f"the model's input {tuple(graph_shape)} is not the data set's "
                           f"{tuple(data_shape)} images (zero-padded by 0..{archmod.INPUT_PAD_MAX}"
                           " pixels on every side)")
    return ph // 2


def convert(layers, *, name, dataset, out, graph_input_shape=None, float_pool=None, source=None,
            progress=True, log=print, **opts):
    """Fine-tune float ``layers`` into a network, write it to ``out`` (atomic) and return
    (Network, report). ``graph_input_shape``: the model's (C, H, W) input (None: a flat vector);
    ``float_pool``: "avg" when the model pools by averaging; ``source``: recorded in the meta;
    ``opts``: the keys of ``DEFAULTS``. ConvertError on any refusal."""
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"convert: unknown options {sorted(unknown)}")
    o = dict(DEFAULTS, **opts)
    if not network.NAME_PATTERN.fullmatch(name):
        raise ConvertError(f"name {name!r} is not a network name (1 to 64 of A-Z a-z 0-9 _ . -)")
    try:
        import torch

        from . import catnet, train
    except ImportError as exc:
        raise ConvertError(f"the CAT fine-tune needs PyTorch: pip install 'torch==2.13.0' (the "
                           f"[train] extra) ({exc})") from None
    try:
        data_shape = data.load(dataset, "heldout")[0].shape[1:]
        pad = _input_padding(graph_input_shape, data_shape, layers[0][0])
        arch = archmod.Arch(tuple(l for l, _, _ in layers), pad)
        arch.shapes(data_shape)
        spec = arch.spec
        if archmod.parse(spec) != arch:
            raise ConvertError(f"the model's layers have no architecture spec ({spec})")
        cur = arch.input_shape(data_shape)
        for i, ((l, w, _), shape) in enumerate(zip(layers, arch.shapes(data_shape))):
            want = cur[0] if l.kind == "conv2d" else int(np.prod(cur))
            if np.shape(w)[1] != want:
                raise ConvertError(f"layer {i + 1} ({l.kind}) takes {np.shape(w)[1]} inputs, "
                                   f"the {'x'.join(map(str, cur))} map before it has {want}")
            cur = shape
    except (data.DatasetUnavailable, data.UnknownDataset, archmod.ArchError) as exc:
        raise ConvertError(cli.reason(exc)) from None
    tlayers = [(l, torch.from_numpy(np.asarray(w, dtype=np.float32)),
                torch.from_numpy(np.asarray(b, dtype=np.float32))) for l, w, b in layers]
    train._deterministic(o["threads"])
    with tempfile.TemporaryDirectory(prefix="snn-convert-") as tmp:
        float_from = os.path.join(tmp, "imported.float.npz")
        catnet.save_float(tlayers, float_from, pad)
        staged = os.path.join(tmp, "net.json")
        try:
            net, report = train.train_network(
                name, T=o["T"], coding=o["coding"], rule=o["rule"], seed=o["seed"],
                out=staged, progress=progress, float_from=float_from,
                log=lambda text: log(text.replace(staged, out).replace(float_from, "the model")),
                arch=spec, dataset=data.dataset_of(dataset),
                settings={"cat_epochs": o["cat_epochs"], "int_epochs": o["int_epochs"]},
                float_pool=float_pool or "max")
        except (train.ExportError, data.DatasetUnavailable, data.UnknownDataset,
                archmod.ArchError) as exc:
            raise ConvertError(cli.reason(exc)) from None
    meta = dict(net.meta, float_model=None,
                source=dict(source or {}, float_pool=float_pool or "max",
                            note="heldout.float_acc is the imported float ANN's accuracy "
                                 "(before conversion), heldout.int_acc the network's (after)"))
    net = dataclasses.replace(net, meta=meta)
    try:
        network.save(net, out)
    except (network.NetworkError, OSError) as exc:
        raise ConvertError(f"{out}: {cli.reason(exc)}") from None
    h = meta["heldout"]
    log(f"{out}: {name}: held-out accuracy {h['float_acc']:.4f} before conversion (float), "
        f"{h['int_acc']:.4f} after ({o['coding']}, T={o['T']}, {h['images']} images)")
    return net, dict(report, meta=meta)
