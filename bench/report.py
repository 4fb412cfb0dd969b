"""Markdown rendering of the bench results (every number comes from the result dict)."""

import math

from . import energy as E

__all__ = ["markdown", "SECTIONS"]

SECTIONS = ("## 1. Accuracy against T", "## 2. Work per inference",
            "## 3. Energy per inference", "## 4. Tool speed", "## 5. Plots",
            "## 6. Accuracy against depth", "## 7. Coding: TTFS, rate, time-stepped")


def _pct(v, d=2):
    return "-" if v is None else f"{100 * v:.{d}f}"


def _num(v, d=0):
    if v is None:
        return "-"
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "-"
    return f"{v:,.{d}f}"


def _table(hdr, rows):
    out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _accuracy(r):
    L = [SECTIONS[0], "",
         "Integer ANN = `golden.dense` on the whole held-out split (the event-driven SNN equals "
         "it bit for bit: column *SNN = int* checks it, scores and class, on the event subset). "
         "Golden SNN = `golden.event` on the first *n* held-out images. RTL = the generated "
         "accelerator under Amaranth's simulator (`verif.amaranth_sim.run_inference`), checked "
         "event by event, score, prediction and per-phase cycle count against the golden model "
         "(`verif.scoreboard.check`); the bench simulates the base TTFS networks (the rate-coded "
         "ones are verified on the processor's rate presets: `make regress-processor "
         "PRESET=ecp5-mnist-rate-t8`). Accuracies in %.", ""]
    for ds, rows in r["results"].items():
        if ds in r["skipped"]:
            L += [f"**{ds}**: skipped: {r['skipped'][ds]}.", ""]
            continue
        if not rows:
            continue
        fsrc = r["float_source"].get(ds)
        L += [f"### {ds} (held-out split, {rows[0]['images']} images)", "",
              f"Float ANN: {_pct(r['float_acc'].get(ds))} % ({fsrc}; the BN-folded float network "
              "every variant was converted from).", ""]
        body = []
        for x in rows:
            rt = r["rtl"].get(x["net"])
            if rt is None:
                rtl = "not run here"
            elif "error" in rt:
                rtl = f"error: {rt['error']}"
            else:
                rtl = (f"{_pct(rt['rtl_acc'], 1)} on {rt['images']}; = golden "
                       f"{_pct(rt['equals_golden'], 0)} %")
            body.append([x["net"], x["coding"], x["fire_rule"], x["T"],
                         _pct(r["float_acc"].get(ds)), _pct(x["int_acc"]),
                         f"{_pct(x['snn_acc'])} (n={x['event_images']})",
                         _pct(x["snn_equals_int"], 0), rtl])
        L += _table(["network", "coding", "rule", "T", "float ANN", "integer ANN", "golden SNN",
                     "SNN = int", "RTL SNN"], body)
        for x in r["rtl"].values():
            for m in x.get("mismatches", []):
                L.append(f"- RTL mismatch: {m}")
    return L


