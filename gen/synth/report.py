"""``build/synth/report.{json,md}``: every run keyed ``net/pP/target``, merged."""

import json
import os

from golden.files import atomic_write

from .tools import load_json


def fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


#: entries of another layout (an older gen.synth) are dropped when a report is merged
REPORT_FORMAT = 2

_WIRE_LABELS = {"ideal": "no wire", "liberty_wlm": "Liberty WLM", "routed": "routed est."}


def fpga_logic_text(e):
    """The logic used on an FPGA: nextpnr's placed figures first, then Yosys's LUT4 count."""
    placed = e["placed"]
    pre = f"{fmt(e['luts'])} LUT4 before packing"
    if "ICESTORM_LC" in placed:
        lc = placed["ICESTORM_LC"]
        return f"{fmt(lc['used'])} / {fmt(lc['available'])} LCs placed ({pre})"
    comb, sl = placed["TRELLIS_COMB"], placed["slices"]
    return (f"{fmt(comb['used'])} / {fmt(comb['available'])} TRELLIS_COMB, "
            f"{fmt(sl['used'])} / {fmt(sl['available'])} slices placed ({pre})")


def fpga_ff_text(e):
    ff = e["placed"].get("TRELLIS_FF")
    return f"{fmt(ff['used'])} TRELLIS_FF placed" if ff else f"{fmt(e['flip_flops'])} FFs"


def slack_text(sta):
    """Worst slack under every wire model, e.g. ``+0.85 ns no wire, -0.38 ns routed est.``."""
    return ", ".join(f"{m['worst_slack_ns']:+.3f} ns {_WIRE_LABELS.get(name, name)}"
                     for name, m in sta["wire_models"].items())


def _ratio(a, b):
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b \
        else "-"


def comparison_rows(proc, fixed):
    """``[(figure, processor value, fixed-network value, processor / fixed)]`` of two report
    entries of the same target (numbers where a ratio means something, else text)."""
    t = proc["target"]
    rows = []
    if t in ("ice40", "ecp5"):
        rows.append(("device", proc["device"], fixed["device"]))
        for res in ("ICESTORM_LC", "TRELLIS_COMB", "slices", "TRELLIS_FF", "ICESTORM_RAM",
                    "DP16KD", "MULT18X18D"):
            if res in proc["placed"] or res in fixed["placed"]:
                rows.append((f"{res} placed", proc["placed"].get(res, {}).get("used", 0),
                             fixed["placed"].get(res, {}).get("used", 0)))
        rows += [("LUT4 before packing", proc["luts"], fixed["luts"]),
                 ("flip-flops (Yosys)", proc["flip_flops"], fixed["flip_flops"]),
                 ("block RAMs", proc["brams"], fixed["brams"]),
                 ("DSPs", proc["dsps"], fixed["dsps"]),
                 ("of which pin-wrapper flip-flops",
                  proc.get("pin_wrapper", {}).get("flip_flops", "-"),
                  fixed.get("pin_wrapper", {}).get("flip_flops", "-")),
                 ("Fmax MHz (nextpnr)", proc["fmax_mhz"], fixed["fmax_mhz"])]
    elif t == "sky130":
        rows += [("logic kGE", proc["logic_kge"], fixed["logic_kge"]),
                 ("memories (macros)", proc["memories"], fixed["memories"]),
                 ("memory bits", proc["memory_bits"], fixed["memory_bits"]),
                 ("SRAM um² (lower bound)", proc["memory_um2_est"], fixed["memory_um2_est"])]
        for name, m in proc["sta"]["wire_models"].items():
            rows.append((f"slack ns @ {proc['period_ns']} ns, {_WIRE_LABELS.get(name, name)}",
                         m["worst_slack_ns"],
                         fixed["sta"]["wire_models"][name]["worst_slack_ns"]))
        for name, m in proc["sta"]["wire_models"].items():
            rows.append((f"Fmax MHz, {_WIRE_LABELS.get(name, name)}", m["achieved_mhz"],
                         fixed["sta"]["wire_models"][name]["achieved_mhz"]))
    else:
        rows += [("cells", proc["cells"], fixed["cells"]),
                 ("flip-flops", proc["flip_flops"], fixed["flip_flops"]),
                 ("memory bits", proc["memory_bits"], fixed["memory_bits"])]
    return [(f, a, b, "-" if f.startswith("slack") else _ratio(a, b)) for f, a, b in rows]


