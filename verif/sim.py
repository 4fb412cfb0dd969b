"""Run cocotb testbenches from the command line (``make sim TEST=... SIM=... WAVES=1 SEED=n``).

    python -m verif.sim [--test NAME] [--sim icarus|verilator] [--waves] [--seed N]
                        [--images N]

Without ``--test`` every test runs. Prints one summary line per test (pass/fail, cycles,
simulated time, wall time); ``--waves`` writes FST (Verilator) or VCD (Icarus) for GTKWave and
prints the path. Bad input (an unknown test or simulator, a bad number, ``$SEED`` that is not
a seed) or a missing simulator prints one line on stderr and exits 2; a failing test exits 1.
"""

import argparse
import os
import sys

from golden import cli

from . import runner
from .cases import TESTS

PROG = "python -m verif.sim"


def main(argv=None):
    ap = cli.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--test", choices=TESTS, metavar="NAME",
                    help=f"one of: {', '.join(TESTS)} (default: all)")
    ap.add_argument("--sim", default="icarus", choices=runner.SIMULATORS,
                    help="icarus (default) or verilator")
    ap.add_argument("--waves", action="store_true", help="dump waves (FST/VCD) for GTKWave")
    ap.add_argument("--seed", type=cli.count(0), help="seed (default: $SEED, else fixed per test)")
    ap.add_argument("--images", type=cli.count(1), help="images for the layer/network tests")
    args = ap.parse_args(argv)

    if args.seed is None and os.environ.get("SEED", "") != "":
        try:  # runner.default_seed reads $SEED; refuse a bad one here, in one line
            cli.count(0)(os.environ["SEED"])
        except argparse.ArgumentTypeError as exc:
            return cli.fail(PROG, f"environment variable SEED {exc}")
    why = runner.sim_available(args.sim)
    if why:
        return cli.fail(PROG, why)
    from . import cases
    tests = [args.test] if args.test else list(TESTS)
    failed = 0
    for t in tests:
        opts = {}
        if args.images and t in cases.LAYER_TESTS:
            opts = {"images": args.images, "bp_images": args.images}
        elif args.images and t in ("network", "processor"):
            opts = {"images": args.images}
        res = cases.run(t, args.sim, seed=args.seed, waves=args.waves, **opts)
        print(res.line(), flush=True)
        failed += not res.passed
    if len(tests) > 1:
        print(f"{len(tests) - failed}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