def _work(r):
    L = [SECTIONS[1], "",
         "Means per inference over the event-driven subset (`golden.event` counts). Spikes = "
         "events of all layers including the input encoder's. Membrane reads/writes include the "
         "fire phase (read and clear of every neuron). Spike buffer: writes = input events + "
         "layer output events, reads = layer input events. Bias/threshold: one parameter-memory "
         "read per output channel (rounded up to whole groups of P). Cycles: "
         "`golden.cycles.network_cycles` at P = "
         f"{r['args']['p']} (both codings; the RTL equals it); *RTL cycles* = the simulated "
         "phase lengths on the RTL subset. Dense MACs: the same network run as a dense ANN "
         "(conv C_in·K·K·H_out·W_out·C_out + dense N_in·N_out).", ""]
    for ds, rows in r["results"].items():
        if not rows:
            continue
        body = []
        for x in rows:
            c = x["counts"]
            rt = r["rtl"].get(x["net"])
            rc = "-"
            if rt and "error" not in rt:
                rc = (f"{_num(rt['cycles_rtl'])} ({rt['cycles_equal']}/{rt['images']} = "
                      "model)")
            body.append([x["net"], _num(x["spikes_dense"], 1), _num(c["events"], 1),
                         _num(c["synops"]), _num(c["synops_nonzero"]),
                         f"{_num(c['membrane_reads'])} / {_num(c['membrane_writes'])}",
                         _num(c["weight_reads"]),
                         f"{_num(c['spike_writes'] + c['input_events'])} / "
                         f"{_num(c['spike_reads'])}",
                         _num(x["param_reads"]), _num(x["cycles_model"]), rc, _num(x["macs"]),
                         f"{c['synops'] / x['macs']:.3f}"])
        L += [f"### {ds}", ""]
        L += _table(["network", "spikes (full split)", "spikes (subset)", "synops",
                     "synops ≠ 0", "membrane R / W", "weight R", "spike buf W / R",
                     "param R", "cycles (model)", "RTL cycles", "dense MACs",
                     "synops / MAC"], body)
    L += ["### TTFS against rate coding at equal or better accuracy", "",
          "For every rate-coded variant, the TTFS variant with the fewest spikes among those "
          "whose accuracy (integer model = SNN, whole held-out split) is equal or better. "
          "Ratios are rate / TTFS (> 1: TTFS needs less).", ""]
    for ds, comps in r["comparisons"].items():
        if not comps:
            L += [f"{ds}: no rate-coded or no TTFS variants to compare.", ""]
            continue
        body = [[c["rate"], _pct(c["rate_acc"]), _num(c["rate_spikes"], 1), c["ttfs"],
                 _pct(c["ttfs_acc"]), _num(c["ttfs_spikes"], 1),
                 "yes" if c["equal_or_better"] else "**no** (best TTFS shown)",
                 f"{c['spike_ratio']:.2f}x", f"{c['synop_ratio']:.2f}x",
                 f"{c['energy_ratio']:.2f}x"] for c in comps]
        L += [f"**{ds}**", ""]
        L += _table(["rate variant", "acc", "spikes", "TTFS variant", "acc", "spikes",
                     "TTFS acc ≥ rate", "spike ratio", "synop ratio", "energy ratio"], body)
    for ds in r["results"]:
        L += _claim(r, ds)
    return L


def _claim(r, ds="mnist"):
    L = []
    comps = r["comparisons"].get(ds)
    what = "mnist held-out" if ds == "mnist" else f"{ds} held-out"
    if ds in r["skipped"]:
        return [f"**Claim ({what})**: not measured: {r['skipped'][ds]}.", ""]
    if not comps:
        return [f"**Claim ({what})**: not measured: no {ds} rate-coded and TTFS variants both "
                "in nets/.", ""]
    ok = [c for c in comps if c["equal_or_better"]]
    if ok:
        worst = min(ok, key=lambda c: c["spike_ratio"])
        holds = worst["spike_ratio"] >= 3.0
        L.append(f"**Claim ({what}): TTFS needs at least 3x fewer spikes per inference "
                 f"than rate coding at equal or better accuracy: "
                 f"{'HOLDS' if holds else 'DOES NOT HOLD'}.** Smallest measured ratio "
                 f"{worst['spike_ratio']:.2f}x ({worst['rate']} {_num(worst['rate_spikes'], 1)} "
                 f"spikes at {_pct(worst['rate_acc'])} % vs {worst['ttfs']} "
                 f"{_num(worst['ttfs_spikes'], 1)} at {_pct(worst['ttfs_acc'])} %); over all "
                 f"rate variants matched: " + ", ".join(f"{c['spike_ratio']:.2f}x" for c in ok)
                 + ".")
    not_ok = [c for c in comps if not c["equal_or_better"]]
    if not_ok:
        L.append("Rate variants that no TTFS variant matches in accuracy: " + ", ".join(
            f"{c['rate']} ({_pct(c['rate_acc'])} %; best TTFS {c['ttfs']} "
            f"{_pct(c['ttfs_acc'])} %, spike ratio {c['spike_ratio']:.2f}x)" for c in not_ok)
            + ".")
    return L + [""]


