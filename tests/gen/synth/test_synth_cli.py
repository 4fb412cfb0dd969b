"""The command line of ``python -m gen.synth``: errors are one line, exit status 2."""

from gen import synth


def test_cli_errors(capsys):
    assert synth.main(["--target", "generic", "--net", "no_such_net"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("synth: error:")
