"""Energy per inference: measured operation counts x a per-operation energy table.

Every constant below is an *input* taken from the literature; everything else is arithmetic on
counts measured by the golden model (``golden.event``) and on memory sizes from the generator's
manifest (``rtl.config.HardwareConfig.manifest``).

Source of the table
    M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
    keynote paper 1.1, Fig. 1.1.9 ("rough energy costs for various operations in 45 nm, 0.9 V"):
    integer add 8 bit 0.03 pJ, 32 bit 0.1 pJ; integer multiply 8 bit 0.2 pJ, 32 bit 3.1 pJ;
    memory (cache) access of a 64-bit word: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ.

How the table is used (the assumptions, also printed in the report)
    * Adders (and comparators, which are subtractors) scale linearly with width:
      ``E_add(b) = 0.1 pJ * b / 32`` (Horowitz's own 8-bit point, 0.03 pJ, is within 20 %).
    * Multipliers scale with the square of the width: ``E_mul(b) = 3.1 pJ * (b / 32)^2``
      (gives 0.19 pJ at 8 bits; Horowitz: 0.2 pJ).
    * An SRAM access of a ``w``-bit word costs ``E_64(size) * w / 64``; ``E_64`` is interpolated
      linearly in log(size)-log(energy) between Horowitz's three points. Memories smaller than
      8 KB are charged the 8 KB value (conservative: the source has no smaller point); memories
      larger than 1 MB are extrapolated with the 32 KB..1 MB slope. A write costs the same as a
      read. The size is that of one instance (each of the P cores owns its memories).
    * Technology: the table is 45 nm. For the comparison with CAT (28 nm) the report also gives
      the estimate scaled by ``TECH_SCALE_28NM = 28 / 45``: first-order scaling of switched
      capacitance with feature size at an unchanged supply (0.9 V), C*V^2 with C ~ L
      (R. H. Dennard et al., IEEE JSSC 9(5), 1974, capacitance scales with the linear
      dimension). Real 45 -> 28 nm factors differ by process (see A. Stillmaker, B. Baas,
      "Scaling equations for the accurate prediction of CMOS device performance from 180 nm to
      7 nm", Integration 58, 2017, for fitted factors); this one is a stated assumption.
    * Leakage, clock tree, control logic, wires and off-chip I/O are not modelled.

SNN accounting (per inference, matching the accelerator of docs/ARCHITECTURE.md)
    synaptic operation: membrane read + membrane write (membrane SRAM) + weight read (5-bit
    word, weight SRAM) + one add of the membrane width (the shifted operand +-1 << n comes from
    the weight decoder; it is counted inside the add);
    spike (event): one spike-buffer write + one read (input events included);
    fire (per neuron of a layer): one add (bias), T comparators of membrane width + 2 bits (the
    fire unit compares T thresholds in parallel); the biases and thresholds are one
    parameter-memory read per output channel (``param_reads``); the fire phase's membrane read
    and clear are in the membrane counts of ``golden.event``;
    input encoder: T comparators of 10 bits per pixel.
"""

import math

import numpy as np

from golden import contract

__all__ = ["HOROWITZ_45NM", "SRAM_64BIT_PJ", "TECH_SCALE_28NM", "CAT_VGG16_CIFAR10_UJ",
           "add_pj", "mul_pj", "sram_pj", "analytic_memories", "memories_of", "snn_energy",
           "ann_macs", "layer_macs", "ann_energy", "vgg16_cifar10", "vgg16_firing", "vgg16_energy",
           "ASSUMPTIONS"]

#: Horowitz, ISSCC 2014, Fig. 1.1.9, 45 nm, 0.9 V (pJ)
HOROWITZ_45NM = {"int_add_8": 0.03, "int_add_32": 0.1, "int_mul_8": 0.2, "int_mul_32": 3.1}
#: same source: energy of one 64-bit access of a cache/SRAM of the given size in bytes (pJ)
SRAM_64BIT_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
#: first-order 45 nm -> 28 nm energy factor (C ~ L at constant V); a stated assumption
TECH_SCALE_28NM = 28.0 / 45.0
#: Lew, Lee, Park, DAC 2022 (arXiv 2208.04494): VGG-16, CIFAR-10, 91.7 %, 28 nm
CAT_VGG16_CIFAR10_UJ = 486.7