def _energy(r):
    L = [SECTIONS[2], "",
         "Two models (`bench/energy.py`). The shipped networks on the fixed-network "
         "accelerator: counts of section 2 × Horowitz's 45 nm table, the first-order model of "
         "the tables below (every memory under 8 KB charged as 8 KB). VGG-16 on the processor: "
         "the per-dataflow model at 28 nm (CACTI per-access energies for every memory size, "
         "registers, external memory in its own column), in the last subsection. Assumptions "
         "of the first:", ""]
    L += [f"- {a}" for a in r["energy_assumptions"]]
    L += ["", "Unit energies used (45 nm), per access of one word of one instance:", ""]
    seen = False
    for ds, rows in r["results"].items():
        for x in rows:
            if x["net"] != ds:
                continue
            seen = True
            body = []
            for name, m in x["memories"].items():
                size = m["depth"] * m["width"]
                body.append([name, m["instances"], m["depth"], m["width"],
                             f"{size / 8 / 1024:.2f}", f"{E.sram_pj(size, m['width']):.3f}"])
            L += [f"`{x['net']}` memories (P = {r['args']['p']}):", ""]
            L += _table(["memory", "instances", "depth", "width (bits)", "KiB / instance",
                         "pJ / access"], body)
            L += [f"Add of the membrane width ({x['membrane_bits']} bits): "
                  f"{E.add_pj(x['membrane_bits']):.3f} pJ; 8-bit multiply "
                  f"{E.mul_pj(8):.3f} pJ.", ""]
    if not seen:
        L += ["(no base network measured)", ""]
    for ds, rows in r["results"].items():
        if not rows:
            continue
        body = []
        for x in rows:
            e = x["energy_pj_45nm"]
            tot = e["total"]
            body.append([x["net"], f"{x['energy_nj_45nm']:.2f}", f"{x['energy_nj_28nm']:.2f}",
                         f"{100 * e['membrane_sram'] / tot:.0f} / "
                         f"{100 * e['weight_sram'] / tot:.0f}"
                         f" / {100 * e['spike_buffer_sram'] / tot:.0f} / "
                         f"{100 * e['bias_threshold_sram'] / tot:.0f}",
                         f"{100 * (e['accumulate'] + e['fire'] + e['input_encoder']) / tot:.0f}",
                         f"{x['snn_accumulate_nj_45nm']:.3f}", f"{x['ann_compute_nj_45nm']:.3f}"])
        L += [f"### {ds}: energy per inference", ""]
        L += _table(["network", "SNN total nJ (45 nm)", "SNN total nJ (28 nm)",
                     "% membrane / weight / spike buf / bias+thr SRAM", "% logic",
                     "SNN accumulate-only nJ", "dense ANN MAC-only nJ (8b×8b+32b)"], body)
    return L + _vgg(r)


_COMPONENTS = (("membrane", "membrane SRAM"), ("accumulator_registers", "accumulator registers"),
               ("weights", "weight SRAM"), ("spike_buffer", "spike buffers"),
               ("time_map", "time map"), ("params", "bias/threshold"),
               ("accumulate", "adders"), ("fire", "fire units"), ("input_encoder", "encoder"))


