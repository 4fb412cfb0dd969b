"""Network architectures as data: a short spec string, parsed and validated (NumPy only, no torch).

A spec is a comma-separated list of tokens, read left to right::

    pad=2,c16,c16,p,c32,c32,p,fc128,fc10

``pad=N``
    Input setting (first token only): the images are zero-padded by N pixels on every side
    before the first layer (MNIST 28x28 with ``pad=2`` becomes 32x32). The padded size is the
    network's ``input_shape``; ``golden.data.load(..., input_shape=...)`` pads the images.
``c<channels>[k<kernel>][s<stride>][p<padding>]``
    Convolution followed by the spiking non-linearity; kernel 3, stride 1 and padding
    ``kernel // 2`` unless given (``c64k5s2p2``).
``p``
    2x2 max-pool (average pool in rate coding) of the preceding convolution.
``fc<features>``
    Fully connected layer; the last token must be one, and it is the classifier (its features
    are the classes).

The grammar is that of the network file (``golden.network``): ``(conv pool?)* fc* classifier``.
Errors are ``ArchError`` with a one-line message naming the token.

Named architectures (``ARCHS``) are the shipped networks' (``digits``, ``mnist``) and the deep
ones; a network name ``<arch>[-<coding>][-t<T>][-<rule>]`` uses the architecture of its
longest matching prefix (``mnist-vgg16-ttfs-t4`` -> ``mnist-vgg16``).
"""

import re
from dataclasses import dataclass

from . import contract

__all__ = ["ArchError", "ArchLayer", "Arch", "parse", "ARCHS", "arch_of", "split_name"]

#: named architectures: data set (the name's first part) and spec
ARCHS = {
    "digits": "c8,p,c16,p,fc10",
    "mnist": "c16,p,c32,p,fc10",
    # the middle-depth and deep MNIST networks: VGG blocks (each ends with a 2x2 pool),
    # MNIST padded to 32x32 so that five pools reach 1x1
    "mnist-conv4": "pad=2,c16,c16,p,c32,c32,p,fc10",
    "mnist-vgg11": "pad=2,c16,p,c32,p,c64,c64,p,c128,c128,p,c128,c128,p,fc10",
    "mnist-vgg16": ("pad=2,c16,c16,p,c32,c32,p,c64,c64,c64,p,c128,c128,c128,p,"
                    "c128,c128,c128,p,fc10"),
    # full-width VGG-16 for the 32x32 colour data sets (trained where the data and GPUs are)
    "cifar10-vgg16": ("c64,c64,p,c128,c128,p,c256,c256,c256,p,c512,c512,c512,p,"
                      "c512,c512,c512,p,fc512,fc10"),
    "cifar100-vgg16": ("c64,c64,p,c128,c128,p,c256,c256,c256,p,c512,c512,c512,p,"
                       "c512,c512,c512,p,fc512,fc100"),
    "tinyimagenet-vgg16": ("c64,c64,p,c128,c128,p,c256,c256,c256,p,c512,c512,c512,p,"
                           "c512,c512,c512,p,fc512,fc200"),
}
#: aliases: the names the issue uses
ARCHS["vgg16-cifar10"] = ARCHS["cifar10-vgg16"]
ARCHS["vgg16-cifar100"] = ARCHS["cifar100-vgg16"]
ARCHS["vgg16-tinyimagenet"] = ARCHS["tinyimagenet-vgg16"]

#: limits of the network file format (golden.network)
KERNEL_MAX, PADDING_MAX, STRIDES, CHANNELS_MAX, FEATURES_MAX = 7, 3, (1, 2), 4096, 65536
INPUT_PAD_MAX = 16

_CONV = re.compile(r"c(\d+)(?:k(\d+))?(?:s(\d+))?(?:p(\d+))?")
_FC = re.compile(r"fc(\d+)")
_PAD = re.compile(r"pad=(\d+)")


class ArchError(ValueError):
    """A malformed or unsupported architecture spec (one-line message)."""


@dataclass(frozen=True)
class ArchLayer:
    """One compute layer: ``kind`` conv2d, dense or classifier; ``size`` its output channels or
    features; conv geometry; ``pool`` when a 2x2 pool follows."""
    kind: str
    size: int
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    pool: bool = False

    @property
    def token(self):
        if self.kind != "conv2d":
            return f"fc{self.size}"
        t = f"c{self.size}"
        if self.kernel != 3:
            t += f"k{self.kernel}"
        if self.stride != 1:
            t += f"s{self.stride}"
        if self.padding != self.kernel // 2:
            t += f"p{self.padding}"
        return t + (",p" if self.pool else "")


