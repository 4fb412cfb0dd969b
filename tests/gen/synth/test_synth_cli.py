"""The command line of ``python -m gen.synth``: errors are one line, exit status 2."""

import pytest

from gen import synth


def test_cli_errors(capsys):
    assert synth.main(["--target", "generic", "--net", "no_such_net"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("synth: error:")


def test_missing_shipped_network_fails(monkeypatch, capsys, tmp_path):
    """A shipped network that does not load is an error, never a random stand-in."""
    import golden.nets
    from golden.network import NetworkError
    monkeypatch.setattr(golden.nets, "NETS_DIR", str(tmp_path))
    with pytest.raises(NetworkError):
        synth.resolve_network("digits")
    assert synth.main(["--target", "generic", "--net", "digits",
                       "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "digits" in err[0]
    assert not (tmp_path / "out").exists()
