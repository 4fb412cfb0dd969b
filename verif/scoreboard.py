"""Scoreboard: what the golden model expects of one inference, and the comparison with what a
testbench observed (under any simulator).

An ``Observation`` is simulator-neutral: the trace events (layer, c, y, x, k, cycle), the scores,
the prediction and the cycle at which each phase began. ``check`` raises ``Mismatch`` at the
first difference, naming the layer, the neuron, the expected and observed values and the cycle.
"""

from dataclasses import dataclass, field

from golden import cycles as cycle_model
from golden import event

__all__ = ["Expected", "Observation", "Mismatch", "expect", "expected_events", "check",
           "phase_durations"]


class Mismatch(AssertionError):
    """The RTL differs from the golden model."""


@dataclass
class Expected:
    maps: list                 # (C, H, W) of every event map: input, then each firing layer
    events: list               # per map: dict neuron -> k (rate coding: its t's, in order)
    scores: list
    prediction: int
    phase_cycles: list         # per layer: (integrate, fire)
    trace: object = None       # the golden.event.Trace the expectations come from
    cycles: list = None        # its golden.cycles.LayerCycles, per layer
    rate: bool = False         # rate coding: a neuron's events are t = 0..N-1


def expected_events(network, lists):
    """Per event map, what ``Expected.events`` holds of the golden events (n, 2) of each."""
    if network.coding == "ttfs":
        return [{int(n): int(k) for n, k in ev} for ev in lists]
    out = []
    for ev in lists:
        d = {}
        for n, t in ev:
            d[int(n)] = d.get(int(n), ()) + (int(t),)
        out.append(d)
    return out


@dataclass
class Observation:
    trace: list = field(default_factory=list)     # (layer, c, y, x, k, cycle)
    scores: list = field(default_factory=list)    # (cls, score, cycle)
    prediction: int = None
    phases: list = field(default_factory=list)    # (cycle, phase, layer) at every change
    cycles: int = 0


def expect(config, image):
    """Golden expectations of one image on a HardwareConfig."""
    net = config.network
    tr = event.run(net, image)
    lists = [tr.input_events] + [l.events for l in tr.layers[:-1]]
    cyc = cycle_model.network_cycles(net, tr, config.cores)
    return Expected(maps=config.maps, events=expected_events(net, lists),
                    scores=[int(s) for s in tr.scores], prediction=tr.prediction,
                    phase_cycles=[(c.integrate, c.fire) for c in cyc], trace=tr, cycles=cyc,
                    rate=net.coding == "rate")


def phase_durations(obs):
    """(integrate, fire) cycles per layer from the observed phase changes."""
    from rtl.sequencer import Phase
    out = []
    ph = obs.phases
    for i in range(len(ph) - 1):
        cyc, phase, layer = ph[i]
        if phase == Phase.INTEGRATE:
            nxt = ph[i + 1]
            fire_end = ph[i + 2][0] if i + 2 < len(ph) else None
            out.append((nxt[0] - cyc, None if fire_end is None else fire_end - nxt[0]))
    return out


def check(exp, obs, *, cycles=True):
    """Compare events (per layer and neuron), scores, prediction and phase cycles."""
    for li, (_C, H, W) in enumerate(exp.maps):
        seen = {}
        for (layer, c, y, x, k, cyc) in obs.trace:
            if layer != li:
                continue
            n = (c * H + y) * W + x
            if exp.rate:  # the neuron's t's in order, at the cycle of its first
                ks, first = seen.get(n, ((), cyc))
                seen[n] = (ks + (k,), first)
                continue
            if n in seen:
                raise Mismatch(f"layer {li}: neuron {n} (c={c}, y={y}, x={x}) spiked twice, "
                               f"k={seen[n][0]} and k={k} at cycle {cyc}")
            seen[n] = (k, cyc)
        want = exp.events[li]
        for n in sorted(set(want) | set(seen)):
            e = want.get(n)
            o = seen.get(n, (None, None))
            if e != o[0]:
                raise Mismatch(f"layer {li}: neuron {n}: expected k={_k(e)}, observed "
                               f"k={_k(o[0])}" + (f" at cycle {o[1]}" if o[1] is not None
                                                  else ""))
    if len(obs.scores) != len(exp.scores):
        raise Mismatch(f"scores: expected {len(exp.scores)} classes, observed {len(obs.scores)}")
    for i, ((cls, score, cyc), want) in enumerate(zip(obs.scores, exp.scores)):
        if cls != i or score != want:
            raise Mismatch(f"classifier: class {i}: expected score {want}, observed class {cls} "
                           f"score {score} at cycle {cyc}")
    if obs.prediction != exp.prediction:
        raise Mismatch(f"prediction: expected {exp.prediction}, observed {obs.prediction}")
    if cycles:
        got = phase_durations(obs)
        for li, (want, have) in enumerate(zip(exp.phase_cycles, got)):
            for name, w, h in (("integrate", want[0], have[0]), ("fire", want[1], have[1])):
                if w != h:
                    raise Mismatch(f"layer {li + 1}: {name} phase: expected {w} cycles "
                                   f"(cycle model), observed {h}")
        if len(got) != len(exp.phase_cycles):
            raise Mismatch(f"phases: expected {len(exp.phase_cycles)} layers, observed "
                           f"{len(got)}")


def _k(k):
    return "none" if k is None else k
