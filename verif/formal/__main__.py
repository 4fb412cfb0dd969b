"""``make formal``: run the formal checks and print what each proves, its mode, depth and time.

    python -m verif.formal                 # every check
    python -m verif.formal --ci            # the ones ``make test`` runs
    python -m verif.formal --check NAME    # one check (repeatable); --list names them
"""

import argparse
import sys
import time

from .checks import CHECKS, by_name, run_check
from .sby import FormalToolError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m verif.formal", description=__doc__.split("\n")[0])
    ap.add_argument("--ci", action="store_true", help="only the checks `make test` runs")
    ap.add_argument("--check", action="append", default=[], metavar="NAME",
                    help="run this check (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument("--workdir", default="build/formal",
                    help="where the jobs and counterexample traces go (default: build/formal)")
    args = ap.parse_args(argv)
    try:
        checks = [by_name(n) for n in args.check] or [c for c in CHECKS if c.ci or not args.ci]
    except KeyError as exc:
        print(f"formal: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.list:
        for c in checks:
            print(f"{c.name:<26} {c.mode:<5} depth {c.depth:>3}  {'ci ' if c.ci else '   '} "
                  f"{c.proves}")
        return 0
    t0 = time.monotonic()
    results = []
    for c in checks:
        print(f"formal: {c.name}: {c.proves}", flush=True)
        try:
            res = run_check(c, args.workdir)
        except FormalToolError as exc:
            print(f"formal: {exc}", file=sys.stderr)
            return 2
        print("  " + res.summary(), flush=True)
        results.append(res)
    failed = [r for r in results if not r.passed]
    print(f"formal: {len(results) - len(failed)} passed, {len(failed)} failed "
          f"({time.monotonic() - t0:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