def _comparison_markdown(entries):
    lines = []
    for key in sorted(entries):
        e = entries[key]
        other = entries.get(e.get("compare_key") or "")
        if other is None:
            continue
        lines += [f"## {key} against {e['compare_key']} (fixed-network {other['network']}, "
                  f"P = {other['cores']})", "",
                  f"| figure | processor | {other['network']} | processor / fixed |",
                  "|---|---|---|---|"]
        for f, a, b, r in comparison_rows(e, other):
            show = (lambda v: f"{v:+.3f}") if f.startswith("slack") else fmt
            lines.append(f"| {f} | {show(a)} | {show(b)} | {r} |")
        lines.append("")
    return lines


def workload_text(e):
    """The frames per second of a processor's workload, one per clock, e.g. ``vgg16-shape-random:
    4,608,043 cycles per inference; 21.7 frames/s at 100.0 MHz (no wire), ...``."""
    w = e["workload"]
    clocks = ({name: m["achieved_mhz"] for name, m in e["sta"]["wire_models"].items()}
              if "sta" in e else {"nextpnr": e.get("fmax_mhz")})
    rates = ", ".join(f"{fps:,.2f} frames/s at {clocks[name]} MHz "
                      f"({_WIRE_LABELS.get(name, name)})"
                      for name, fps in e["workload_fps"].items())
    return (f"{w['network']}: {fmt(w['cycles_per_inference'])} cycles per inference; "
            f"{rates or 'no Fmax on this target'}")


def memory_list_markdown(key, memories):
    """The memories of a run, one row each (largest first), with their total."""
    lines = [f"## {key}: memories ({len(memories)}, {fmt(sum(m['bits'] for m in memories))} "
             "bits)", "", "| memory | width × depth | bits | ports (r/w) | macro |",
             "|---|---|---|---|---|"]
    lines += [f"| `{m['memory']}` | {m['width']} × {fmt(m['depth'])} | {fmt(m['bits'])} "
              f"| {m['read_ports']}/{m['write_ports']} | {m.get('macro', '-')} |"
              for m in memories]
    return lines + [""]


