"""Network images: layout, round trip, malformed images, read requests and bytes read."""

import json

import numpy as np
import pytest

from golden import capacity as C
from golden import contract
from golden import image as I
from golden import randnet as R
from golden.capacity import Capacity
from golden.image import ImageError
from golden.network import dumps, load


def _doc(net):
    d = json.loads(dumps(net))
    d.pop("meta")
    d.pop("name")
    return d


def _assert_round_trip(net, cap):
    data = I.write_image(net, cap)
    back = I.image_network(data, name=net.name)
    assert _doc(back) == _doc(net)
    assert back.membrane_bits == net.membrane_bits
    for a, b in zip(net.layers, back.layers):
        assert np.array_equal(a.weights, b.weights) and a.weights.shape == b.weights.shape
        assert np.array_equal(a.bias, b.bias)
        assert (a.threshold is None) == (b.threshold is None)
        if a.threshold is not None:
            assert np.array_equal(a.threshold, b.threshold)
        assert (a.in_map, a.out_shape, a.pooled_shape, a.kernel, a.stride, a.padding, a.pool) \
            == (b.in_map, b.out_shape, b.pooled_shape, b.kernel, b.stride, b.padding, b.pool)
    return data


def _cap(cores, **changes):
    kw = dict(name=f"test-p{cores}", cores=cores, membrane_words=64, weight_words=512,
              param_words=2, spike_events=2048, max_layers=8, membrane_bits=40,
              threshold_bits=32, bias_bits=32, max_channels=128, max_map=16, max_kernel=5,
              data_bits=64)
    kw.update(changes)
    return Capacity(**kw)


@pytest.mark.parametrize("name", ["digits", "mnist", "mnist-conv4", "mnist-vgg16"])
def test_shipped_networks_round_trip(name):
    net = load(name)
    for preset, names in C.PRESET_NETWORKS.items():
        if name in names:
            data = _assert_round_trip(net, C.PRESETS[preset])
            assert len(data) % I.ALIGN == 0


# random networks whose layers run in several passes with a short last one, on P whose rows
# are 1 (P=1), 3 (P=4), 4 (P=6: 30 bits), 5 (P=8), 7 (P=11) and 20 (P=32) bytes
RANDOM = [
    (1, (1, 6, 6), [R.conv(3), R.pool(), R.dense_layer(5), R.classifier(3)]),
    (4, (2, 8, 8), [R.conv(11), R.pool(), R.conv(9, kernel=5, padding=2), R.dense_layer(10),
                    R.dense_layer(7), R.classifier(5)]),
    (6, (3, 9, 9), [R.conv(13, kernel=3, stride=2, padding=1), R.conv(7, kernel=1, padding=0),
                    R.classifier(4)]),
    (8, (1, 8, 8), [R.conv(17), R.pool(), R.conv(20), R.pool(), R.classifier(10)]),
    (11, (2, 4, 4), [R.conv(23, kernel=3, padding=0), R.dense_layer(30), R.classifier(2)]),
    (32, (3, 8, 8), [R.conv(40), R.pool(), R.conv(70, kernel=1, padding=0), R.pool(),
                     R.classifier(10)]),
]


@pytest.mark.parametrize("cores,shape,spec", RANDOM)
def test_random_networks_round_trip(cores, shape, spec):
    rng = np.random.default_rng(cores)
    net = R.random_network(rng, shape, spec, calib_images=2)
    cap = _cap(cores)
    plans = C.plan(net, cap)
    assert max(p.passes for p in plans) > 1
    assert any(p.groups % p.groups_per_pass for p in plans)
    data = _assert_round_trip(net, cap)
    img = I.read_image(data)
    # every block aligned, blocks in increasing order, lanes past C_out: zero code, B 0, Theta 1
    for l, li in zip(net.layers, img.layers):
        d = li.descriptor
        for key in ("params_offset", "weights_offset", "params_stride", "weights_stride"):
            assert d[key] % I.ALIGN == 0
        assert (li.weights[l.out_channels:] == contract.ZERO_CODE).all()
        assert (li.bias[l.out_channels:] == 0).all() and (li.threshold[l.out_channels:] == 1).all()


