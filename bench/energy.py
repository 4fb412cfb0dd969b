"""Energy per inference: measured operation counts x a per-operation energy table.

Every constant below is an *input* taken from the literature (or, for CACTI, computed by a cited
tool with a stated configuration); everything else is arithmetic on counts measured by the
golden model and on memory sizes from the generator (``rtl.config``) or the processor's
capacity (``golden.capacity``).

Two models live here:

* **The processor, per dataflow, at 28 nm** (``processor_counts``, ``processor_energy``,
  ``vgg16_processor``; the bench's VGG-16 figures). It tells the dataflows of
  ``DATAFLOW_DOC`` apart by their register, SRAM and external-memory traffic, counted from the
  golden model: per access energies from CACTI 7.0 at 28 nm for every memory size it organises
  (``CACTI_28NM``, ``sram28_pj``), flip-flops for smaller ones and for accumulator registers
  (Aladdin's 40 nm register, ``register_pj``), adders from Horowitz scaled to 28 nm, and the
  external memory (every byte ``golden.image.bytes_read`` says the processor reads) at
  Horowitz's DRAM energy per bit, in its own column. Its assumptions: ``PROCESSOR_ASSUMPTIONS``.
* **The fixed-network accelerator, at 45 nm** (``snn_energy``; the bench's per-network tables of
  the shipped networks): the first-order model described below, which charges every memory
  under 8 KB as 8 KB.

The rest of this docstring describes the second.

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
           "ann_macs", "layer_macs", "ann_energy", "ASSUMPTIONS", "CACTI_28NM",
           "DRAM_PJ_PER_BIT", "DATAFLOWS", "DATAFLOW_DOC", "PROCESSOR_ASSUMPTIONS",
           "register_pj", "sram28_pj", "add28_pj", "processor_counts", "processor_memories",
           "processor_energy", "external_uj", "vgg16_processor"]

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
    "Rate-coded variants are costed on the memories the generator builds for them (one "
    "spike-buffer entry per neuron of the pre-pool map, read out N times).",
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
    from the generator's own plan (``rtl.config.memory_plan``; ``coding`` is kept for the
    callers: both codings hold one spike-buffer entry per neuron, a rate-coded neuron of N
    events read out N times). ``param_bits``: width of a parameter entry (default: fields as
    wide as the membrane, an upper bound when the network's values are not known)."""
    from rtl.config import memory_plan
    return memory_plan(geoms, cores=P, T=T, membrane_bits=membrane_bits,
                       input_shape=input_shape, classes=classes,
                       events_per_neuron=1, param_bits=param_bits)


def net_geoms(net):
    from rtl.config import layer_geometry
    return layer_geometry(net)


