"""The bench of ``rtl.fire_unit`` (see ``verif.benches``)."""




from golden import contract

from ..scoreboard import Mismatch
from .common import Bench, _rng


def build_fire_unit(seed, *, T=8, rule="round", threshold_bits=None, membrane_bits=24):
    from rtl.fire_unit import FireUnit
    comp = FireUnit(membrane_bits=membrane_bits, threshold_bits=threshold_bits, steps=T,
                    rule=rule)
    rng = _rng(seed, 5)
    c4 = contract.ttfs_c4(T, rule)
    tmax = 1 << (threshold_bits or 18)
    cases = []
    for theta in [1, 2, 3, tmax - 1] + [int(t) for t in rng.integers(1, tmax, size=40)]:
        for k in range(T):
            # stimuli on both sides of the smallest U that fires at k (the expected k comes
            # from contract.ttfs_fire, not from this edge)
            edge = -(-c4[k] * theta // (4 << k))
            cases += [(edge - 1, theta), (edge, theta), (edge + 1, theta)]
        cases.append((int(rng.integers(-(1 << (membrane_bits - 1)), 1 << (membrane_bits - 1))),
                      theta))
    return comp, {"T": T, "rule": rule, "cases": cases}


async def fire_unit(io, p):
    T, rule = p["T"], p["rule"]
    spec = io.component.limits_spec
    for u, theta in p["cases"]:
        io.set("value", u)
        io.set("limits", spec.of(theta))
        k, spike = await io.get("k"), await io.get("spike")
        want = int(contract.ttfs_fire(u, theta, T, rule))
        if (k, spike) != (want, int(want < T)):
            raise Mismatch(f"fire_unit T={T} {rule}: U={u} Theta={theta}: expected k={want}, "
                           f"observed k={k} spike={spike}")
    return {"checked": len(p["cases"])}


BENCH = Bench("fire_unit", build_fire_unit, fire_unit, clocked=False)