ASSUMPTIONS = [
    "Per-operation energies: Horowitz, ISSCC 2014, 45 nm / 0.9 V: 32-bit add 0.1 pJ, 8-bit add "
    "0.03 pJ, 32-bit multiply 3.1 pJ, 8-bit multiply 0.2 pJ; 64-bit SRAM/cache access 10 pJ "
    "(8 KB), 20 pJ (32 KB), 100 pJ (1 MB).",
    "Adds and compares scale linearly with width (0.1 pJ x b/32); multiplies with its square "
    "(3.1 pJ x (b/32)^2).",
    "SRAM access of a w-bit word = E64(size) x w/64; E64 interpolated log-log between the three "
    "points; below 8 KB charged as 8 KB (conservative), above 1 MB extrapolated with the "
    "32 KB-1 MB slope; a write costs as much as a read; size = one instance (per core).",
    "28 nm figures = 45 nm figures x 28/45 (first-order C ~ L at constant 0.9 V; Dennard et al. "
    "1974). Stillmaker & Baas (Integration 2017) give fitted, process-specific factors; not "
    "applied here.",
    "Not modelled: leakage, clock tree, control, wires, off-chip I/O (all weights on chip).",
    "Synaptic op = membrane read + write + 5-bit weight read + one membrane-width add; spike = "
    "spike-buffer write + read; fire = add + T comparators per neuron, plus one parameter-memory "
    "read (bias and threshold) per output channel; "
    "input encoder = T 10-bit comparators per pixel.",
    "Dense ANN comparison: compute only, MACs x (8-bit multiply + 32-bit add); no memory.",
    "Rate-coded variants are costed on the same architecture (hypothetical: the RTL implements "
    "TTFS only), with spike buffers T times deeper (a neuron can emit T events).",
]


# -- primitive energies (pJ, 45 nm) -------------------------------------------------------------

def add_pj(bits):
    """Integer add (or compare) of ``bits`` width."""
    return HOROWITZ_45NM["int_add_32"] * bits / 32.0


def mul_pj(bits):
    """Integer multiply of ``bits`` x ``bits``."""
    return HOROWITZ_45NM["int_mul_32"] * (bits / 32.0) ** 2


def _e64(size_bytes):
    pts = SRAM_64BIT_PJ
    if size_bytes <= pts[0][0]:
        return pts[0][1]
    for (s0, e0), (s1, e1) in zip(pts, pts[1:]):  # noqa: B007 - used after the loop
        if size_bytes <= s1:
            break
    # log-log interpolation (or extrapolation past the last point with the last slope)
    slope = math.log(e1 / e0) / math.log(s1 / s0)
    return e0 * (size_bytes / s0) ** slope


def sram_pj(size_bits, width_bits):
    """One access of a ``width_bits`` word in an SRAM of ``size_bits`` (one instance)."""
    return _e64(size_bits / 8.0) * width_bits / 64.0


# -- memories -----------------------------------------------------------------------------------

def _bits(n):
    return max(1, int(n).bit_length())


def analytic_memories(geoms, P, T, membrane_bits, input_shape, classes, coding="ttfs",
                      param_bits=None):
    """Memories of the accelerator for a layer geometry (``rtl.config.layer_geometry`` form),
    from the generator's own plan (``rtl.config.memory_plan``); a rate-coded design, which the
    RTL does not build, would need spike buffers T times deeper (a neuron emits up to T
    events). ``param_bits``: width of a parameter entry (default: fields as wide as the
    membrane, an upper bound when the network's values are not known)."""
    from rtl.config import memory_plan
    return memory_plan(geoms, cores=P, T=T, membrane_bits=membrane_bits,
                       input_shape=input_shape, classes=classes,
                       events_per_neuron=T if coding == "rate" else 1, param_bits=param_bits)


def net_geoms(net):
    from rtl.config import layer_geometry
    return layer_geometry(net)