def param_reads(geoms, P):
    """Parameter-memory reads per inference: P entries per channel group of every layer."""
    return sum(-(-g["out_c"] // P) * P for g in geoms)


def memories_of(net, P=8):
    """Memories of ``net`` on P cores: the generator's manifest (both codings), else (a network
    the generator refuses) the same formulas."""
    from rtl.config import ConfigError, HardwareConfig
    try:
        return HardwareConfig(net, cores=P, trace=False).manifest()["memories"]
    except ConfigError:  # the generator refuses the network: its formulas still size it
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


# -- the processor at 28 nm, per dataflow -------------------------------------------------------
#
# Counts: one inference of a network on a processor capacity (``golden.capacity``), measured on
# images by the golden dense model (bit-exact with the event-driven one, so every count is the
# event model's). Unit energies: the tables below. Nothing else.

#: CACTI 7.0 (github.com/HewlettPackard/cacti, commit 1ffd8df), run by us: scratch RAM
#: (``-cache type "ram"``), 1 bank, 1 read/write port, no ECC, ``-technology (u) 0.028``
#: (CACTI interpolates between its 32 nm and 22 nm ITRS parameter sets), itrs-hp cells and
#: periphery, 360 K, design objective dynamic power (``0:100:0:0:0``) within 100 % of the
#: fastest organisation, bus width = the word; every other field as in CACTI's ``cache.cfg``.
#: {(size in bytes, word in bytes): (dynamic read pJ, dynamic write pJ) per access}. Pairs with
#: fewer than 16 words, and those CACTI found no organisation for, are absent.
CACTI_28NM = {
    (64, 1): (0.05885, 0.09544), (64, 2): (0.1059, 0.1386), (128, 1): (0.09962, 0.1263),
    (128, 2): (0.1181, 0.1913), (128, 4): (0.2, 0.2655), (256, 1): (0.1602, 0.1671),
    (256, 2): (0.1817, 0.2351), (256, 4): (0.2215, 0.3678), (256, 8): (0.4255, 0.5565),
    (512, 1): (0.2288, 0.2484), (512, 2): (0.2503, 0.3661), (512, 4): (0.2901, 0.5982),
    (512, 8): (0.4655, 0.7582), (512, 16): (1.032, 1.294), (1024, 1): (0.3828, 0.3259),
    (1024, 2): (0.4092, 0.4484), (1024, 4): (0.4622, 0.6937), (1024, 8): (0.5711, 1.187),
    (1024, 16): (1.109, 1.694), (1024, 32): (2.926, 3.45), (2048, 1): (0.6694, 0.4595),
    (2048, 2): (0.7112, 0.5974), (2048, 4): (0.7939, 0.8724), (2048, 8): (0.9589, 1.422),
    (2048, 16): (1.288, 2.521), (2048, 32): (3.077, 4.248), (4096, 1): (1.223, 0.7069),
    (4096, 2): (1.291, 0.8709), (4096, 4): (1.432, 1.204), (4096, 8): (1.713, 1.87),
    (4096, 16): (1.576, 4.102), (4096, 32): (3.405, 5.869), (8192, 1): (1.807, 0.7986),
    (8192, 2): (1.875, 1.062), (8192, 4): (2.016, 1.594), (8192, 8): (2.297, 2.657),
    (8192, 16): (2.86, 4.784), (8192, 32): (3.988, 9.041), (16384, 1): (3.484, 1.272),
    (16384, 2): (3.613, 1.597), (16384, 4): (3.868, 2.243), (16384, 8): (4.385, 3.541),
    (16384, 16): (5.418, 6.138), (16384, 32): (7.484, 11.33), (32768, 1): (3.801, 1.59),
    (32768, 2): (4.009, 1.993), (32768, 4): (4.451, 2.826), (32768, 8): (5.38, 4.537),
    (32768, 16): (7.863, 9.397), (32768, 32): (9.929, 17.77), (65536, 1): (4.438, 2.206),
    (65536, 2): (4.818, 2.788), (65536, 4): (5.584, 3.959), (65536, 8): (9.642, 6.392),
    (65536, 16): (12.58, 10.89), (65536, 32): (19.26, 22.33), (131072, 1): (5.422, 3.191),
    (131072, 2): (6.079, 4.05), (131072, 4): (7.827, 5.683), (131072, 8): (11.69, 8.439),
    (131072, 16): (16.4, 14.72), (131072, 32): (26.23, 29.3), (262144, 1): (6.738, 4.507),
    (262144, 2): (7.731, 5.675), (262144, 4): (11.91, 7.795), (262144, 8): (15.62, 12.37),
    (262144, 16): (25.48, 22.24), (262144, 32): (39.54, 42.6), (524288, 1): (8.661, 6.43),
    (524288, 2): (10.13, 8.076), (524288, 4): (15.26, 11.15), (524288, 8): (21.17, 17.92),
    (524288, 16): (35.6, 32.36), (524288, 32): (58.42, 51.95), (1048576, 1): (11.42, 9.164),
    (1048576, 2): (13.53, 11.47), (1048576, 4): (20.06, 15.94), (1048576, 8): (31.73, 25.34),
    (1048576, 16): (49.11, 45.87), (1048576, 32): (84.63, 78.15), (2097152, 1): (16.21, 14.2),
    (2097152, 2): (20.54, 16.03), (2097152, 4): (26.69, 22.57), (2097152, 8): (42.32, 35.93),
    (2097152, 16): (68.2, 64.96), (2097152, 32): (122.4, 115.9),
}
#: M. Horowitz, ISSCC 2014, Fig. 1.1.9: DRAM 1.3-2.6 nJ per 64-bit access (45 nm era, off chip:
#: not scaled with the logic technology), as pJ per bit read (low, high)
DRAM_PJ_PER_BIT = (1300.0 / 64, 2600.0 / 64)
#: Y. S. Shao et al., "Aladdin", ISCA 2014, through the Accelergy library's table
#: (github.com/Accelergy-Project/hwcomponents-library, ``library/aladdin.py``, AladdinRegister):
#: 40 nm register read 0.009 pJ per bit (its write: 0; charged here as a read)
REGISTER_PJ_PER_BIT_40NM = 0.009
#: first-order 40 nm -> 28 nm energy factor (C ~ L at constant V), as TECH_SCALE_28NM
TECH_SCALE_40_28 = 28.0 / 40.0
#: the time map of the output-stationary dataflow: a spike time or "none" per input neuron
#: (T = 8: 3 + 1 bits), 16 entries per 64-bit word
TIME_MAP_ENTRY_BITS, TIME_MAP_WORD_BITS = 4, 64
#: the dataflows the model counts (``processor_energy``)
DATAFLOWS = ("reference", "kernel_window", "output_stationary")
DATAFLOW_DOC = {
    "reference": "one input event -> one cycle per (output position, channel group): a "
                 "membrane read and write in the core's membrane SRAM and a 5-bit weight "
                 "read per synaptic operation (the RTL today)",
    "kernel_window": "one input event -> one cycle per channel group for all K x K output "
                     "positions it reaches: membranes in K^2 banks (one per kernel position, "
                     "each 1/K^2 of the membrane SRAM), one membrane read and write per "
                     "synaptic operation in a bank; the weights of a (channel group, input "
                     "channel) stored as one K^2 x 5-bit word, read once per event and "
                     "channel group (modelled: helper `dataflow` builds it)",
    "output_stationary": "one output position per step: its membrane accumulates in a "
                         "register (read + write per synaptic operation, no membrane SRAM), "
                         "fires from it; its window is read from a time map of the input "
                         "(a spike time per input neuron, 16 per 64-bit word) and the K^2-tap "
                         "weight word of an input channel is read when the window holds a "
                         "spike of that channel (modelled, not built)",
}

PROCESSOR_ASSUMPTIONS = [
    "SRAM per access: CACTI 7.0 at 28 nm (interpolated by CACTI between its 32 and 22 nm "
    "ITRS-HP sets), scratch RAM, 1 bank, 1 RW port, no ECC, dynamic-power objective; read and "
    "write energies separately; between table sizes log-log interpolation, between word "
    "widths linear; a word narrower than 8 bits is charged as 8 bits; size = one instance.",
    "Register files too small for CACTI (< 16 words) and accumulator registers: 0.009 pJ per "
    "bit per access at 40 nm (Aladdin, Shao et al. ISCA 2014, via the Accelergy library) "
    "x 28/40; writes charged as reads.",
    "Adders and comparators: Horowitz (ISSCC 2014) 45 nm 0.1 pJ per 32 bits, linear in width, "
    "x 28/45 (first-order C ~ L at constant voltage).",
    "External memory: every byte the memory master reads (golden.image.bytes_read: header, "
    "input, descriptors, parameters, weights, whole beats) x 8 x 20.3 pJ per bit (Horowitz "
    "ISSCC 2014: DRAM 1.3 nJ per 64-bit access; the upper end, 2.6 nJ, doubles the column); "
    "not scaled with the logic; its own column, not in the on-chip total.",
    "Counts per inference: golden dense model (= event model) on held-out synthetic images; "
    "hardware lanes counted (P lanes per channel group, also the idle ones of a last group); "
    "weights and parameters written once into the on-chip buffers per inference (the image "
    "is read once); spike buffer read once per pass; output events written once.",
    "Not modelled: leakage, clock tree, control, wires between memories and cores, the AXI "
    "interface and its I/O, the host.",
]


def _interp(x0, x1, y0, y1, x):
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _cacti_at_size(size_bytes, word_bytes, op):
    """CACTI energy (pJ) of one access for a word of ``word_bytes`` (a table width) at
    ``size_bytes``: log-log between the table's sizes, extrapolated past the largest with
    its last slope; None below the smallest size CACTI organised for that word."""
    pts = sorted((s, e[op]) for (s, w), e in CACTI_28NM.items() if w == word_bytes)
    if not pts or size_bytes < pts[0][0]:
        return None
    for (s0, e0), (s1, e1) in zip(pts, pts[1:]):  # noqa: B007 - used after the loop
        if size_bytes <= s1:
            break
    return math.exp(_interp(math.log(s0), math.log(s1), math.log(e0), math.log(e1),
                            math.log(size_bytes)))


def register_pj(bits):
    """One access of ``bits`` flip-flops at 28 nm."""
    return REGISTER_PJ_PER_BIT_40NM * bits * TECH_SCALE_40_28


def sram28_pj(depth, width, op="read"):
    """One ``op`` ("read" or "write") of a ``width``-bit word in a ``depth``-word memory at
    28 nm: the CACTI table, or flip-flops when the memory is too small for it."""
    k = {"read": 0, "write": 1}[op]
    size = depth * width / 8.0
    widths = sorted({w for _, w in CACTI_28NM})
    wb = max(width / 8.0, widths[0])
    lo = max([w for w in widths if w <= wb], default=widths[0])
    hi = min([w for w in widths if w >= wb], default=widths[-1])
    e_lo, e_hi = _cacti_at_size(size, lo, k), _cacti_at_size(size, hi, k)
    if e_lo is None or e_hi is None or depth < 16:
        return register_pj(width)
    if wb > widths[-1]:  # wider than the table: linear in the width
        return e_hi * wb / hi
    return _interp(lo, hi, e_lo, e_hi, wb)


def add28_pj(bits):
    return add_pj(bits) * TECH_SCALE_28NM


def _window_hits(spikes, layer):
    """Per image: sum over output positions and input channels of [the K x K window of the
    position holds a spike of the channel] (conv), or the input neurons that spike (dense)."""
    n = len(spikes)
    if layer.kind != "conv2d":
        return spikes.reshape(n, -1).sum(axis=1)
    _, ho, wo = layer.out_shape
    K, s, p = layer.kernel, layer.stride, layer.padding
    x = np.pad(spikes, ((0, 0), (0, 0), (p, p), (p, p)))
    hit = np.zeros(spikes.shape[:2] + (ho, wo), dtype=bool)
    for ky in range(K):
        for kx in range(K):
            hit |= x[:, :, ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s]
    return hit.reshape(n, -1).sum(axis=1)


def _inbounds_taps(layer):
    """Sum over output positions of the kernel taps inside the input map (conv), 1 (dense)."""
    if layer.kind != "conv2d":
        return 1
    from golden.workload import _fanout
    return int(_fanout(layer).sum())


def processor_counts(net, capacity, images):
    """Per compute layer of ``net`` on ``capacity``, the means over ``images`` of what the
    dataflows of ``DATAFLOW_DOC`` count (golden dense model; TTFS networks)."""
    from golden import capacity as cap_mod
    from golden import dense
    plans = cap_mod.plan(net, capacity)
    x, res = dense.run(net, np.asarray(images))
    n = len(images)
    P = capacity.cores
    spikes_in = x < net.T
    rows = []
    for layer, r, pl in zip(net.layers, res, plans):
        co = layer.out_channels if layer.kind == "conv2d" else layer.out_shape[0]
        lanes = pl.groups * P
        ev_in = spikes_in.reshape(n, -1).sum(axis=1)
        if layer.kind == "conv2d":
            from golden.workload import _fanout
            syn = (spikes_in * _fanout(layer)).reshape(n, -1).sum(axis=1)  # per out channel
            in_c = layer.in_map[0]
        else:
            syn = ev_in
            in_c = int(np.prod(layer.in_map))
        K = layer.kernel if layer.kind == "conv2d" else 1
        ev_out = (r.pooled < net.T).reshape(n, -1).sum(axis=1) if layer.fires else np.zeros(n)
        rows.append({
            "layer": layer.index + 1, "kind": layer.kind, "kernel": K, "out_c": co,
            "groups": pl.groups, "passes": pl.passes, "positions": pl.positions,
            "fan_in": pl.fan_in, "fires": layer.fires,
            "events_in": float(ev_in.mean()), "events_out": float(ev_out.mean()),
            "synops": float(syn.mean()) * co, "lane_synops": float(syn.mean()) * lanes,
            "lane_neurons": lanes * pl.positions,
            "window_hits": float(_window_hits(spikes_in, layer).mean()) * lanes,
            "event_groups": float(ev_in.mean()) * pl.groups,
            "time_map_reads": pl.groups * _inbounds_taps(layer)
            * -(-in_c // (TIME_MAP_WORD_BITS // TIME_MAP_ENTRY_BITS))
            if layer.kind == "conv2d" else pl.groups * -(-in_c // (
                TIME_MAP_WORD_BITS // TIME_MAP_ENTRY_BITS)),
            "weight_words": lanes * pl.fan_in, "param_entries": lanes,
            "map_words_out": -(-int(np.prod(layer.pooled_shape)) // (
                TIME_MAP_WORD_BITS // TIME_MAP_ENTRY_BITS)) if layer.fires else 0,
        })
        if layer.fires:
            spikes_in = r.pooled < net.T
    return {"layers": rows, "images": n, "input_events": float(
        (x < net.T).reshape(n, -1).sum(axis=1).mean()), "pixels": int(np.prod(net.input_shape))}


def processor_memories(capacity, dataflow, K):
    """(depth, width) per access path of one core (or of the shared buffers) for a dataflow;
    ``K``: the largest kernel (the kernel-window banks)."""
    P = capacity
    ev_bits = sum(P.event_field_bits)
    mem = {"membrane": (P.membrane_words, P.membrane_bits),
           "weights": (P.weight_words, contract.CODE_BITS),
           "params": (P.param_words, P.threshold_bits + P.bias_bits),
           "spike_buffer": (P.spike_events, ev_bits)}
    if dataflow in ("kernel_window", "output_stationary"):
        mem["weights"] = (-(-P.weight_words // (K * K)), K * K * contract.CODE_BITS)
    if dataflow == "kernel_window":
        mem["membrane"] = (-(-P.membrane_words // (K * K)), P.membrane_bits)
    if dataflow == "output_stationary":
        del mem["membrane"]
        mem["time_map"] = (-(-P.spike_events * TIME_MAP_ENTRY_BITS // TIME_MAP_WORD_BITS),
                           TIME_MAP_WORD_BITS)
        del mem["spike_buffer"]
    return mem


def processor_energy(counts, capacity, dataflow, T):
    """On-chip energy (pJ, 28 nm) of one inference from ``processor_counts``: {component:
    pJ, "total": pJ} and the memories and unit energies used."""
    if dataflow not in DATAFLOWS:
        raise ValueError(f"dataflow {dataflow!r}: one of {', '.join(DATAFLOWS)}")
    L = counts["layers"]
    K = max(l["kernel"] for l in L)
    mems = processor_memories(capacity, dataflow, K)
    rd = {k: sram28_pj(d, w, "read") for k, (d, w) in mems.items()}
    wr = {k: sram28_pj(d, w, "write") for k, (d, w) in mems.items()}
    mb = capacity.membrane_bits
    tot = lambda key: sum(l[key] for l in L)  # noqa: E731
    syn, neurons = tot("lane_synops"), tot("lane_neurons")
    e = {}
    # weights: written once from the image, then read
    if dataflow == "reference":
        e["weights"] = tot("weight_words") * wr["weights"] + syn * rd["weights"]
    else:
        # K^2 weights a word (a dense layer's: K^2 consecutive inputs)
        fill = sum(l["groups"] * capacity.cores * -(-l["fan_in"] // (K * K)) for l in L)
        reads = tot("event_groups") * capacity.cores if dataflow == "kernel_window" \
            else tot("window_hits")
        e["weights"] = fill * wr["weights"] + reads * rd["weights"]
    e["params"] = tot("param_entries") * (wr["params"] + rd["params"])
    if dataflow == "output_stationary":
        # accumulate in a register; fire straight from it
        e["accumulator_registers"] = syn * 2 * register_pj(mb)
        ev_out = tot("events_out")
        e["time_map"] = (tot("time_map_reads") * rd["time_map"]
                         + ev_out * (rd["time_map"] + wr["time_map"])
                         + (tot("map_words_out") + counts["input_events"] / (
                             TIME_MAP_WORD_BITS // TIME_MAP_ENTRY_BITS)) * wr["time_map"]
                         + counts["input_events"] * (rd["time_map"] + wr["time_map"]))
    else:
        # membrane read + write per synaptic operation, read + clear per neuron at fire
        e["membrane"] = (syn + neurons) * (rd["membrane"] + wr["membrane"])
        replay = sum(l["events_in"] * l["passes"] for l in L)
        e["spike_buffer"] = (replay * rd["spike_buffer"]
                             + (tot("events_out") + counts["input_events"]) * wr["spike_buffer"])
    e["accumulate"] = syn * add28_pj(mb)
    e["fire"] = neurons * (add28_pj(mb) + T * add28_pj(mb + 2))
    e["input_encoder"] = counts["pixels"] * T * add28_pj(10)
    e["total"] = sum(e.values())
    return {"energy_pj": e, "memories": {k: {"depth": d, "width": w, "read_pj": rd[k],
                                             "write_pj": wr[k]} for k, (d, w) in mems.items()}}


def external_uj(bytes_read):
    """(low, high) µJ of reading ``bytes_read`` bytes from DRAM."""
    return tuple(bytes_read * 8 * e * 1e-6 for e in DRAM_PJ_PER_BIT)


def vgg16_processor(images=4, preset="vgg16"):
    """VGG-16 on 3x32x32 (``golden.workload``'s ``vgg16-shape-random``, firing like
    ``mnist-vgg16``) on a capacity preset: counts, per-dataflow on-chip energy (µJ, 28 nm)
    and external-memory energy."""
    from golden import capacity as cap_mod
    from golden import image, network, workload
    from golden.nets import resolve
    cap = cap_mod.preset(preset)
    net = network.load(resolve(workload.NAME))
    imgs = workload.synthetic_images(images, seed=net.meta.get("generator", {}).get(
        "seed", workload.SEED), purpose="heldout", shape=net.input_shape)
    counts = processor_counts(net, cap, imgs)
    flows = {}
    for d in DATAFLOWS:
        r = processor_energy(counts, cap, d, net.T)
        r["uj"] = {k: v * 1e-6 for k, v in r.pop("energy_pj").items()}
        flows[d] = r
    nbytes = image.bytes_read(net, cap)
    best = min(DATAFLOWS, key=lambda d: flows[d]["uj"]["total"])
    return {"net": net.name, "preset": preset, "P": cap.cores, "T": net.T,
            "images": images, "counts": counts, "dataflows": flows, "best": best,
            "bytes_read": nbytes, "external_uj": external_uj(nbytes),
            "synops": sum(l["synops"] for l in counts["layers"]),
            "events": counts["input_events"] + sum(l["events_out"] for l in counts["layers"]),
            "cat_uj_28nm": CAT_VGG16_CIFAR10_UJ}
