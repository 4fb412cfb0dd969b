"""Every held-out image of a network file through the generated accelerator under Verilator
(``verif.fast_harness``), each checked against the golden model (every layer's events, the
scores, the prediction and the cycle counts); the worked example of docs/byo_model.md.

    .venv/bin/python docs/byo_rtl_check.py build/byo/mnist-snntorch.json [--cores 8]

(``make regress`` does the same for the shipped networks.)
"""

import argparse
import time

from golden import data, network
from rtl.config import HardwareConfig
from verif import fast_harness


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("net", help="network file")
    ap.add_argument("--cores", type=int, default=8)
    args = ap.parse_args()
    net = network.load(args.net)
    x, y = data.load(args.net, "heldout")
    t0 = time.time()
    harness = fast_harness.FastHarness(HardwareConfig(net, cores=args.cores, trace=True))
    n = equal = rtl_correct = golden_correct = cycles = 0
    for r in harness.check([fast_harness.Images(x, y)]):
        if isinstance(r, fast_harness.RunTotals):
            continue
        n += 1
        equal += r.ok
        rtl_correct += r.prediction == r.label
        golden_correct += r.golden == r.label
        cycles += r.cycles
        if not r.ok:
            print(f"image {r.index}: {r.message}")
    print(f"{args.net}: {n} held-out images, RTL equals golden on {equal}, RTL accuracy "
          f"{rtl_correct / n:.4f}, golden accuracy {golden_correct / n:.4f}, "
          f"{cycles / n:.0f} cycles per image (input phase included), "
          f"{time.time() - t0:.0f} s (build {harness.build_s:.0f} s)")


if __name__ == "__main__":
    main()