@dataclass(frozen=True)
class Arch:
    layers: tuple
    input_padding: int = 0

    @property
    def spec(self):
        """The canonical spec string (defaults left out)."""
        head = [f"pad={self.input_padding}"] if self.input_padding else []
        return ",".join(head + [l.token for l in self.layers])

    @property
    def conv_layers(self):
        return sum(l.kind == "conv2d" for l in self.layers)

    @property
    def classes(self):
        return self.layers[-1].size

    def input_shape(self, data_shape):
        """Network input (C, H, W) of images of ``data_shape`` after the input padding."""
        c, h, w = data_shape
        p = self.input_padding
        return (c, h + 2 * p, w + 2 * p)

    def shapes(self, data_shape):
        """Output shape of every layer (after its pool); ArchError if a layer does not fit."""
        cur = self.input_shape(data_shape)
        out = []
        for i, l in enumerate(self.layers):
            where = f"layer {i + 1} ({l.token.split(',')[0]})"
            if l.kind == "conv2d":
                c, h, w = cur
                ho = (h + 2 * l.padding - l.kernel) // l.stride + 1
                wo = (w + 2 * l.padding - l.kernel) // l.stride + 1
                if ho < 1 or wo < 1:
                    raise ArchError(f"{where}: kernel {l.kernel} does not fit the {h}x{w} input")
                if l.pool and (ho % 2 or wo % 2):
                    raise ArchError(f"{where}: pooling needs an even height and width, "
                                    f"got {ho}x{wo}")
                cur = (l.size, ho // 2, wo // 2) if l.pool else (l.size, ho, wo)
            else:
                cur = (l.size,)
            out.append(cur)
        return out

    def check_classes(self, classes):
        if self.classes != classes:
            raise ArchError(f"the classifier has {self.classes} outputs but the data set has "
                            f"{classes} classes")


def _int(text, what, lo, hi, token):
    v = int(text)
    if not lo <= v <= hi:
        raise ArchError(f"architecture token {token!r}: {what} {v} outside {lo}..{hi}")
    return v


def parse(spec):
    """Parse and validate an architecture spec (or a name of ``ARCHS``); returns an Arch."""
    if not isinstance(spec, str) or not spec.strip():
        raise ArchError("architecture spec is empty (example: c16,p,c32,p,fc10)")
    spec = ARCHS.get(spec.strip(), spec)
    tokens = [t.strip() for t in spec.split(",")]
    layers, pad = [], 0
    for i, tok in enumerate(tokens):
        if not tok:
            raise ArchError(f"architecture spec {spec!r}: empty token at position {i + 1}")
        if m := _PAD.fullmatch(tok):
            if i:
                raise ArchError(f"architecture token {tok!r}: the input padding must come first")
            pad = _int(m[1], "input padding", 0, INPUT_PAD_MAX, tok)
        elif tok == "p":
            if not layers or layers[-1].kind != "conv2d" or layers[-1].pool:
                raise ArchError(f"architecture token {i + 1} 'p': a pool must follow a "
                                "convolution (c...)")
            last = layers[-1]
            layers[-1] = ArchLayer(last.kind, last.size, last.kernel, last.stride, last.padding,
                                   pool=True)
        elif m := _CONV.fullmatch(tok):
            if layers and layers[-1].kind != "conv2d":
                raise ArchError(f"architecture token {tok!r}: a convolution cannot follow a "
                                "fully connected layer")
            size = _int(m[1], "channels", 1, CHANNELS_MAX, tok)
            k = _int(m[2], "kernel", 1, KERNEL_MAX, tok) if m[2] else 3
            s = _int(m[3], "stride", 1, max(STRIDES), tok) if m[3] else 1
            p = _int(m[4], "padding", 0, PADDING_MAX, tok) if m[4] else k // 2
            if p >= k:
                raise ArchError(f"architecture token {tok!r}: padding {p} must be smaller than "
                                f"the kernel {k}")
            layers.append(ArchLayer("conv2d", size, k, s, p))
        elif m := _FC.fullmatch(tok):
            layers.append(ArchLayer("dense", _int(m[1], "features", 1, FEATURES_MAX, tok)))
        else:
            raise ArchError(f"architecture token {tok!r} is not one of pad=N, c<channels>"
                            "[k<kernel>][s<stride>][p<padding>], p, fc<features>")
    if not layers or layers[-1].kind != "dense":
        raise ArchError(f"architecture spec {spec!r}: the last token must be the classifier "
                        "fc<classes>")
    last = layers[-1]
    layers[-1] = ArchLayer("classifier", last.size)
    return Arch(tuple(layers), pad)


def split_name(name):
    """``mnist-vgg16-ttfs-t4`` -> (``mnist-vgg16``, coding, T, rule); missing parts are None.
    The base is everything before the first coding/T/rule part."""
    parts = str(name).split("-")
    coding = T = rule = None
    cut = len(parts)
    for j in range(len(parts) - 1, 0, -1):
        part = parts[j]
        if part in contract.CODINGS and coding is None:
            coding = part
        elif part in contract.FIRE_RULES and rule is None:
            rule = part
        elif re.fullmatch(r"t\d+", part) and T is None:
            T = int(part[1:])
        else:
            break
        cut = j
    return "-".join(parts[:cut]), coding, T, rule


def arch_of(name):
    """The named architecture of a network name (its base, see ``split_name``); ArchError when the
    name has none."""
    base = split_name(name)[0]
    if base not in ARCHS:
        raise ArchError(f"no architecture named {base!r} (known: {', '.join(sorted(ARCHS))}; "
                        "or give a spec)")
    return parse(ARCHS[base])
