"""Run cocotb testbenches from the command line (``make sim TEST=... SIM=... WAVES=1 SEED=n``).

    python -m verif.sim [--test NAME] [--sim icarus|verilator] [--waves] [--seed N]
                        [--images N]

Without ``--test`` every test runs. Prints one summary line per test (pass/fail, cycles,
simulated time, wall time); ``--waves`` writes FST (Verilator) or VCD (Icarus) for GTKWave and
prints the path. A missing simulator or an unknown test prints one line and exits 2; a failing
test exits 1.
"""

import argparse
import sys

from . import runner
from .cases import TESTS


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m verif.sim", description=__doc__.split("\n")[0])
    ap.add_argument("--test", help=f"one of: {', '.join(TESTS)} (default: all)")
    ap.add_argument("--sim", default="icarus", help="icarus (default) or verilator")
    ap.add_argument("--waves", action="store_true", help="dump waves (FST/VCD) for GTKWave")
    ap.add_argument("--seed", type=int, help="seed (default: $SEED, else fixed per test)")
    ap.add_argument("--images", type=int, help="images for the layer/network tests")
    args = ap.parse_args(argv)

    if args.test and args.test not in TESTS:
        print(f"verif.sim: unknown test {args.test!r} (known: {', '.join(TESTS)})")
        return 2
    why = runner.sim_available(args.sim)
    if why:
        print(f"verif.sim: {why}")
        return 2
    from . import cases
    tests = [args.test] if args.test else list(TESTS)
    failed = 0
    for t in tests:
        opts = {}
        if args.images and t in cases.LAYER_TESTS:
            opts = {"images": args.images, "bp_images": args.images}
        elif args.images and t == "network":
            opts = {"images": args.images}
        res = cases.run(t, args.sim, seed=args.seed, waves=args.waves, **opts)
        print(res.line(), flush=True)
        failed += not res.passed
    if len(tests) > 1:
        print(f"{len(tests) - failed}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
