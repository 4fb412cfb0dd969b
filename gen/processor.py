"""``python -m gen.processor --preset NAME``: write the processor of a capacity preset (its
Verilog and manifest); the networks it runs are images (``python -m gen --image``)."""

import hashlib
import json
import os
import sys

from golden import cli
from golden.capacity import PRESETS
from golden.files import atomic_directory
from rtl.processor import MAX_BURST_BEATS, Processor
from rtl.processor_config import ProcessorConfig

from .verilog import _check_replaceable, _write, emit, top_ports

__all__ = ["write_processor", "TOP"]

#: the Verilog module (and file) name of the processor
TOP = "snn_processor"


def write_processor(capacity, out_dir, *, trace=True, adder="carry", name=TOP):
    """Write ``<name>.v`` and ``manifest.json`` of the processor of ``capacity`` into
    ``out_dir`` (replaced whole, as ``gen.verilog.write_design`` does); returns the
    manifest."""
    _check_replaceable(out_dir)
    config = ProcessorConfig(capacity, trace=trace, adder=adder)
    top = Processor(config)
    text = emit(top, name)
    manifest = {
        "processor": True, "capacity": capacity.as_dict(), "trace": trace, "adder": adder,
        "max_burst_beats": MAX_BURST_BEATS, "top": name, "verilog": f"{name}.v",
        "verilog_sha256": hashlib.sha256(text.encode()).hexdigest(), "ports": top_ports(top),
    }
    with atomic_directory(out_dir) as tmp:
        _write(os.path.join(tmp, f"{name}.v"), text)
        _write(os.path.join(tmp, "manifest.json"),
               json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m gen.processor", description=__doc__.split("\n")[0])
    ap.add_argument("--preset", required=True, choices=tuple(PRESETS),
                    help="capacity (golden.capacity.PRESETS)")
    ap.add_argument("--adder", default="carry", choices=("carry", "prefix"),
                    help="membrane adder: carry (FPGAs, default) or prefix (standard cells)")
    ap.add_argument("--no-trace", action="store_true", help="omit the trace stream")
    ap.add_argument("--out", default=None,
                    help="output folder (default build/processor-PRESET); replaced whole, so "
                         "it must be absent, empty or an earlier design")
    a = ap.parse_args(argv)
    cap = PRESETS[a.preset]
    out = a.out or f"build/processor-{cap.name}"
    try:
        cli.check_output(out)
        man = write_processor(cap, out, trace=not a.no_trace, adder=a.adder)
    except OSError as exc:
        return cli.fail(ap.prog, exc)
    print(f"gen.processor: wrote {out}/{man['verilog']} (preset {cap.name}: P={cap.cores}, "
          f"membrane {cap.membrane_words} words, weights {cap.weight_words} words, "
          f"AXI {cap.data_bits} bits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
