import json
import subprocess
import sys

import numpy as np
import pytest

from golden import network
from golden import randnet as R
from golden.network import NetworkError


@pytest.fixture
def doc():
    net = R.random_network(np.random.default_rng(0), (1, 8, 8),
                           [R.conv(4), R.pool(), R.dense_layer(6), R.classifier(3)], T=4)
    return json.loads(network.dumps(net))


def test_roundtrip(doc, tmp_path):
    net = network.build_network(doc)
    path = tmp_path / "n.json"
    network.save(net, str(path))
    again = network.load(str(path))
    assert network.dumps(again) == network.dumps(net)
    assert [l.kind for l in net.layers] == ["conv2d", "dense", "classifier"]
    assert net.layers[0].pool and net.layers[1].in_map == (4, 4, 4)
    assert net.layers[1].fan_in == 64


def _bad(doc, path, value):
    d = json.loads(json.dumps(doc))
    obj = d
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value
    return d


@pytest.mark.parametrize("path,value,needle", [
    (("layers", 0, "type"), "conv3d", "layers[0].type: unknown layer 'conv3d'"),
    (("layers", 0, "weights"), "0" * 5, "layers[0].weights: has 5 codes, expected 36"),
    (("layers", 2, "weights"), "v" + "0" * 383, "s=1 with e=15"),
    (("layers", 2, "weights"), "w" + "0" * 383, "not a base-32 digit"),
    (("layers", 0, "bias"), [1, 2], "layers[0].bias: has 2 entries, expected 4"),
    (("layers", 0, "threshold"), [0, 1, 1, 1], "layers[0].threshold: must be positive"),
    (("layers", 1, "type"), "avgpool2d", "avgpool2d is not exact in ttfs coding"),
    (("T",), 17, "network.T: 17 outside 1..16"),
    (("F",), 10, "network.F: 10 outside 17..48"),
    (("coding",), "phase", "coding: 'phase' is not one of"),
    (("membrane_bits",), 8, "membrane_bits: 8 is too narrow"),
    (("input_shape",), [1, 9, 8], "layers[1]: pooling needs an even height and width"),
    # bounds: every size and value is checked before anything of that size is built
    (("layers", 0, "bias", 1), 2 ** 70, "layers[0].bias[1]: 1180591620717411303424 is too large"),
    (("layers", 0, "threshold", 3), 2 ** 64, "layers[0].threshold[3]: 18446744073709551616 is"),
    (("layers", 0, "bias", 0), -2 ** 62, "layers[0].bias[0]: -4611686018427387904 is too large"),
    (("layers", 0, "bias", 0), 2 ** 60, "layers[0]: membrane needs 62 bits"),
    (("input_shape",), [1, 2 ** 32, 2 ** 32], "input_shape[1]: 4294967296 outside 1..1024"),
    (("input_shape",), [5000, 8, 8], "input_shape[0]: 5000 outside 1..4096"),
    (("input_shape",), [True, 8, 8], "input_shape[0]: expected a positive integer, got True"),
    (("input_shape",), [8, 1024, 1024], "input_shape: a 8x1024x1024 map has 8388608 neurons"),
    (("layers", 0, "weights"), "0" * 10 ** 7, "layers[0].weights: has 10000000 codes, expected 36"),
    (("layers", 0, "weights"), "0" * 35 + "\u00e9", "character 'é' at 35 is not a base-32 digit"),
    (("name",), "../../x", "name: '../../x' is not a network name"),
    (("name",), "a/b", "name: 'a/b' is not a network name"),
    (("name",), ".hidden", "name: '.hidden' is not a network name"),
    (("name",), "x" * 65, "is not a network name"),
    (("name",), 7, "name: 7 is not a network name"),
])
def test_bad_files_name_the_field(doc, path, value, needle):
    with pytest.raises(NetworkError) as exc:
        network.build_network(_bad(doc, path, value))
    assert needle in str(exc.value)
    assert "\n" not in str(exc.value)


def test_odd_threshold_in_rate_mode():
    net = R.random_network(np.random.default_rng(1), (1, 4, 4), [R.conv(2), R.classifier(2)],
                           coding="rate", T=4)
    d = json.loads(network.dumps(net))
    d["layers"][0]["threshold"][0] = 7
    with pytest.raises(NetworkError, match="odd value 7 in rate coding"):
        network.build_network(d)


def test_classifier_must_be_last(doc):
    d = json.loads(json.dumps(doc))
    d["layers"] = d["layers"][:2]
    with pytest.raises(NetworkError, match="the last layer must be a classifier"):
        network.build_network(d)


def test_malformed_json():
    with pytest.raises(NetworkError, match="not valid JSON"):
        network.loads("{ nope")


def test_map_and_weight_bounds(doc):
    """A large input passes its own bounds; the layers' maps and weights have theirs."""
    big = _bad(doc, ("input_shape",), [1, 1024, 1024])
    with pytest.raises(NetworkError, match="layers.0..out_channels: a 5x1024x1024 map has "
                                           "5242880 neurons, more than 4194304"):
        network.build_network(_bad(big, ("layers", 0, "out_channels"), 5))
    # 4 x 512 x 512 pooled features into 17 outputs: 17.8 M weights
    with pytest.raises(NetworkError, match=r"layers\[2\]: weights of shape \(17, 1048576\) are "
                                           "17825792 codes, more than 16777216"):
        network.build_network(_bad(big, ("layers", 2, "out_features"), 17))


@pytest.mark.parametrize("name", ["digits", "mnist-rate-t4", "rand-conv", "a_b.c-1"])
def test_good_names(doc, name):
    assert network.build_network(_bad(doc, ("name",), name)).name == name


@pytest.mark.parametrize("text,needle", [
    ("[" * 200_000, "JSON nested too deeply"),
    ('{"T": ' + "9" * 5000 + "}", "network file is not valid JSON: Exceeds the limit"),
    (" " * (network.FILE_BYTES_MAX + 1), "more than the 67108864 allowed"),
])
def test_text_that_is_not_a_network(text, needle):
    with pytest.raises(NetworkError, match=needle):
        network.loads(text)


def test_file_that_is_not_utf8(doc, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(_bad(doc, ("name",), "caf\u00e9"), ensure_ascii=False)
                     .encode("latin-1"))
    with pytest.raises(NetworkError, match=r"is not UTF-8 text \(byte 0xe9 at offset \d+\)"):
        network.load(str(path))


def test_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:  # sparse: no time or memory spent on the test itself
        f.truncate(200 << 20)
    with pytest.raises(NetworkError, match="is 209715200 bytes, more than the 67108864 allowed"):
        network.load(str(path))


def test_cli_refuses_bad_file_without_output(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "snn-accel-net/1", "coding": "ttfs", "T": 4, "layers": []}')
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "gen", "--net", str(bad), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "input_shape" in r.stderr
    assert not out.exists()
