"""scripts/layering.py: the packages import downwards only, and the docs picture is current."""

import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "scripts", "layering.py")
PACKAGES = ("golden", "rtl", "gen", "verif", "bench")


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=120)


def test_this_repository_points_one_way_and_its_picture_is_current():
    p = _run("--check")
    assert p.returncode == 0, p.stderr
    assert "golden -> (imports no other package)" in p.stdout


@pytest.fixture
def tree(tmp_path):
    """A miniature repository whose packages import downwards only."""
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "rtl" / "top.py").write_text("from golden import contract\n")
    (tmp_path / "gen" / "emit.py").write_text("import rtl.top\nfrom . import emit\n")
    (tmp_path / "verif" / "run.py").write_text("from gen.emit import x\n")
    (tmp_path / "bench" / "m.py").write_text("from verif import run\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ARCHITECTURE.md").write_text("# Architecture\n\nHand-written text.\n")
    return tmp_path


def test_clean_tree(tree):
    p = _run("--root", str(tree))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


@pytest.mark.parametrize("file,source,needle", [
    # an upward import inside a function counts as much as one at the top
    ("gen/run.py", "def f():\n    from verif import scoreboard\n",
     "gen/run.py:2: gen imports verif (verif is above gen)"),
    ("golden/x.py", "import bench.report\n", "golden/x.py:1: golden imports bench.report"),
    ("rtl/y.py", "import importlib\nm = importlib.import_module('gen.emit')\n",
     "rtl/y.py:2: rtl imports gen.emit"),
    ("verif/sub/z.py", "from .. import run\nfrom ..run import x\n", None),  # within verif
])
def test_upward_import_fails(tree, file, source, needle):
    path = tree / file
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(source))
    p = _run("--root", str(tree))
    if needle is None:
        assert p.returncode == 0, p.stderr
        return
    assert p.returncode == 1
    assert needle in p.stderr
    assert "cycle" in p.stderr  # every one of these closes a loop through the downward imports


def test_write_appends_then_replaces_only_the_marked_section(tree):
    doc = tree / "docs" / "ARCHITECTURE.md"
    assert _run("--root", str(tree), "--check").returncode == 1  # no picture yet
    assert _run("--root", str(tree), "--write").returncode == 0
    text = doc.read_text()
    assert text.startswith("# Architecture\n\nHand-written text.\n\n<!-- layering:begin -->")
    assert "  bench --> verif\n" in text and "  rtl --> golden\n" in text
    assert text.endswith("<!-- layering:end -->\n")
    assert _run("--root", str(tree), "--check").returncode == 0
    # a new edge makes the picture stale; --write replaces the section, nothing else
    (tree / "verif" / "more.py").write_text("import rtl.top\n")
    assert _run("--root", str(tree), "--check").returncode == 1
    doc.write_text(text + "\nA paragraph another helper added.\n")
    assert _run("--root", str(tree), "--write").returncode == 0
    new = doc.read_text()
    assert "  verif --> rtl\n" in new and new.count("<!-- layering:begin -->") == 1
    assert new.startswith("# Architecture\n\nHand-written text.\n")
    assert new.endswith("A paragraph another helper added.\n")