def _vgg(r):
    """VGG-16 on the processor at 28 nm, per dataflow (``bench.energy.vgg16_processor``)."""
    v = r["vgg16"]
    flows = v["dataflows"]
    c = v["counts"]
    L = ["### VGG-16 on 3×32×32 on the processor, 28 nm, per dataflow", "",
         f"Network: `{v['net']}` (`golden.workload`: the full-width VGG-16 shape, 13 conv "
         "layers of 64..512 channels and fc512, fc10, random log weights, thresholds "
         "calibrated so that every conv layer fires at the fraction `mnist-vgg16` fires at, "
         "`nets/stats/mnist-vgg16.firing.json`; not a classifier) on the "
         f"`{v['preset']}` capacity preset (P = {v['P']}, T = {v['T']}). Counts: golden dense "
         f"model (= event model) on {v['images']} held-out synthetic images: "
         f"{_num(c['input_events'])} input events, {_num(v['events'])} events in all, "
         f"{_num(v['synops'])} synaptic operations per inference. External memory: "
         f"`golden.image.bytes_read` = {_num(v['bytes_read'])} bytes per inference (the "
         "weights are streamed from DRAM every inference; CAT keeps them on chip).", "",
         "Dataflows:", ""]
    L += [f"- `{k}`: {E.DATAFLOW_DOC[k]}." for k in flows]
    L += ["", "Assumptions:", ""] + [f"- {a}" for a in v["assumptions"]] + [""]
    used = [k for k, _ in _COMPONENTS if any(k in f["uj"] for f in flows.values())]
    names = dict(_COMPONENTS)
    lo, hi = v["external_uj"]
    body = []
    for k, f in flows.items():
        u = f["uj"]
        body.append([f"`{k}`"] + [f"{u[x]:.1f}" if x in u else "-" for x in used]
                    + [f"**{u['total']:.1f}**", f"{u['total'] / v['cat_uj_28nm']:.2f}",
                       f"{lo:,.0f} ({hi:,.0f})"])
    L += _table(["dataflow"] + [names[x] for x in used]
                + ["on-chip µJ", "/ CAT 486.7", "external (DRAM) µJ, low (high)"], body)
    L += ["Per-access energies (28 nm, per core unless shared):", ""]
    body = []
    for k, f in flows.items():
        for m, d in f["memories"].items():
            body.append([f"`{k}`", m, d["depth"], d["width"],
                         f"{d['depth'] * d['width'] / 8 / 1024:.2f}", f"{d['read_pj']:.3f}",
                         f"{d['write_pj']:.3f}"])
    L += _table(["dataflow", "memory", "depth", "width (bits)", "KiB", "read pJ",
                 "write pJ"], body)
    best = flows[v["best"]]["uj"]["total"]
    L += [f"Lowest on-chip figure: `{v['best']}` {best:.1f} µJ per inference "
          f"({'within' if best <= v['cat_uj_28nm'] else 'above'} CAT's {v['cat_uj_28nm']} µJ;"
          f" half of it is {v['cat_uj_28nm'] / 2:.1f}). The external-memory column is "
          "not in the on-chip figure.", ""]
    return L


