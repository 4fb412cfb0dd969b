import json
import subprocess
import sys

import numpy as np
import pytest

from golden import network, randnet as R
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


def test_cli_refuses_bad_file_without_output(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "snn-accel-net/1", "coding": "ttfs", "T": 4, "layers": []}')
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "gen", "--net", str(bad), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "input_shape" in r.stderr
    assert not out.exists()
