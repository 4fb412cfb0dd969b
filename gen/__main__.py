"""``python -m gen``: write the accelerator's Verilog, memory images and manifest."""

import sys

from golden import cli
from golden.network import NetworkError
from rtl.config import ConfigError

from .verilog import build_config, write_design


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m gen", description=__doc__)
    ap.add_argument("--net", default="digits", help="shipped network name or network file")
    ap.add_argument("--p", type=int, default=8, help="neuron cores P (1..32)")
    ap.add_argument("--membrane-bits", type=int, default=None)
    ap.add_argument("--threshold-bits", type=int, default=None,
                    help="Theta field width (default: the network's largest Theta)")
    ap.add_argument("--bias-bits", type=int, default=None,
                    help="bias field width, signed (default: the network's largest |B|)")
    ap.add_argument("--adder", default="carry", choices=("carry", "prefix"),
                    help="membrane adder: carry (FPGA carry chains) or prefix (standard cells)")
    ap.add_argument("--no-trace", action="store_true", help="omit the trace stream")
    ap.add_argument("--out", default=None,
                    help="output folder (default build/NAME-pP); replaced whole, so it must be "
                         "absent, empty or an earlier design")
    a = ap.parse_args(argv)
    try:
        cfg = build_config(a.net, a.p, trace=not a.no_trace, membrane_bits=a.membrane_bits,
                           threshold_bits=a.threshold_bits, bias_bits=a.bias_bits,
                           adder=a.adder)
        out = a.out or f"build/{cfg.network.name}-p{a.p}"
        cli.check_output(out)
        man = write_design(cfg, out)
    except (NetworkError, ConfigError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(f"gen: wrote {out}/{man['verilog']} ({len(man['memory_images'])} memory images, "
          f"{man['memory_bits_total']} memory bits, P={a.p}, T={cfg.T}, "
          f"membrane {cfg.membrane_bits} bits, Theta {cfg.threshold_bits} bits, "
          f"bias {cfg.bias_bits} bits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
