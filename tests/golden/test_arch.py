"""golden.arch: architecture specs parse, validate with one-line errors, and name the shipped
architectures exactly."""

import pytest

from golden import arch, network


def test_parse_defaults_and_canonical_spec():
    a = arch.parse("pad=2, c16,c16p0,p,c32k5s2p2,fc64,fc10")
    assert a.input_padding == 2 and a.conv_layers == 3 and a.classes == 10
    kinds = [(l.kind, l.size, l.kernel, l.stride, l.padding, l.pool) for l in a.layers]
    assert kinds == [("conv2d", 16, 3, 1, 1, False), ("conv2d", 16, 3, 1, 0, True),
                     ("conv2d", 32, 5, 2, 2, False), ("dense", 64, 1, 1, 0, False),
                     ("classifier", 10, 1, 1, 0, False)]
    assert a.spec == "pad=2,c16,c16p0,p,c32k5s2,fc64,fc10"
    assert arch.parse(a.spec) == a
    assert a.input_shape((1, 28, 28)) == (1, 32, 32)
    assert a.shapes((1, 28, 28)) == [(16, 32, 32), (16, 15, 15), (32, 8, 8), (64,), (10,)]


@pytest.mark.parametrize("name", ["digits", "mnist"])
def test_named_architectures_are_the_shipped_ones(name):
    """digits and mnist name exactly the layers of the shipped network files."""
    net = network.load(name)
    a = arch.arch_of(name)
    data_shape = net.input_shape
    assert a.input_shape(data_shape) == net.input_shape
    got = [(l.kind, l.out_shape[0], l.kernel, l.stride, l.padding, l.pool) for l in net.layers]
    want = [(l.kind, l.size, l.kernel if l.kind == "conv2d" else 1, l.stride, l.padding, l.pool)
            for l in a.layers]
    assert got == want
    assert [l.pooled_shape for l in net.layers] == [tuple(s) for s in a.shapes(data_shape)]


def test_vgg16_topology():
    a = arch.arch_of("mnist-vgg16-ttfs-t4")
    assert a.conv_layers == 13 and sum(l.pool for l in a.layers) == 5
    assert a.shapes((1, 28, 28))[-2] == (128, 1, 1)
    assert arch.arch_of("mnist-conv4").conv_layers == 4
    assert arch.arch_of("mnist-vgg11").conv_layers == 8


@pytest.mark.parametrize("spec, message", [
    ("", "architecture spec is empty"),
    ("c16,p,p,fc10", "token 3 'p': a pool must follow a convolution"),
    ("p,c16,fc10", "token 1 'p': a pool must follow"),
    ("c16,fc32,c8,fc10", "'c8': a convolution cannot follow a fully connected layer"),
    ("c16,p", "the last token must be the classifier"),
    ("c16,,fc10", "empty token at position 2"),
    ("c16k9,fc10", "'c16k9': kernel 9 outside 1..7"),
    ("c16s3,fc10", "'c16s3': stride 3 outside 1..2"),
    ("c16p3,fc10", "'c16p3': padding 3 must be smaller than the kernel 3"),
    ("c0,fc10", "'c0': channels 0 outside 1..4096"),
    ("c16,pad=2,fc10", "'pad=2': the input padding must come first"),
    ("conv16,fc10", "'conv16' is not one of pad=N"),
    ("c8,p,c8,p,c8,p,c8,p,fc10", None),  # parses; the shape check below refuses it
])
def test_errors_are_one_line(spec, message):
    if message is None:
        a = arch.parse(spec)
        with pytest.raises(arch.ArchError, match="pooling needs an even height and width"):
            a.shapes((1, 8, 8))
        return
    with pytest.raises(arch.ArchError) as exc:
        arch.parse(spec)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_classes_checked():
    with pytest.raises(arch.ArchError, match="classifier has 7 outputs but the data set has 10"):
        arch.parse("c4,fc7").check_classes(10)


@pytest.mark.parametrize("name, parts", [
    ("mnist", ("mnist", None, None, None)),
    ("mnist-rate-t4", ("mnist", "rate", 4, None)),
    ("digits-floor", ("digits", None, None, "floor")),
    ("mnist-vgg16-ttfs-t2", ("mnist-vgg16", "ttfs", 2, None)),
    ("mnist-vgg16", ("mnist-vgg16", None, None, None)),
])
def test_split_name(name, parts):
    assert arch.split_name(name) == parts


def test_unknown_name():
    with pytest.raises(arch.ArchError, match="no architecture named 'mnist-vgg99'"):
        arch.arch_of("mnist-vgg99-ttfs-t4")