def render_markdown(entries):
    lines = ["# Synthesis report", "",
             ("Generated by `python -m gen.synth`; one row per net/P/target. "
              "Work files under `build/synth/work/`. FPGA logic: nextpnr's placed resources, "
              "then Yosys's LUT4 cells before packing (logic only). SKY130 slack: under each "
              "wire model of the section below the table."), "",
             ("| net | P | target | device | logic | FFs | memories (bits) | BRAM | DSP "
              "| area | Fmax / slack | time (s) |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(entries):
        e = entries[key]
        t = e["target"]
        if t == "generic":
            row = ["-", f"{fmt(e['cells'])} cells", fmt(e["flip_flops"]),
                   f"{e['memories']} ({fmt(e['memory_bits'])})", "-", "-",
                   f"{fmt(e['transistors'])} transistors", "-"]
        elif t in ("ice40", "ecp5"):
            row = [e["device"], fpga_logic_text(e), fpga_ff_text(e), "-",
                   f"{e['brams']} / {e['capacity']['brams']}",
                   f"{e['dsps']} / {e['capacity']['dsps']}", "-",
                   f"{e['fmax_mhz']} MHz (target {e['clock_target_mhz']})"]
        else:
            row = ["sky130_fd_sc_hd tt", f"{e['logic_kge']} kGE", "-",
                   f"{e['memories']} ({fmt(e['memory_bits'])})", "-", "-",
                   (f"logic {fmt(e['logic_um2'], 0)} um² + SRAM ≥ "
                    f"{fmt(e['memory_um2_est'], 0)} um²"),
                   f"slack @ {e['period_ns']} ns: {slack_text(e['sta'])}"]
        lines.append("| " + " | ".join([e["network"], str(e["cores"]), t] + row
                                       + [fmt(e["seconds"])]) + " |")
    lines.append("")
    lines += _comparison_markdown(entries)
    for key in sorted(entries):
        e = entries[key]
        if e.get("pin_wrapper"):
            pw = e["pin_wrapper"]
            lines += [f"{key}: {e['design']}; the pin wrapper (gen/synth/pins.py) adds "
                      f"{fmt(pw['flip_flops'])} flip-flops ({fmt(pw['input_bits'])} input and "
                      f"{fmt(pw['output_bits'])} output port bits, one pin) and an XOR tree.", ""]
        if e.get("processor_capacity"):
            lines += [f"{key}: capacity `{json.dumps(e['processor_capacity'], sort_keys=True)}`",
                      ""]
        if e.get("workload"):
            w = e["workload"]
            lines += [f"## {key}: workload frames per second", "",
                      f"{workload_text(e)}.", "",
                      f"Cycles: {w['model']}; per image {', '.join(fmt(c) for c in w['cycles'])}. "
                      "Each Fmax is the STA's under the wire model named beside it, with the "
                      "memory macros' assumed timing (settings: sram_timing), not a "
                      "characterised macro's access time." if "sta" in e else
                      f"Cycles: {w['model']}; per image {', '.join(fmt(c) for c in w['cycles'])}.",
                      ""]
        if e.get("memory_list") and (e["target"] == "sky130" or e.get("processor_capacity")):
            lines += memory_list_markdown(key, e["memory_list"])
        if "components" in e:
            lines += [f"## {key}: by component", ""]
            cols = sorted({c for v in e["components"].values() for c in v})
            lines.append("| component | " + " | ".join(cols) + " |")
            lines.append("|---|" + "---|" * len(cols))
            for comp, v in e["components"].items():
                lines.append(f"| {comp} | " + " | ".join(fmt(v.get(c)) for c in cols) + " |")
            lines.append("")
        if e.get("placed"):
            lines += [f"## {key}: placed resources (nextpnr)", "",
                      "| resource | used | available |", "|---|---|---|"]
            lines += [f"| {k} | {fmt(v['used'])} | {fmt(v['available'])} |"
                      for k, v in e["placed"].items()]
            if "slices" in e["placed"]:
                lines += ["", ("slices: SLICEs holding any placed cell (two LUT4 positions and "
                               "two flip-flops each); TRELLIS_COMB/2 rounded up would be "
                               f"{fmt(e['placed']['slices']['lower_bound'])}.")]
            lines.append("")
        if e.get("critical_path"):
            cp = e["critical_path"]
            lines += [f"## {key}: critical path", "",
                      f"- source: `{cp.get('source')}`", f"- sink: `{cp.get('sink')}`", ""]
        if e.get("sta"):
            lines += [f"## {key}: static timing at {e['period_ns']} ns (OpenSTA)", "",
                      "| wire model | assumption | worst slack (ns) | TNS (ns) | period (ns) "
                      "| MHz | critical path |", "|---|---|---|---|---|---|---|"]
            for name, m in e["sta"]["wire_models"].items():
                cp = m["critical_path"]
                lines.append(f"| {name} | {m['assumption']} | {m['worst_slack_ns']:+.3f} "
                             f"| {m['tns_ns']:.3f} | {m['achieved_period_ns']} "
                             f"| {m['achieved_mhz']} "
                             f"| `{cp['startpoint']}` → `{cp['endpoint']}` |")
            lines += ["", f"Timing: {e['sta']['note']}.",
                      f"SRAM area: {e['settings']['sram_source']}.", ""]
        lines += [f"Settings ({key}): `{json.dumps(e.get('settings', {}), sort_keys=True)}`",
                  f"Tools: `{json.dumps(e.get('tools', {}), sort_keys=True)}`", ""]
    return "\n".join(lines) + "\n"


def write_report(out_dir, new_entries):
    path = os.path.join(out_dir, "report.json")
    entries = {}
    if os.path.exists(path):
        try:
            entries = {k: v for k, v in load_json(path).items()
                       if isinstance(v, dict) and v.get("report_format") == REPORT_FORMAT}
        except (OSError, ValueError, AttributeError):
            entries = {}
    entries.update(new_entries)
    atomic_write(path, json.dumps(entries, indent=1, sort_keys=True) + "\n")
    atomic_write(os.path.join(out_dir, "report.md"), render_markdown(entries))


def summary(e):
    """One line of a report entry, for the terminal."""
    t = e["target"]
    if t == "generic":
        return f"{e['cells']} cells, {e['memories']} memories ({e['memory_bits']} bits)"
    if t in ("ice40", "ecp5"):
        return (f"{e['device']}: {fpga_logic_text(e)}, {fpga_ff_text(e)}, {e['brams']} BRAMs, "
                f"{e['dsps']} DSPs, Fmax {e['fmax_mhz']} MHz")
    return (f"logic {e['logic_um2']:.0f} um2 = {e['logic_kge']} kGE, memories "
            f"{e['memory_bits']} bits >= {e['memory_um2_est']:.0f} um2 (lower bound), "
            f"slack at {e['period_ns']} ns: {slack_text(e['sta'])}")
