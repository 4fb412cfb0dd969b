"""Capacity: validation, presets sized from their networks, check_fits messages, the pass plan."""

import json
from dataclasses import replace

import numpy as np
import pytest

from golden import capacity as C
from golden import image as I
from golden import randnet as R
from golden.capacity import Capacity, CapacityError, DoesNotFit
from golden.network import dumps, load

SHIPPED = ("digits", "mnist", "mnist-conv4", "mnist-vgg16")


@pytest.fixture(scope="module")
def nets():
    return {name: load(name) for name in SHIPPED}


def _small(**changes):
    kw = dict(name="small", cores=4, membrane_words=64, weight_words=128, param_words=4,
              spike_events=256, max_layers=4, membrane_bits=30, threshold_bits=29, bias_bits=30,
              max_channels=32, max_map=16, max_kernel=3, data_bits=32)
    kw.update(changes)
    return Capacity(**kw)


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,needle", [
    ("name", "../x", "name: '../x' is not a name"),
    ("cores", 0, "cores: 0 outside 1..32"),
    ("cores", 33, "cores: 33 outside 1..32"),
    ("cores", 4.0, "cores: expected an integer, got 4.0"),
    ("cores", True, "cores: expected an integer, got True"),
    ("membrane_words", 96, "membrane_words: 96 is not a power of two (memories are generated at "
                          "powers of two: 64 or 128)"),
    ("weight_words", 0, "weight_words: 0 outside 1..16777216"),
    ("param_words", 3, "param_words: 3 is not a power of two"),
    ("spike_events", 1 << 25, "spike_events: 33554432 outside 1..16777216"),
    ("max_layers", 0, "max_layers: 0 outside 1..255"),
    ("T", 17, "T: 17 outside 1..16"),
    ("F", 20, "F: 20 outside 21..48"),
    ("fire_rule", "ceil", "fire_rule: 'ceil' is not one of round, floor"),
    ("membrane_bits", 49, "membrane_bits: 49 outside 2..48"),
    ("threshold_bits", 30, "threshold_bits: 30 outside 1..29"),
    ("bias_bits", 31, "bias_bits: 31 outside 2..30"),
    ("max_channels", 65536, "max_channels: 65536 outside 1..65535"),
    ("max_map", 0, "max_map: 0 outside 1..1024"),
    ("max_kernel", 8, "max_kernel: 8 outside 1..7"),
    ("data_bits", 48, "data_bits: 48 is not one of 32, 64, 128, 256, 512"),
    ("addr_bits", 40, "addr_bits: 40 is not one of 32, 64"),
    ("max_bursts", 1, "max_bursts: 1 outside 2..64"),
])
def test_bad_field_is_named(field, value, needle):
    with pytest.raises(CapacityError) as e:
        _small(**{field: value})
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_capacity_is_frozen_and_keyword_only():
    cap = _small()
    with pytest.raises(AttributeError):
        cap.cores = 8
    with pytest.raises(TypeError):
        Capacity("x", 4)  # noqa
    assert C.with_changes(cap, cores=8).cores == 8
    with pytest.raises(CapacityError, match="lanes: not a capacity field"):
        C.with_changes(cap, lanes=8)


def test_derived_widths():
    assert [C.PRESETS[n].row_bytes for n in ("ice40-digits", "ecp5-mnist", "vgg16")] == [3, 5, 20]
    assert C.PRESETS["vgg16"].beat_bytes == 16
    assert C.PRESETS["vgg16"].event_field_bits == (9, 5, 5, 3)
    assert C.PRESETS["ice40-digits"].event_field_bits == (4, 3, 3, 3)


def test_preset_lookup():
    assert C.preset("vgg16") is C.PRESETS["vgg16"]
    with pytest.raises(CapacityError, match=r"no capacity preset named 'x' \(known: "
                                            r"ice40-digits, ecp5-mnist, vgg16\)"):
        C.preset("x")


# -- presets ------------------------------------------------------------------------------------

def test_presets_fixed_t_f_rule():
    for cap in C.PRESETS.values():
        assert (cap.T, cap.F, cap.fire_rule) == (8, 21, "round")
    assert [C.PRESETS[n].cores for n in ("ice40-digits", "ecp5-mnist", "vgg16")] == [4, 8, 32]


