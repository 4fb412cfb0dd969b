"""Every command-line entry point answers bad input with one line, never a traceback.

Each case runs a tool as a subprocess (as a user would) and checks: exit status 2, exactly one
line on stderr naming the problem, nothing on stdout, no traceback, and no file or folder
created anywhere under the test's folder (the tool runs in ``<tmp>/cwd/a/b``, so a default
``build/`` or a network name used as a path would show up there).
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(REPO, "nets", "digits.json")
#: the fixed-network accelerator's job, `make run-fixed` (generate, simulate under Amaranth,
#: check against the golden model, report)
RUN = "verif.run"
#: the `make run` job: a network on the processor of a capacity preset (Verilator)
PROC_RUN = "verif.proc_run"


def _digits_doc():
    with open(DIGITS) as f:
        return json.load(f)


def _tree(root):
    out = set()
    for d, dirs, files in os.walk(root):
        out.update(os.path.relpath(os.path.join(d, n), root) for n in dirs + files)
    return out


def _place(tmp_path, args):
    """Fill the placeholders of a case's arguments with paths under ``tmp_path/in``."""
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    (inp / "file.txt").write_text("a regular file\n")
    foreign = inp / "foreign"
    foreign.mkdir(exist_ok=True)
    (foreign / "keep.txt").write_text("not a design\n")
    subs = {"{file}": str(inp / "file.txt"), "{missing}": str(inp / "missing"),
            "{foreign}": str(foreign), "{in}": str(inp)}
    out = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        out.append(a)
    return out


def run_cli(tmp_path, module, args, env=None, timeout=180):
    """(completed process, paths created under tmp_path) of ``python -m module args``."""
    cwd = tmp_path / "cwd" / "a" / "b"
    cwd.mkdir(parents=True, exist_ok=True)
    args = _place(tmp_path, args)
    before = _tree(tmp_path)
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    p = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=full_env,
                       capture_output=True, text=True, timeout=timeout)
    return p, _tree(tmp_path) - before


def assert_refused(p, created, needle):
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert needle in lines[0], lines[0]
    assert p.stdout == "", p.stdout
    assert created == set(), sorted(created)


# -- network files -------------------------------------------------------------------------------

def _set(path, value):
    def mutate(doc):
        obj = doc
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
        return doc
    return mutate


#: name -> (how to make the file from the digits network, what the error line names)
BAD_FILES = {
    "bias_2_70": (_set(("layers", 0, "bias", 0), 2 ** 70), "layers[0].bias[0]: "),
    "threshold_2_64": (_set(("layers", 0, "threshold", 0), 2 ** 64), "layers[0].threshold[0]: "),
    "shape_2_32": (_set(("input_shape",), [1, 2 ** 32, 2 ** 32]), "input_shape[1]: "),
    "channels_huge": (_set(("input_shape",), [10 ** 6, 8, 8]), "input_shape[0]: "),
    "shape_bool": (_set(("input_shape",), [True, 8, 8]), "input_shape"),
    "name_path": (_set(("name",), "../../x"), "name: "),
    "name_not_text": (_set(("name",), {"a": 1}), "name: "),
    "weights_long": (_set(("layers", 0, "weights"), "0" * 5_000_000),
                     "layers[0].weights: has 5000000 codes, expected 72"),
    "weights_not_ascii": (_set(("layers", 0, "weights"), "\u00e9" * 72),
                          "layers[0].weights: character"),
    "not_utf8": (b'{"format": "snn-accel-net/1", "name": "d\xe9"}', "not UTF-8"),
    "nested": ("[" * 200_000, "nested"),
    "long_integer": ('{"T": ' + "9" * 5000 + "}", "network file"),
    "too_large": (None, "bytes, more than"),
}


def _bad_file(tmp_path, case):
    make, _ = BAD_FILES[case]
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    path = inp / f"{case}.json"
    if make is None:  # a sparse file one byte over the bound: refused before it is read
        from golden.network import FILE_BYTES_MAX
        with open(path, "wb") as f:
            f.write(b'{"format": "snn-accel-net/1", "weights": "')
            f.seek(FILE_BYTES_MAX - 1)
            f.write(b'"}')
    elif isinstance(make, bytes):
        path.write_bytes(make)
    elif isinstance(make, str):
        path.write_text(make)
    else:
        path.write_text(json.dumps(make(_digits_doc())))
    return str(path)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_gen_refuses_bad_network_file(tmp_path, case):
    """``python -m gen`` without --out: the default build/NAME-pP must not appear either."""
    path = _bad_file(tmp_path, case)
    p, created = run_cli(tmp_path, "gen", ["--net", path])
    assert_refused(p, created, BAD_FILES[case][1])


@pytest.mark.parametrize("module,extra", [("gen.lint", []), (RUN, ["--images", "1"]),
                                          (PROC_RUN, ["--images", "1"]),
                                          ("golden.evaluate", ["--no-snn", "--limit", "1"])])
@pytest.mark.parametrize("case", ["bias_2_70", "not_utf8", "name_path"])
def test_every_tool_refuses_bad_network_file(tmp_path, module, extra, case):
    path = _bad_file(tmp_path, case)
    p, created = run_cli(tmp_path, module, ["--net", path, *extra])
    assert_refused(p, created, BAD_FILES[case][1])


# -- options -------------------------------------------------------------------------------------

