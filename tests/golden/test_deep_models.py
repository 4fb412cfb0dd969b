"""The dense and event-driven golden models stay equal bit for bit on deep networks."""

import numpy as np
import pytest
from test_event_equals_dense import assert_equal_models  # noqa: E402 (same folder)

from golden import arch, data, floatnet, network
from golden import randnet as R
from golden.nets import SHIPPED_ALL

#: deep random networks: 13 and 8 conv layers of golden.arch, narrowed so the test stays short,
#: with a hidden dense layer, a stride-2 conv and a 5x5 kernel
DEEP_SPECS = [
    "pad=2,c2,c2,p,c3,c3,p,c3,c3,c3,p,c4,c4,c4,p,c4,c4,c4,p,fc10",
    "c3,c3,p,c4k5p2,c4,p,c4s2,c4,c4,c4,fc6,fc5",
]


@pytest.mark.parametrize("coding", ["ttfs", "rate"])
@pytest.mark.parametrize("spec", DEEP_SPECS)
def test_random_deep_network(spec, coding):
    rng = np.random.default_rng(len(spec))
    net = R.random_network(rng, (1, 28, 28), spec, coding=coding, T=4 if coding == "rate" else 8,
                           calib_images=4)
    a = arch.parse(spec)
    assert sum(l.kind == "conv2d" for l in net.layers) == a.conv_layers
    assert net.input_shape == a.input_shape((1, 28, 28))
    assert_equal_models(net, R.random_images(rng, net.input_shape, 3))



#: the shipped deep networks and their conv layers
SHIPPED_DEEP = {"mnist-conv4": 4, "mnist-vgg11": 8, "mnist-vgg16": 13, "mnist-vgg16-ttfs-t2": 13,
                "mnist-vgg16-ttfs-t4": 13, "mnist-vgg16-rate-t2": 13, "mnist-vgg16-rate-t4": 13,
                "mnist-vgg16-rate-t8": 13}


@pytest.mark.parametrize("name", sorted(SHIPPED_DEEP))
def test_shipped_deep_network(name):
    """The shipped deep networks load, have their architecture, and the event-driven model
    equals the dense one on real held-out images (all 2,000: ``golden.evaluate``)."""
    net = network.load(name)
    assert name in SHIPPED_ALL
    assert sum(l.kind == "conv2d" for l in net.layers) == SHIPPED_DEEP[name]
    assert net.meta["arch"]["spec"] == arch.arch_of(name).spec
    assert net.meta["heldout"]["agreement"] == 1.0
    assert floatnet.float_path(name).endswith(arch.split_name(name)[0] + ".float.npz")
    try:
        x, _ = data.load("mnist", "heldout", net.input_shape)
    except data.DatasetUnavailable as exc:
        pytest.skip(str(exc))
    assert_equal_models(net, x[:2])
