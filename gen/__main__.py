"""``python -m gen``: write the accelerator's Verilog, memory images and manifest, or (with
``--image --preset NAME``) a network's image for a processor capacity."""

import sys

from golden import cli
from golden.capacity import PRESETS, DoesNotFit
from golden.image import ImageError
from golden.network import NetworkError
from golden.network import load as load_network
from rtl.config import ConfigError

from .image import IMAGE_FILE, write_network_image
from .verilog import build_config, write_design

#: options of the fixed-network design that a processor image does not take
DESIGN_ONLY = ("p", "membrane_bits", "threshold_bits", "bias_bits", "adder", "no_trace")


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m gen", description=__doc__)
    ap.add_argument("--net", default="digits", help="shipped network name or network file")
    ap.add_argument("--p", type=int, default=None, help="neuron cores P (1..32; default 8)")
    ap.add_argument("--membrane-bits", type=int, default=None)
    ap.add_argument("--threshold-bits", type=int, default=None,
                    help="Theta field width (default: the network's largest Theta)")
    ap.add_argument("--bias-bits", type=int, default=None,
                    help="bias field width, signed (default: the network's largest |B|)")
    ap.add_argument("--adder", default=None, choices=("carry", "prefix"),
                    help="membrane adder: carry (FPGA carry chains, default) or prefix "
                         "(standard cells)")
    ap.add_argument("--no-trace", action="store_true", help="omit the trace stream")
    ap.add_argument("--image", action="store_true",
                    help="write the network's image for the processor capacity --preset "
                         f"({IMAGE_FILE} and summary.json) instead of a fixed-network design")
    ap.add_argument("--preset", choices=tuple(PRESETS),
                    help="processor capacity of --image (golden.capacity.PRESETS)")
    ap.add_argument("--out", default=None,
                    help="output folder (default build/NAME-pP, with --image "
                         "build/NAME-PRESET); a design folder is replaced whole, so it must be "
                         "absent, empty or an earlier design")
    a = ap.parse_args(argv)
    if a.image:
        return _image(ap, a)
    if a.preset is not None:
        ap.error("--preset goes with --image")
    P = 8 if a.p is None else a.p
    try:
        cfg = build_config(a.net, P, trace=not a.no_trace, membrane_bits=a.membrane_bits,
                           threshold_bits=a.threshold_bits, bias_bits=a.bias_bits,
                           adder=a.adder or "carry")
        out = a.out or f"build/{cfg.network.name}-p{P}"
        cli.check_output(out)
        man = write_design(cfg, out)
    except (NetworkError, ConfigError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(f"gen: wrote {out}/{man['verilog']} ({len(man['memory_images'])} memory images, "
          f"{man['memory_bits_total']} memory bits, P={P}, T={cfg.T}, "
          f"membrane {cfg.membrane_bits} bits, Theta {cfg.threshold_bits} bits, "
          f"bias {cfg.bias_bits} bits)")
    return 0


def _image(ap, a):
    given = [o for o in DESIGN_ONLY if getattr(a, o) not in (None, False)]
    if given:
        ap.error(f"--{given[0].replace('_', '-')} does not go with --image (the preset sets "
                 "the processor)")
    if a.preset is None:
        ap.error(f"--image needs --preset ({', '.join(PRESETS)})")
    cap = PRESETS[a.preset]
    try:
        net = load_network(a.net)
        out = a.out or f"build/{net.name}-{cap.name}"
        cli.check_output(out)
        info = write_network_image(net, cap, out)
    except (NetworkError, DoesNotFit, ImageError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    b = info["bytes_read"]
    print(f"gen: wrote {out}/{IMAGE_FILE} ({info['image_bytes']} bytes, P={cap.cores}, passes "
          f"per layer {' '.join(map(str, info['passes']))}, {b['total']} bytes read per "
          f"inference at {b['data_bits']}-bit data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
