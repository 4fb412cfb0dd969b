"""``python -m gen.lint``: Verilator ``--lint-only -Wall`` and an Icarus compile of the emitted
Verilog.

Waivers (warnings Amaranth's Verilog back end produces by construction, none a design issue):

- UNUSEDSIGNAL: unused bits of packed stream payloads and of wide intermediate expressions.
- WIDTHEXPAND / WIDTHTRUNC: Amaranth sizes every intermediate expression exactly and emits
  explicit-width assignments that Verilator still reports.
- PROCASSINIT: registers get their reset value both in the declaration and in the process.
- CASEINCOMPLETE: FSM and descriptor-table case statements have a default assignment before
  the case instead of a default branch.
- DECLFILENAME: several modules in one file.
- ASCRANGE: packed struct arrays emitted with ascending ranges.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from golden import cli
from golden.network import NetworkError
from rtl.config import ConfigError

from .verilog import build_config, write_design

__all__ = ["WAIVERS", "verilator_lint", "icarus_compile", "lint_file"]

WAIVERS = ("UNUSEDSIGNAL", "WIDTHEXPAND", "WIDTHTRUNC", "PROCASSINIT", "CASEINCOMPLETE",
           "DECLFILENAME", "ASCRANGE")


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} not found on PATH (run `make setup`)")
    return path


def verilator_lint(path, top):
    """(ok, output) of Verilator's -Wall lint with the waiver list."""
    cmd = [_tool("verilator"), "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-Wno-{w}" for w in WAIVERS] + [os.path.basename(path)]
    r = subprocess.run(cmd, cwd=os.path.dirname(os.path.abspath(path)), capture_output=True,
                       text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def icarus_compile(path, top):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [_tool("iverilog"), "-g2012", "-s", top, "-o", os.path.join(tmp, "a.vvp"), path]
        r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def lint_file(path, top):
    """Both checks; returns a list of (tool, ok, output)."""
    return [("verilator", *verilator_lint(path, top)), ("iverilog", *icarus_compile(path, top))]


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m gen.lint", description=__doc__.split("\n")[0])
    ap.add_argument("--net", default="digits", help="shipped network name or network file")
    ap.add_argument("--p", type=int, default=8, help="neuron cores P (1..32)")
    ap.add_argument("--out", default=None,
                    help="design folder (default build/NAME-pP); replaced whole, so it must be "
                         "absent, empty or an earlier design")
    a = ap.parse_args(argv)
    try:
        cfg = build_config(a.net, a.p)
        out = a.out or f"build/{cfg.network.name}-p{a.p}"
        cli.check_output(out)
        man = write_design(cfg, out)
        path = os.path.join(out, man["verilog"])
        results = lint_file(path, man["top"])
    except (NetworkError, ConfigError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    failed = False
    for tool, ok, text in results:
        print(f"lint: {tool}: {'ok' if ok else 'FAILED'} ({path})")
        if not ok:
            print(text)
            failed = True
    if not failed:
        print(f"lint: verilator waivers: {', '.join(WAIVERS)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