def _speed(r):
    s = r["speed"]
    L = [SECTIONS[3], "", "Wall-clock on this machine (2 cores shared with training and other "
         "simulations: expect noise). The golden models run single-threaded (BLAS threads = 1).",
         ""]
    rows = []
    for net, g in s.get("golden_by_net", {}).items():
        rows.append([f"golden dense model, `{net}` (batches of 200)",
                     f"{_num(g['dense_img_per_s'])} images/s"])
        rows.append([f"golden event-driven model, `{net}`", f"{_num(g['event_img_per_s'], 1)} "
                     "images/s"])
    v = s.get("verilog")
    if v:
        rows.append(["Verilog generation (config + emit + memory images), digits P = 8",
                     f"{v['seconds']:.2f} s" if "seconds" in v else f"error: {v['error']}"])
    for net, a in s.get("amaranth", {}).items():
        rows.append([f"Amaranth simulator, `{net}` ({a['images']} images, {_num(a['cycles'])} "
                     "cycles)", f"{_num(a['cycles_per_s'])} cycles/s, "
                     f"{a['sim_s'] / max(1, a['images']):.2f} s/image"])
    hdl = s.get("hdl", {})
    if not hdl:
        rows.append(["Verilator / Icarus (cocotb network test)",
                     "not measured in this run (--quick or --hdl-images 0)"])
    for sim, h in hdl.items():
        if "error" in h:
            rows.append([f"{sim} (cocotb network test)", f"not measured: {h['error']}"])
        else:
            rows.append([f"{sim}, cocotb `network` test, digits P = 8, {h['images']} images "
                         f"({'pass' if h['passed'] else 'FAIL'})",
                         f"{_num(h['cycles_per_s'])} cycles/s, {h['s_per_image']:.3f} s/image "
                         f"(build {h['build_s']:.1f} s; the build is cached between runs)"])
    L += _table(["tool", "speed"], rows)
    syn = r["synth"]
    if syn["times"]:
        L += ["Synthesis run times found in `build/synth/`:", ""]
        L += _table(["file", "timings"], [[f, ", ".join(f"{k} = {v:.1f} s" if isinstance(v, float)
                                                         else f"{k} = {v}" for k, v in t.items())]
                                          for f, t in syn["times"]])
    else:
        L += ["Synthesis times: not measured (no `build/synth/*.json` with timings).", ""]
    pts = syn.get("points") or []
    if pts:
        cols = [("generic.cells", "generic cells"), ("generic.flip_flops", "FFs"),
                ("generic.memory_bits", "memory bits"),
                ("ecp5.placed_trellis_comb", "ECP5 TRELLIS_COMB placed"),
                ("ecp5.placed_slices", "ECP5 slices placed"),
                ("ecp5.luts", "ECP5 LUT4 before packing"),
                ("ecp5.fmax_mhz", "ECP5 Fmax MHz"), ("sky130.logic_kge", "sky130 kGE"),
                ("sky130.achieved_mhz_ideal", "sky130 MHz, no wire"),
                ("sky130.achieved_mhz_routed", "sky130 MHz, routed est.")]
        cols = [c for c in cols if any(c[0] in d for _, d in pts)]
        secs = sorted({k for _, d in pts for k in d if k.endswith(".seconds")})
        L += ["Synthesis sweep (`build/synth/sweep.json`" + (f"; {syn['note']}" if syn.get("note")
                                                          else "") + "):", ""]
        L += _table(["P"] + [c[1] for c in cols] + [f"{k.split('.')[0]} s" for k in secs],
                    [[p] + [_num(d.get(k), 1 if "mhz" in k or "kge" in k else 0)
                            for k, _ in cols] + [_num(d.get(k), 1) for k in secs]
                     for p, d in pts])
    return L


def _plots(r):
    f = r["figures"]
    L = [SECTIONS[4], ""]
    for key, title in (("raster_mnist", "Spike raster, mnist"),
                       ("raster_digits", "Spike raster, digits"),
                       ("accuracy_vs_T", "Accuracy against T"),
                       ("spikes_vs_T", "Spikes per inference against T"),
                       ("synth_vs_P", "Area and Fmax against P")):
        if key in f:
            L += [f"![{title}]({f[key]})", ""]
    if "synth_vs_P" not in f:
        why = r["synth"]["note"] or "no usable points in build/synth/sweep.json"
        L += [f"Area and Fmax against P: not plotted: {why}.", ""]
    return L


def markdown(r):
    a = r["args"]
    L = ["# SNN accelerator bench", "",
         f"Generated by `python -m bench` ({'--quick' if a.get('quick') else 'default'}"
         f"{', --full' if a.get('full') else ''}) in {r['bench_seconds']:.0f} s. Every figure "
         "below is measured by that command; the only constants are the cited energy table and "
         "CAT's published 486.7 µJ.", ""]
    if r["notes"]:
        L += ["Notes:", ""] + [f"- {n}" for n in r["notes"]] + [""]
    L += _headline(r)
    L += _accuracy(r) + _work(r) + _energy(r) + _speed(r) + _plots(r) + _depth(r) + _coding(r)
    return "\n".join(L) + "\n"


