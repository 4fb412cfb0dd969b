"""``python -m bench``: write build/bench/report.md, report.json and plots (see bench/__init__)."""

import os

# single-threaded golden models (tool-speed figures are "one core"); set before numpy loads
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402

from golden import cli  # noqa: E402

PROG = "python -m bench"


def _datasets(text):
    """Option type of --datasets: comma-separated names of golden.data.DATASETS."""
    from golden.data import DATASETS
    names = [d for d in text.split(",") if d]
    unknown = [d for d in names if d not in DATASETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more of {', '.join(DATASETS)} "
                                         "separated by commas")
    return text


def parse(argv=None):
    from rtl.config import P_MAX
    ap = cli.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("build", "bench"), help="output folder")
    ap.add_argument("--quick", action="store_true",
                    help="digits only, tiny subsets, no Verilator/Icarus (smoke test)")
    ap.add_argument("--full", action="store_true",
                    help="event-driven model on every held-out image (mnist: 2000, slow)")
    ap.add_argument("--datasets", type=_datasets, default="digits,mnist")
    ap.add_argument("--nets", type=cli.existing_dir, default=None,
                    help="folder of network files (default: nets/)")
    ap.add_argument("--p", type=cli.count(1, P_MAX), default=8,
                    help="cores P of the cycle model and the RTL")
    ap.add_argument("--digits-events", type=cli.count(0), default=360,
                    help="digits held-out images through the event-driven model (0 = all)")
    ap.add_argument("--mnist-events", type=cli.count(0), default=200,
                    help="mnist held-out images through the event-driven model (0 = all)")
    ap.add_argument("--rtl-images", type=cli.count(0), default=10,
                    help="digits images simulated in RTL")
    ap.add_argument("--rtl-mnist", type=cli.count(0), default=1,
                    help="mnist images simulated in RTL")
    ap.add_argument("--rtl-variants", action="store_true",
                    help="RTL on every TTFS variant, not only the base networks")
    ap.add_argument("--hdl-images", type=cli.count(0), default=5,
                    help="images of the cocotb network test under Verilator and Icarus (0: skip)")
    ap.add_argument("--with-synth", action="store_true",
                    help="run `python -m gen.synth --sweep` when build/synth/sweep.json is absent")
    ap.add_argument("--vgg-images", type=cli.count(1, 64), default=4,
                    help="held-out synthetic images of the VGG-16 workload for the energy model")
    a = ap.parse_args(argv)
    if a.full:
        a.digits_events = a.mnist_events = 0
    if a.quick:
        a.digits_events = min(a.digits_events or 20, 20)
        a.rtl_images = min(a.rtl_images, 2)
        a.rtl_mnist = 0
        a.hdl_images = 0
        a.vgg_images = 1
    return a


def main(argv=None):
    args = parse(argv)
    try:
        cli.check_output(os.path.join(args.out, "report.md"))
    except OSError as exc:
        return cli.fail(PROG, exc)
    from .run import run
    res = run(args)
    out = os.path.abspath(args.out)
    print(f"bench: report in {os.path.join(out, 'report.md')} ({res['bench_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