def test_kind_codes_are_the_accelerators():
    from rtl import config
    assert I.KINDS == {"conv2d": config.KIND_CONV, "dense": config.KIND_DENSE,
                       "classifier": config.KIND_CLASSIFIER}


def test_pack_rows_is_lane_0_lsb_and_inverts():
    # P = 4: 20 bits in 3 bytes, the high 4 bits zero
    codes = np.array([[1, 2, 3, 31]])
    v = 1 | 2 << 5 | 3 << 10 | 31 << 15
    assert I.pack_rows(codes).tolist() == [[v & 0xFF, v >> 8 & 0xFF, v >> 16]]
    rng = np.random.default_rng(0)
    for P in range(1, 33):
        codes = rng.integers(0, 32, size=(7, P))
        rows = I.pack_rows(codes)
        assert rows.shape == (7, -(-5 * P // 8))
        assert np.array_equal(I.unpack_rows(rows, P), codes)
        if 5 * P % 8:
            assert (rows[:, -1] >> (5 * P % 8) == 0).all()


def test_field_tables_and_header_bytes():
    assert sum(s for _, s in I.HEADER_FIELDS) <= I.HEADER_BYTES
    assert sum(s for _, s in I.DESCRIPTOR_FIELDS) <= I.DESCRIPTOR_BYTES
    offs = I.field_offsets(I.HEADER_FIELDS)
    assert offs["magic"] == (0, 4) and offs["image_bytes"] == (26, 4)
    doffs = I.field_offsets(I.DESCRIPTOR_FIELDS)
    assert doffs["in_c"] == (8, 2) and doffs["fan_in"] == (28, 4)
    assert doffs["weights_stride"] == (48, 4)
    net = load("digits")
    cap = C.PRESETS["ice40-digits"]
    data = I.write_image(net, cap)
    assert data[:4] == b"SNNI"
    assert int.from_bytes(data[4:6], "little") == 1
    assert int.from_bytes(data[8:10], "little") == 4            # cores
    assert int.from_bytes(data[10:12], "little") == 3           # layers
    assert data[20:24] == bytes([8, 21, 0, 0])                  # T, F, round, ttfs
    assert int.from_bytes(data[26:30], "little") == len(data)
    assert data[34:64] == bytes(30)
    d1 = data[64:128]
    assert d1[:8] == bytes([0, 3, 1, 1, 1, 0, 0, 0])            # conv, 3x3, stride 1, pad 1, pool
    # layer 1: 2 groups at P = 4: params 2*4*8 = 64 bytes, weights 2*9 rows of 3 bytes
    d = I.read_image(data).layers[0].descriptor
    assert (d["params_offset"], d["weights_offset"]) == (64 + 3 * 64, 64 + 4 * 64)
    assert d["params_stride"] == 64 + 64
    at = d["params_offset"]
    assert int.from_bytes(data[at:at + 4], "little", signed=True) == net.layers[0].bias[0]
    assert int.from_bytes(data[at + 4:at + 8], "little") == net.layers[0].threshold[0]
    at = d["weights_offset"]                     # group 0, fan-in 0: channels 0..3
    row = int.from_bytes(data[at:at + 3], "little")
    w = net.layers[0].weights.reshape(8, 9)
    assert [(row >> 5 * p) & 31 for p in range(4)] == [int(w[p, 0]) for p in range(4)]


# -- malformed images ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_image():
    return I.write_image(load("digits"), C.PRESETS["ice40-digits"])


def _poke(data, at, size, value):
    b = bytearray(data)
    b[at:at + size] = int(value).to_bytes(size, "little")
    return bytes(b)


def _header_at(name):
    return I.field_offsets(I.HEADER_FIELDS)[name]


def _desc_at(layer, name):
    at, size = I.field_offsets(I.DESCRIPTOR_FIELDS)[name]
    return I.HEADER_BYTES + layer * I.DESCRIPTOR_BYTES + at, size


@pytest.mark.parametrize("edit,message", [
    (lambda d: d[:40], "image is 40 bytes, shorter than its 64-byte header"),
    (lambda d: b"SNNX" + d[4:], "bad magic b'SNNX' (expected b'SNNI'): not a network image"),
    (lambda d: _poke(d, *_header_at("version"), 2), "image version 2, this reader knows 1"),
    (lambda d: d[:-64], "image truncated: 2048 bytes, the header says 2112"),
    (lambda d: d + bytes(64), "image is 2176 bytes, the header says 2112"),
    (lambda d: _poke(d, *_header_at("image_bytes"), 2100)[:2100],
     "image of 2100 bytes is not a whole number of 64-byte units"),
    (lambda d: _poke(d, *_header_at("cores"), 0), "cores 0 outside 1..32"),
    (lambda d: _poke(d, *_header_at("layers"), 40),
     "40 descriptors end at byte 2624, past the end of the image (2112 bytes)"),
    (lambda d: _poke(d, *_header_at("fire_rule"), 2), "fire_rule code 2 is not"),
    (lambda d: _poke(d, *_header_at("classes"), 9),
     "header: classes 9, the classifier has 10 outputs"),
    (lambda d: _poke(d, *_desc_at(0, "kind"), 7),
     "descriptor 1: kind 7 is not one of 0 conv, 1 dense, 2 classifier"),
    (lambda d: _poke(d, *_desc_at(1, "in_c"), 9),
     "descriptor 2: reads a 9x4x4 map, the map before it is 8x4x4"),
    (lambda d: _poke(d, *_desc_at(0, "groups"), 3),
     "descriptor 1: groups 3, ceil(8 / 4) = 2"),
    (lambda d: _poke(d, *_desc_at(0, "fan_in"), 10),
     "descriptor 1: fan_in 10, the geometry gives 9"),
    (lambda d: _poke(d, *_desc_at(2, "weights_offset"), 1 << 20),
     "descriptor 3: pass 0 weights block at 1048576..1049152 ends past the image (2112 bytes)"),
    (lambda d: _poke(d, *_desc_at(1, "params_offset"), 64 * 4),
     "descriptor 2: pass 0 params block at byte 256 overlaps what comes before it (which ends "
     "at byte 374)"),
    (lambda d: _poke(d, *_desc_at(0, "params_offset"), 100),
     "descriptor 1: params_offset 100 is not a multiple of 64"),
])
def test_malformed_image_one_line(digits_image, edit, message):
    with pytest.raises(ImageError) as e:
        I.read_image(edit(digits_image))
    text = str(e.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_bad_contents(digits_image):
    img = I.read_image(digits_image)
    d = img.layers[0].descriptor
    # a negative zero code (s = 1, e = 15) in lane 0 of the first row of layer 1
    at = d["weights_offset"]
    bad = _poke(digits_image, at, 3, int.from_bytes(digits_image[at:at + 3], "little") | 31)
    with pytest.raises(ImageError, match="descriptor 1: weight code at index .*negative zero"):
        I.read_image(bad)
    # digits' classifier has 10 outputs on P = 4: lanes 10, 11 are padding
    d = img.layers[2].descriptor
    at = d["weights_offset"]
    row = int.from_bytes(digits_image[at + 2 * 64 * 3:at + 2 * 64 * 3 + 3], "little")
    bad = _poke(digits_image, at + 2 * 64 * 3, 3, row & ~(31 << 10) | (3 << 10))
    with pytest.raises(ImageError, match="descriptor 3: lane channel 10 past out_c 10 holds "
                                         "weight code 3, expected the zero code"):
        I.read_image(bad)
    at = d["params_offset"] + 2 * 4 * 8 + 3 * 8 + 4     # group 2, lane 3: threshold
    with pytest.raises(ImageError, match="descriptor 3: lanes past out_c 10 must hold bias 0 and "
                                         "threshold 1"):
        I.read_image(_poke(digits_image, at, 4, 5))
    at = d["params_offset"] + 4                           # classifier channel 0's threshold
    with pytest.raises(ImageError, match="descriptor 3: classifier thresholds must be 1"):
        I.read_image(_poke(digits_image, at, 4, 7))
    d = img.layers[1].descriptor
    with pytest.raises(ImageError, match="descriptor 2: threshold 0 at channel 0"):
        I.read_image(_poke(digits_image, d["params_offset"] + 4, 4, 0))


def test_image_network_refuses_an_invalid_network(digits_image):
    # F below the contract's minimum for T = 8: a valid image of an invalid network
    bad = _poke(digits_image, *_header_at("F"), 3)
    with pytest.raises(ImageError,
                       match="image describes an invalid network: network.F: 3 outside"):
        I.image_network(bad)


def test_write_image_checks_the_fit():
    with pytest.raises(C.DoesNotFit, match="mnist does not fit ice40-digits"):
        I.write_image(load("mnist"), C.PRESETS["ice40-digits"])


# -- read requests, bytes read -------------------------------------------------------------------

def test_read_requests_digits_on_ice40():
    net = load("digits")
    cap = C.PRESETS["ice40-digits"]
    reqs = I.read_requests(net, cap)
    got = [(r.what, r.offset, r.length, r.layer, r.pass_index) for r in reqs]
    # descriptors end at 256; layer 1: params 2*4*8 = 64 at 256, weights 2*9*3 = 54 at 320;
    # layer 2: params 4*4*8 = 128 at 384, weights 4*72*3 = 864 at 512 (-> 1408);
    # layer 3: params 3*4*8 = 96 at 1408, weights 3*64*3 = 576 at 1536 (-> 2112)
    assert got == [
        ("header", 0, 64, -1, -1), ("input", 0, 64, -1, -1),
        ("descriptor", 64, 64, 0, -1), ("params", 256, 64, 0, 0), ("weights", 320, 54, 0, 0),
        ("descriptor", 128, 64, 1, -1), ("params", 384, 128, 1, 0), ("weights", 512, 864, 1, 0),
        ("descriptor", 192, 64, 2, -1), ("params", 1408, 96, 2, 0), ("weights", 1536, 576, 2, 0),
    ]
    assert reqs[1].base == "INPUT_BASE" and reqs[0].base == "IMAGE_BASE"
    # 32-bit beats: 54 -> 56 bytes, the rest are multiples of 4
    assert I.bytes_read(net, cap) == 64 + 64 + 3 * 64 + 64 + 56 + 128 + 864 + 96 + 576
    assert I.bytes_read(net, C.with_changes(cap, data_bits=512)) == \
        64 + 64 + 3 * 64 + 64 + 64 + 128 + 896 + 128 + 576


@pytest.mark.parametrize("cores,shape,spec", RANDOM)
def test_every_weight_and_param_byte_read_once(cores, shape, spec):
    net = R.random_network(np.random.default_rng(cores), shape, spec, calib_images=2)
    cap = _cap(cores, data_bits=128)
    data = I.write_image(net, cap)
    reqs = I.read_requests(net, cap)
    P, rb = cores, cap.row_bytes
    for l in net.layers:
        G = -(-l.out_channels // P)
        mine = [r for r in reqs if r.layer == l.index]
        assert sum(r.length for r in mine if r.what == "weights") == G * l.fan_in * rb
        assert sum(r.length for r in mine if r.what == "params") == G * P * I.PARAM_ENTRY_BYTES
    seen = set()
    for r in reqs:
        assert r.length > 0 and r.offset % cap.beat_bytes == 0
        if r.what != "input":
            assert r.offset + r.bytes(cap.beat_bytes) <= len(data)
            assert (r.what, r.offset) not in seen
            seen.add((r.what, r.offset))
    assert I.bytes_read(net, cap) == sum(-(-r.length // 16) * 16 for r in reqs)
