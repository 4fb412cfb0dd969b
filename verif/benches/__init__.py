"""Component testbenches written once, run under Amaranth's simulator and under cocotb.

Each bench is a ``build(seed, **opts) -> (component, params)`` (deterministic in its arguments,
so the cocotb side rebuilds the very component whose Verilog it simulates) and an ``async``
body ``body(io, params) -> stats`` written against ``verif.simio.SimIO``. A body raises
``verif.scoreboard.Mismatch`` at the first difference from its reference model, which always
comes from ``golden/`` (``contract``, ``event.fanout_range``) or, for a memory layout, from the
one function that documents it here.

One module per component (``verif/benches/<rtl module>.py``, its ``BENCH``), as in ``rtl/``.

``tests/rtl/test_*.py`` run the bodies under Amaranth's simulator (``simio.run_amaranth``) over
many parameters; ``verif/tb_components.py`` runs the same bodies under Icarus and Verilator
(``verif/test_cocotb.py``, ``make sim TEST=...``).

weight_decoder  exhaustive: every 5-bit code x every value of the k port.
fire_unit       U at and around every threshold edge of every step, random U and Theta.
neuron_core     host weight loads, random synaptic operations (bubbles, back-to-back and
                two-back hits on one membrane), then a fire scan in random groups with random
                pipeline freezes; several rounds (the clear after fire is checked too).
spike_router    events on conv geometries (kernel 1..5, stride 1..2, padding 0..2) and dense
                layers, random valid and ready: the exact sequence of (waddr, maddr, k).
spike_buffer    random writes with gaps, read-out with random ready, replay, clear mid-read.
input_encoder   every pixel value, random valid and ready.
spike_emitter   groups of lanes with random masks, random ``out`` ready: order, tag, stall.
earliest_spike_pool  random windows with random freezes: the earliest spike of each.
param_memory    host writes of either half, reads with random enable: latency, hold, limits.
layer_sequencer the phase FSM and the fire scan of a random network's descriptors, random
                emitter stalls: addresses, parameter reads/loads and stage tags in order.
axi_burst_reader  random requests (4 KB crossings, SLVERR window) against cocotbext-axi's
                AxiRamRead (cocotb) or a Python AXI memory (Amaranth), random timing on every
                channel: bursts, in-flight limit, data, order, error, counters, idle.
beat_unpacker   beats to units of another width (wider and narrower), random gaps and
                back-pressure, against ``unpack_reference``; the full-rate cycle bound.
processor_registers  the AXI4-Lite register map through cocotbext-axi's AxiLiteMaster (cocotb)
                or a Python master (Amaranth): every register, strobes, W1C, irq, SLVERR.
"""

from .axi import BENCH as _axi_burst_reader
from .axi_lite import BENCH as _processor_registers
from .common import Bench, event_config
from .fire_unit import BENCH as _fire_unit
from .input_encoder import BENCH as _input_encoder
from .max_pool import BENCH as _max_pool
from .neuron_core import BENCH as _neuron_core
from .param_memory import BENCH as _param_memory
from .sequencer import BENCH as _sequencer
from .sequencer import fire_scan
from .spike_buffer import BENCH as _spike_buffer
from .spike_emitter import BENCH as _spike_emitter
from .spike_router import BENCH as _spike_router
from .spike_router import (
                           random_events,
                           random_router_geometries,
                           router_bundles,
                           router_config,
                           spike_router_component,
)
from .unpack import BENCH as _beat_unpacker
from .weight_decoder import BENCH as _weight_decoder

__all__ = ["Bench", "BENCHES", "router_bundles", "router_config", "random_router_geometries",
           "random_events", "spike_router_component", "fire_scan", "event_config"]

#: every bench by name, in data-flow order (``make sim TEST=<name>``)
BENCHES = {b.name: b for b in (
    _weight_decoder, _fire_unit, _neuron_core, _spike_router, _spike_buffer, _input_encoder,
    _spike_emitter, _max_pool, _param_memory, _sequencer, _axi_burst_reader, _beat_unpacker,
    _processor_registers)}