@pytest.mark.parametrize("preset", ["ice40-digits", "ecp5-mnist"])
def test_small_presets_are_sized_from_their_networks(nets, preset):
    """Memories hold each layer of the preset's networks whole (one pass per layer), rounded
    up to powers of two; the other limits are the needs themselves (the full range of a field
    for max_channels, max_map)."""
    cap = C.PRESETS[preset]
    mine = [nets[n] for n in C.PRESET_NETWORKS[preset]]
    need = C.requirements(mine, cap.cores)
    _assert_sized(cap, mine, need, whole_layers=True)
    for net in mine:
        assert all(p.passes == 1 for p in C.plan(net, cap)), net.name


#: presets whose Theta and B widths are their networks' need, not the most the membrane allows
NEED_SIZED_PARAMETERS = ("ice40-digits",)


def _assert_sized(cap, networks, need, *, whole_layers):
    p2 = C.pow2_ceil
    suffix = "_layer" if whole_layers else ""
    assert cap.membrane_words == p2(need["membrane_words" + suffix])
    assert cap.weight_words == p2(need["weight_words" + suffix])
    assert cap.spike_events == p2(need["spike_events"])
    assert cap.max_layers == p2(need["max_layers"])
    assert cap.max_channels == p2(need["max_channels"])
    assert cap.max_map == p2(need["max_map"])
    assert cap.max_kernel == need["max_kernel"]
    assert cap.membrane_bits == need["membrane_bits"]
    if cap.name in NEED_SIZED_PARAMETERS:   # logic cells are scarce: Theta and B as needed
        assert (cap.threshold_bits, cap.bias_bits) == (need["threshold_bits"],
                                                       need["bias_bits"])
    else:                                   # any Theta and B of a network whose membrane fits
        assert cap.threshold_bits == min(32, cap.membrane_bits - 1) >= need["threshold_bits"]
        assert cap.bias_bits == min(32, cap.membrane_bits) >= need["bias_bits"]
    # param_words: the most groups a pass holds under the other limits, and a block RAM's
    # worth of entries
    unbounded = replace(cap, param_words=1 << 20)
    most = max(p.groups_per_pass for net in networks for p in C.plan(net, unbounded))
    assert cap.param_words == max(p2(most), C.PARAM_ENTRIES_MIN // cap.cores)


def test_presets_hold_their_shipped_networks(nets):
    for preset, names in C.PRESET_NETWORKS.items():
        for name in names:
            C.check_fits(nets[name], C.PRESETS[preset])


@pytest.fixture(scope="module")
def vgg16_shape():
    """A random network of the full-width VGG-16 workload's shape (not a classifier)."""
    (arch, shape), = C.PRESET_ARCHS["vgg16"]
    return R.random_network(np.random.default_rng(16), shape, arch, calib_images=1,
                            name="vgg16-random-shape")


def test_vgg16_preset_holds_the_vgg16_workload_shape(nets, vgg16_shape):
    """The vgg16 preset is sized from its networks: memories hold one channel group of the
    largest map and of the widest fan-in; the VGG-16 shape runs in passes. Its image
    round-trips (14.7 M weights through the vectorised packing)."""
    net = vgg16_shape
    cap = C.PRESETS["vgg16"]
    assert [l.kind for l in net.layers].count("conv2d") == 13
    assert net.input_shape == (3, 32, 32)
    mine = [nets[n] for n in C.PRESET_NETWORKS["vgg16"]] + [net]
    need = C.requirements(mine, cap.cores)
    assert need["membrane_words"] == 32 * 32                   # one group of a 32x32 map
    assert need["weight_words"] == 512 * 3 * 3                  # one group of a 512-channel conv
    assert need["spike_events"] == 64 * 32 * 32
    assert need["membrane_bits"] == net.membrane_bits == 35
    _assert_sized(cap, mine, need, whole_layers=False)
    plans = C.plan(net, cap)
    assert [p.passes for p in plans] == [2, 2, 1, 1, 2, 3, 3, 6, 16, 16, 16, 16, 16, 1, 1]
    assert plans[4].limit == "weight_words" and plans[0].limit == "membrane_words"
    data = I.write_image(net, cap)
    back = I.image_network(data, name=net.name)
    a, b = json.loads(dumps(net)), json.loads(dumps(back))
    a.pop("meta"), b.pop("meta")
    assert a == b


def test_mnist_vgg16_does_not_fit_ice40(nets):
    with pytest.raises(DoesNotFit) as e:
        C.check_fits(nets["mnist-vgg16"], C.PRESETS["ice40-digits"])
    assert str(e.value) == "mnist-vgg16 does not fit ice40-digits: max_layers 4 < 14 (compute " \
                           "layers)"
    with pytest.raises(DoesNotFit) as e:
        C.plan(nets["mnist"], C.PRESETS["ice40-digits"])
    assert str(e.value) == "mnist does not fit ice40-digits: membrane_bits 29 < 33 (layer 3 " \
                           "worst-case membrane)"


# -- check_fits: one line per limit ------------------------------------------------------------

@pytest.mark.parametrize("changes,message", [
    (dict(T=4, F=21), "T 4 != 8 (fixed at generation)"),
    (dict(F=22), "F 22 != 21 (fixed at generation)"),
    (dict(fire_rule="floor"), "fire_rule floor != round (fixed at generation)"),
    (dict(max_layers=2), "max_layers 2 < 3 (compute layers)"),
    (dict(membrane_bits=28, threshold_bits=27, bias_bits=28),
     "membrane_bits 28 < 29 (layer 2 worst-case membrane)"),
    (dict(threshold_bits=22), "threshold_bits 22 < 23 (layer 2 threshold 5482042)"),
    (dict(bias_bits=22), "bias_bits 22 < 23 (layer 2 bias "),
    (dict(max_channels=15), "max_channels 15 < 16 (layer 2 output channels)"),
    (dict(max_map=4), "max_map 4 < 8 (input map 1x8x8)"),
    (dict(max_kernel=2), "max_kernel 2 < 3 (layer 1 kernel 3x3)"),
    (dict(spike_events=64), "spike_events 64 < 128 (layer 1 output map 8x4x4)"),
    (dict(membrane_words=32), "membrane_words 32 < 64 (layer 1: one channel group has 64 "
                              "positions 8x8)"),
    (dict(weight_words=64), "weight_words 64 < 72 (layer 2: one channel group has fan-in 8x3x3)"),
])
def test_does_not_fit_names_limit_value_need_and_layer(nets, changes, message):
    cap = C.with_changes(C.PRESETS["ice40-digits"], **changes)
    with pytest.raises(DoesNotFit) as e:
        C.check_fits(nets["digits"], cap)
    text = str(e.value)
    assert text.startswith("digits does not fit ice40-digits: " + message), text
    assert "\n" not in text


def test_rate_coded_network_does_not_fit():
    with pytest.raises(DoesNotFit, match="coding rate \\(the processor runs ttfs networks\\)"):
        C.check_fits(load("digits-rate-t8"), C.PRESETS["vgg16"])


# -- pass plan -----------------------------------------------------------------------------------

def test_plan_formula_and_pass_cover():
    rng = np.random.default_rng(3)
    net = R.random_network(rng, (2, 8, 8), [R.conv(11), R.pool(), R.conv(9, kernel=3),
                                            R.dense_layer(10), R.classifier(5)])
    cap = _small(cores=3, membrane_words=128, weight_words=256, param_words=2)
    plans = C.plan(net, cap)
    # G: 4, 3, 4, 2; positions 64, 16, 1, 1; fan-in 18, 99, 144, 10
    assert [(p.groups_per_pass, p.passes, p.limit) for p in plans] == [
        (2, 2, "membrane_words"), (2, 2, "weight_words"), (1, 4, "weight_words"),
        (2, 1, "groups")]
    assert plans[1].pass_groups(1) == (2, 1)
    for lp, l in zip(plans, net.layers):
        G = -(-l.out_channels // 3)
        gpp = min(G, 128 // l.positions, 256 // l.fan_in, 2)
        assert (lp.groups, lp.groups_per_pass, lp.passes) == (G, gpp, -(-G // gpp))
        covered = [g for j in range(lp.passes) for g in range(*_span(lp, j))]
        assert covered == list(range(G))
        assert all(1 <= lp.groups_in_pass(j) <= gpp for j in range(lp.passes))
    with pytest.raises(IndexError):
        plans[0].pass_groups(plans[0].passes)


def _span(lp, j):
    first, n = lp.pass_groups(j)
    return first, first + n
