#!/usr/bin/env python3
"""The imports between the project's top-level packages, checked against their declared order.

    python scripts/layering.py            # print the graph; exit 1 on a cycle or an upward import
    python scripts/layering.py --check    # ... and exit 1 if the picture in the docs is stale
    python scripts/layering.py --write    # rewrite that picture (the marked section at the end)
    python scripts/layering.py --mermaid  # print the Mermaid picture instead of the text one

The packages form layers, each importing only those below it::

    bench -> verif -> gen -> rtl -> golden

``golden`` is the numeric contract and the reference models, ``rtl`` the gateware, ``gen`` the
generator and tools that emit or build it, ``verif`` the simulators and the checks against the
golden model (including the ``make run`` job), ``bench`` the measurements. Every ``import`` and
``from ... import`` counts, also those inside functions, and ``importlib.import_module`` of a
literal name; ``tests/`` and ``scripts/`` are not packages of the tool and are not read.

The picture in ``docs/ARCHITECTURE.md`` sits between ``<!-- layering:begin -->`` and
``<!-- layering:end -->`` (appended at the end of the file when the markers are missing); the
rest of that file is left alone.
"""

import ast
import os
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the layers, lowest first: a package may import itself and those before it
ORDER = ("golden", "rtl", "gen", "verif", "bench")
DOC = os.path.join("docs", "ARCHITECTURE.md")
BEGIN, END = "<!-- layering:begin -->", "<!-- layering:end -->"


def _modules(root, package):
    base = os.path.join(root, package)
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.join(d, f)


def _imported(node, parts):
    """Absolute module names imported by an ast node of a module inside package ``parts``."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            return [node.module]
        anchor = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
        return [".".join(anchor + ([node.module] if node.module else []))]
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if name in ("import_module", "__import__"):
            return [node.args[0].value]
    return []


def imports(root=ROOT):
    """{(importer, imported): [(file, line, module), ...]} between different top-level packages."""
    edges = defaultdict(list)
    for pkg in ORDER:
        for path in _modules(root, pkg):
            rel = os.path.relpath(path, root)
            parts = os.path.dirname(rel).split(os.sep)  # the module's package
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), filename=rel)
            for node in ast.walk(tree):
                for name in _imported(node, parts):
                    top = name.split(".")[0]
                    if top in ORDER and top != pkg:
                        edges[(pkg, top)].append((rel, node.lineno, name))
    return dict(edges)


def upward(edges):
    """The imports of a lower layer from a higher one, as ``file:line: a imports b`` lines."""
    rank = {p: i for i, p in enumerate(ORDER)}
    out = []
    for (src, dst), sites in sorted(edges.items()):
        if rank[dst] > rank[src]:
            out += [f"{f}:{line}: {src} imports {mod} ({dst} is above {src})"
                    for f, line, mod in sites]
    return out


def cycles(edges):
    """Every elementary cycle of the package graph, as lists of packages (small graph: DFS)."""
    succ = defaultdict(set)
    for src, dst in edges:
        succ[src].add(dst)
    found = set()

    def walk(start, node, path):
        for nxt in sorted(succ[node]):
            if nxt == start:
                found.add(tuple(path))
            elif nxt not in path and ORDER.index(nxt) > ORDER.index(start):
                walk(start, nxt, path + [nxt])

    for p in ORDER:  # each cycle once, from its lowest package
        walk(p, p, [p])
    return [list(c) + [c[0]] for c in sorted(found)]


def text_picture(edges):
    lines = []
    for src in reversed(ORDER):
        outs = [(dst, len(edges[(src, dst)])) for dst in reversed(ORDER) if (src, dst) in edges]
        lines.append(f"{src:<7}-> " + (", ".join(f"{d} ({n} imports)" for d, n in outs)
                                       or "(imports no other package)"))
    return "\n".join(lines)


def mermaid(edges):
    """A Mermaid flowchart: each arrow reads "imports from"; the layers stack top to bottom."""
    lines = ["flowchart TB"]
    lines += [f"  {src} --> {dst}" for src in reversed(ORDER) for dst in reversed(ORDER)
              if (src, dst) in edges]
    lines += [f"  {p}" for p in ORDER if not any(p in e for e in edges)]
    return "\n".join(lines)


def doc_section(edges):
    return "\n".join([
        BEGIN,
        "## Layering of the packages",
        "",
        "Generated from the imports by `python scripts/layering.py --write` (do not edit by hand;",
        "`tests/test_layering.py` fails when an import goes against the order or this picture is",
        "stale). An arrow reads \"imports from\"; a package imports only the packages below it:",
        "`golden` (contract, reference models) <- `rtl` (gateware) <- `gen` (generator, tools) <-",
        "`verif` (simulation and checks, `make run`) <- `bench` (measurements).",
        "",
        "```mermaid",
        mermaid(edges),
        "```",
        END,
    ]) + "\n"


def with_section(text, section):
    """``text`` with its marked section replaced by ``section`` (appended when missing)."""
    b, e = text.find(BEGIN), text.find(END)
    if b >= 0 and e > b:
        rest = text[e + len(END):].lstrip("\n")
        return text[:b] + section + ("\n" + rest if rest else "")
    return text.rstrip("\n") + "\n\n" + section


def main(argv=None):
    sys.path.insert(0, ROOT)
    from golden import cli

    ap = cli.ArgumentParser(prog="scripts/layering.py", description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=ROOT, type=cli.existing_dir,
                    help="repository to read (default: this one)")
    ap.add_argument("--mermaid", action="store_true", help="print the Mermaid picture")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="also fail when the picture in docs/ARCHITECTURE.md is stale")
    mode.add_argument("--write", action="store_true",
                      help="rewrite the picture in docs/ARCHITECTURE.md")
    a = ap.parse_args(argv)
    try:
        edges = imports(a.root)
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return cli.fail(ap.prog, exc)
    print(mermaid(edges) if a.mermaid else text_picture(edges))
    bad = upward(edges)
    loops = cycles(edges)
    for c in loops:
        print(f"layering: cycle {' -> '.join(c)}", file=sys.stderr)
    for line in bad:
        print(f"layering: {line}", file=sys.stderr)
    status = 1 if bad or loops else 0
    doc = os.path.join(a.root, DOC)
    if a.check or a.write:
        try:
            with open(doc, encoding="utf-8") as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        except OSError as exc:
            return cli.fail(ap.prog, exc)
        new = with_section(old, doc_section(edges))
        if a.write and new != old:
            from golden.files import atomic_write
            atomic_write(doc, new)
            print(f"layering: wrote the picture in {DOC}")
        elif a.check and new != old:
            print(f"layering: the picture in {DOC} is stale: run python scripts/layering.py "
                  "--write", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