def _depth(r):
    """Float ANN, plain conversion and CAT against the number of conv layers (MNIST)."""
    from golden.evaluate import depth_markdown
    L = [SECTIONS[5], ""]
    d = r.get("depth")
    if not d:
        return L + ["Not measured" + (" (--quick)." if r["args"].get("quick") else "."), ""]
    L += ["Held-out MNIST images 8000..9999, TTFS; the shipped networks of each depth "
          "(`golden.evaluate --depth` prints the same table).", "",
          depth_markdown(d["rows"]), ""]
    sp = d.get("speed")
    if sp:
        L += [f"Golden models on `{sp['net']}`, one core: dense {sp['dense_img_per_s']:.1f} "
              f"images/s ({sp['dense_images']} images), event-driven "
              f"{sp['event_img_per_s']:.2f} images/s ({sp['event_images']} images, "
              f"{sp['event_equals_dense']} of them equal to the dense scores).", ""]
    return L


def _coding(r):
    """TTFS against rate coding (count scheme) against the time-stepped SNN (bench.coding)."""
    from .coding import markdown as coding_markdown
    return coding_markdown(r.get("coding"), SECTIONS[6])


def _headline(r):
    L = ["## Headline", ""]
    for ds, rows in r["results"].items():
        for x in rows:
            if x["net"] == ds:
                L.append(f"- `{ds}` (TTFS T={x['T']}): accuracy {_pct(x['int_acc'])} %, "
                         f"{x['spikes_dense']:.1f} spikes, {x['counts']['synops']:.0f} synops, "
                         f"{_num(x['cycles_model'])} cycles at P={r['args']['p']}, "
                         f"{x['energy_nj_45nm']:.1f} nJ (45 nm) / {x['energy_nj_28nm']:.1f} nJ "
                         "(28 nm) per inference.")
    v = r["vgg16"]
    by = r["vgg16_cifar10_uj_28nm_by_dataflow"]
    L.append(f"- VGG-16 on 3×32×32 on the processor, on chip at 28 nm: "
             f"{r['vgg16_cifar10_uj_28nm']:.1f} µJ (`{r['vgg16_cifar10_dataflow']}`; "
             + ", ".join(f"`{k}` {u:.1f}" for k, u in by.items())
             + f") vs CAT {E.CAT_VGG16_CIFAR10_UJ} µJ; external memory "
             f"{v['external_uj'][0]:,.0f} µJ more ({_num(v['bytes_read'])} bytes read).")
    ratio = r.get("ttfs_vs_rate_spike_ratio_mnist")
    if ratio is not None:
        L.append(f"- TTFS against rate coding on mnist at equal or better accuracy: {ratio:.2f}x "
                 f"fewer spikes (smallest ratio over the matched rate variants; issue 14 asks "
                 f"2x: {'met' if ratio >= 2 else 'NOT met'}).")
    cyc, lat = r.get("mnist_cycles_p8"), r.get("mnist_latency_us_ecp5")
    notes = r.get("headline_notes", {})
    if cyc is not None:
        L.append(f"- mnist at P = 8: {_num(cyc)} cycles per image (cycle model; "
                 f"`{r['mnist_cycles_net']}`, the fewest of the TTFS networks at least as "
                 "accurate as `mnist`); "
                 + (f"{lat:.0f} µs at the synthesised ECP5 Fmax {r['ecp5_fmax_mhz_p8']:.1f} MHz "
                    f"({notes.get('ecp5_fmax_mhz_p8')})." if lat is not None else
                    f"latency not measured: {notes.get('ecp5_fmax_mhz_p8')}."))
    for ds in r["results"]:
        L += [f"- {c}" for c in _claim(r, ds) if c]
    return L + [""]