OPTION_CASES = [
    ("gen", ["--p", "0"], "cores (P)"),
    ("gen", ["--membrane-bits", "-3"], "membrane_bits -3"),
    ("gen", ["--net", "no_such_net"], "no_such_net"),
    ("gen", ["--out", "{file}/x"], "Not a directory"),
    ("gen", ["--out", "{foreign}"], "not a design folder"),
    ("gen", ["--out", "{file}"], "exists and is not a folder"),
    ("gen.lint", ["--p", "-1"], "cores (P)"),
    ("gen.lint", ["--out", "{file}/x"], "Not a directory"),
    (RUN, ["--images", "-5"], "argument --images"),
    (RUN, ["--images", "0"], "argument --images"),
    (RUN, ["--p", "0", "--images", "1"], "cores (P)"),
    (RUN, ["--net", "no_such_net"], "no_such_net"),
    (RUN, ["--images", "1", "--out", "{file}/x"], "Not a directory"),
    (RUN, ["--images", "1", "--out", "{foreign}"], "not a design folder"),
    (PROC_RUN, ["--net", "no_such_net"], "no_such_net"),
    (PROC_RUN, ["--preset", "no_such_preset"], "no capacity preset named 'no_such_preset'"),
    (PROC_RUN, ["--net", "mnist", "--preset", "ice40-digits"],
     "mnist does not fit ice40-digits: "),
    (PROC_RUN, ["--net", "digits-ttfs-t4"], "digits-ttfs-t4 fits no capacity preset"),
    (PROC_RUN, ["--images", "0"], "argument --images"),
    (PROC_RUN, ["--images", "-3"], "argument --images"),
    (PROC_RUN, ["--images", "x"], "argument --images"),
    (PROC_RUN, ["--images", "361"], "--images 361: digits has 360 held-out images"),
    (PROC_RUN, ["--images", "1", "--out", "{file}/x"], "Not a directory"),
    (PROC_RUN, ["--images", "1", "--out", "{file}"], "exists and is not a folder"),
    (PROC_RUN, ["--images", "1", "--out", "{foreign}"], "not a run folder"),
    ("golden.evaluate", ["--net", "digits", "--no-snn", "--limit", "-5"], "argument --limit"),
    ("golden.evaluate", ["--net", "digits", "--no-snn", "--limit", "0"], "argument --limit"),
    ("golden.evaluate", ["--net", "digits", "--no-snn", "--T", "0"], "argument --T"),
    ("golden.evaluate", ["--net", "digits", "--no-snn", "--T", "-2"], "argument --T"),
    ("golden.evaluate", ["--net", "no_such_net"], "no_such_net"),
    ("golden.evaluate", ["--sweep", "--no-snn", "--limit", "1", "--out", "{file}/x.md"],
     "Not a directory"),
    ("golden.evaluate", ["--net", "digits", "--no-snn", "--limit", "1", "--sweep"],
     "--sweep"),
    ("bench", ["--quick", "--p", "0"], "argument --p"),
    ("bench", ["--quick", "--rtl-images", "-1"], "argument --rtl-images"),
    ("bench", ["--quick", "--digits-events", "-5"], "argument --digits-events"),
    ("bench", ["--quick", "--vgg-images", "0"], "argument --vgg-images"),
    ("bench", ["--quick", "--vgg-images", "nan"], "argument --vgg-images"),
    ("bench", ["--quick", "--datasets", "digits,cifar"], "argument --datasets"),
    ("bench", ["--quick", "--nets", "{missing}"], "argument --nets"),
    ("bench", ["--quick", "--out", "{file}/x"], "Not a directory"),
    ("verif.sim", ["--test", "no_such_test"], "no_such_test"),
    ("verif.sim", ["--sim", "no_such_sim"], "no_such_sim"),
    ("verif.sim", ["--test", "network", "--images", "0"], "argument --images"),
    ("verif.sim", ["--test", "network", "--seed", "-1"], "argument --seed"),
]


@pytest.mark.parametrize("module,args,needle", OPTION_CASES,
                         ids=[f"{m}:{' '.join(a)}" for m, a, _ in OPTION_CASES])
def test_bad_option(tmp_path, module, args, needle):
    p, created = run_cli(tmp_path, module, args)
    assert_refused(p, created, needle)
    # what was in the way of an output is left as it was
    assert (tmp_path / "in" / "file.txt").read_text() == "a regular file\n"
    assert (tmp_path / "in" / "foreign" / "keep.txt").read_text() == "not a design\n"


def test_sim_refuses_bad_seed_variable(tmp_path):
    p, created = run_cli(tmp_path, "verif.sim", ["--test", "network"], env={"SEED": "abc"})
    assert_refused(p, created, "SEED")


TRAIN_CASES = [["--net", "digits", "--limit", "-5"], ["--net", "digits", "--epochs", "0"],
               ["--net", "digits", "--threads", "0"], ["--net", "digits", "--T", "0"],
               ["--net", "digits", "--seed", "-1"],
               ["--net", "digits", "--float-from", "{missing}"]]


@pytest.mark.parametrize("args", TRAIN_CASES, ids=[" ".join(a) for a in TRAIN_CASES])
def test_train_arguments(tmp_path, args):
    """golden.train's arguments; without the optional torch, the tool says so in one line."""
    p, created = run_cli(tmp_path, "golden.train", args)
    if importlib.util.find_spec("torch") is None:
        assert_refused(p, created, "needs PyTorch")
    else:
        assert_refused(p, created, "argument --")
