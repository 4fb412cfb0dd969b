"""verif.cases: the network test runs on the shipped digits network and real images, or fails;
it never falls back to stand-ins."""

import pytest

from golden import data, nets
from golden.network import NetworkError
from verif import cases


def test_a_missing_digits_network_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(nets, "NETS_DIR", str(tmp_path))
    with pytest.raises(NetworkError, match="cannot read network file .*digits.json"):
        cases.digits_network()


def test_unloadable_digits_images_fail(monkeypatch):
    def unavailable(name, split):
        raise data.DatasetUnavailable("digits: scikit-learn is not installed")
    monkeypatch.setattr(data, "load", unavailable)
    with pytest.raises(data.DatasetUnavailable, match="scikit-learn"):
        cases.digits_images(3)
    with pytest.raises(data.DatasetUnavailable):
        cases.digits_runs(3)


def test_digits_runs_are_labelled_real_images():
    x, y = data.load("digits", "heldout")
    runs = cases.digits_runs(data.DIGITS_HELDOUT + 2)
    assert [r["name"] for r in runs] == ["heldout", "train"]
    assert runs[0]["images"] == x.tolist() and runs[0]["labels"] == y.tolist()
    assert len(runs[1]["images"]) == 2 and len(runs[1]["labels"]) == 2