def param_reads(geoms, P):
    """Parameter-memory reads per inference: P entries per channel group of every layer."""
    return sum(-(-g["out_c"] // P) * P for g in geoms)


def memories_of(net, P=8):
    """Memories of ``net`` on P cores: the generator's manifest for TTFS networks, the same
    formulas (spike buffers T times deeper) for rate-coded ones, which the RTL does not build."""
    if net.coding == "ttfs":
        try:
            from rtl.config import HardwareConfig
            return HardwareConfig(net, cores=P, trace=False).manifest()["memories"]
        except Exception:  # noqa: BLE001 - fall back to the formulas
            pass
    return analytic_memories(net_geoms(net), P, net.T, net.membrane_bits, net.input_shape,
                             net.classes, net.coding)


# -- SNN energy ---------------------------------------------------------------------------------

def _per_access(mems, name):
    m = mems[name]
    return sram_pj(m["depth"] * m["width"], m["width"])


def snn_energy(counts, mems, T, membrane_bits, input_pixels, params_read=0):
    """Energy (pJ, 45 nm) of one inference from total work counts (``golden.event`` Trace
    ``counts`` keys, or means of them) and the memories; returns {component: pJ, "total": pJ}.
    """
    syn = counts["synops"]
    spikes_written = counts["spike_writes"] + counts["input_events"]
    spikes_read = counts["spike_reads"]
    neurons = counts["neurons"]
    e = {
        "membrane_sram": (counts["membrane_reads"] + counts["membrane_writes"])
        * _per_access(mems, "membrane"),
        "weight_sram": counts["weight_reads"] * _per_access(mems, "weights"),
        "spike_buffer_sram": (spikes_written + spikes_read) * _per_access(mems, "spike_buffer"),
        "bias_threshold_sram": params_read * _per_access(mems, "params"),
        "accumulate": syn * add_pj(membrane_bits),
        "fire": neurons * (add_pj(membrane_bits) + T * add_pj(membrane_bits + 2)),
        "input_encoder": input_pixels * T * add_pj(10),
    }
    e["total"] = sum(e.values())
    return e


# -- dense ANN ----------------------------------------------------------------------------------

def layer_macs(layer):
    """MACs of one layer run densely: conv C_in*K*K*H_out*W_out*C_out, dense N_in*N_out."""
    if layer.kind == "conv2d":
        ci = layer.in_shape[0]
        co, ho, wo = layer.out_shape
        return ci * layer.kernel * layer.kernel * ho * wo * co
    return int(layer.in_shape[0]) * int(layer.out_shape[0])


def ann_macs(net):
    """MACs of the same network run as a dense ANN (all layers, classifier included)."""
    return sum(layer_macs(l) for l in net.layers)


def ann_energy(macs, mult_bits=8, acc_bits=32):
    """Compute-only energy (pJ, 45 nm) of a dense ANN: MACs x (multiply + accumulate add)."""
    return macs * (mul_pj(mult_bits) + add_pj(acc_bits))


# -- VGG-16 on CIFAR-10 -------------------------------------------------------------------------

#: VGG-16 feature extractor (13 conv 3x3/pad 1, "M" = 2x2 pool) and classifier (3 FC)
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
             512, 512, 512, "M")
VGG16_FC = (4096, 4096, 10)


def vgg16_cifar10(firing, input_firing=1.0, fc=VGG16_FC):
    """Per-layer geometry and expected work of VGG-16 on a 3x32x32 input with stated spike
    statistics.

    ``firing``: fraction of each firing layer's (pooled) output neurons that spike (TTFS: at
    most one spike each), a scalar or one value per firing layer (15: 13 conv + 2 FC).
    ``input_firing``: fraction of the 3x32x32 input pixels that spike. Synaptic operations of a
    layer = input events x mean in-bounds fan-out (conv 3x3 pad 1 on HxW: (3H-2)(3W-2)/(HW) x
    C_out; dense: N_out), i.e. the spikes are assumed uniformly spread over positions.
    Returns a list of layer dicts (geometry, ``macs``, ``counts``).
    """
    layers = []
    c, h, w = 3, 32, 32
    cfg = list(VGG16_CFG)
    i = 0
    while i < len(cfg):
        co = cfg[i]
        pool = i + 1 < len(cfg) and cfg[i + 1] == "M"
        ph, pw = (h // 2, w // 2) if pool else (h, w)
        layers.append({"kind": "conv2d", "in": (c, h, w), "out": (co, h, w), "pooled": (co, ph, pw),
                       "fan_in": c * 9, "positions": h * w, "out_c": co, "fires": True,
                       "macs": c * 9 * h * w * co,
                       "fanout": (3 * h - 2) * (3 * w - 2) / (h * w) * co})
        c, h, w = co, ph, pw
        i += 2 if pool else 1
    n = c * h * w
    for j, no in enumerate(fc):
        last = j == len(fc) - 1
        layers.append({"kind": "classifier" if last else "dense", "in": (n,), "out": (no,),
                       "pooled": (no, 1, 1), "fan_in": n, "positions": 1, "out_c": no,
                       "fires": not last, "macs": n * no, "fanout": float(no)})
        n = no
    nf = sum(l["fires"] for l in layers)
    rates = [float(firing)] * nf if np.isscalar(firing) else [float(f) for f in firing]
    if len(rates) != nf:
        raise ValueError(f"firing: {len(rates)} values for {nf} firing layers")
    events_in = input_firing * 3 * 32 * 32
    r = iter(rates)
    for l in layers:
        neurons = int(np.prod(l["out"]))
        syn = events_in * l["fanout"]
        out = next(r) * int(np.prod(l["pooled"])) if l["fires"] else 0.0
        l["counts"] = {"events_in": events_in, "synops": syn, "membrane_reads": syn + neurons,
                       "membrane_writes": syn + neurons, "weight_reads": syn,
                       "spike_reads": events_in, "spike_writes": out, "events_out": out,
                       "neurons": neurons}
        events_in = out
    return layers


def vgg16_firing(pre, pooled):
    """Per-firing-layer fractions of VGG-16: ``pooled`` for the 5 conv layers followed by a pool
    (fraction of the pooled map), ``pre`` for the other 8 conv layers and the 2 hidden FC."""
    out = []
    cfg = list(VGG16_CFG)
    for i, c in enumerate(cfg):
        if c != "M":
            out.append(pooled if i + 1 < len(cfg) and cfg[i + 1] == "M" else pre)
    return out + [pre] * (len(VGG16_FC) - 1)


def vgg16_energy(firing, input_firing=1.0, T=8, P=8, fc=VGG16_FC):
    """Energy estimate of VGG-16 / CIFAR-10 on this accelerator architecture (TTFS, T, P
    cores): dict with totals, per-component energy (pJ, 45 nm and 28 nm), memories, MACs."""
    layers = vgg16_cifar10(firing, input_firing, fc)
    F = contract.min_frac_bits("ttfs", T)
    # worst-case membrane width as the generator computes it; |B|, Theta assumed < 2^(F+2)
    mb = max(contract.signed_width(contract.membrane_bound(l["fan_in"], F, 1 << (F + 2),
                                                           1 << (F + 2), T, "ttfs"))
             for l in layers)
    mems = analytic_memories(layers, P, T, mb, (3, 32, 32), 10, "ttfs")
    keys = ("events_in", "synops", "membrane_reads", "membrane_writes", "weight_reads",
            "spike_reads", "spike_writes", "events_out", "neurons")
    tot = {k: sum(l["counts"][k] for l in layers) for k in keys}
    tot["input_events"] = input_firing * 3 * 32 * 32
    e = snn_energy(tot, mems, T, mb, 3 * 32 * 32, param_reads(layers, P))
    macs = sum(l["macs"] for l in layers)
    return {"layers": layers, "counts": tot, "memories": mems, "membrane_bits": mb, "F": F,
            "T": T, "P": P, "energy_pj_45nm": e,
            "total_uj_45nm": e["total"] * 1e-6,
            "total_uj_28nm": e["total"] * TECH_SCALE_28NM * 1e-6,
            "macs": macs, "ann_compute_uj_45nm": ann_energy(macs) * 1e-6,
            "spikes": tot["input_events"] + tot["spike_writes"]}
