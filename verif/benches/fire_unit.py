"""The bench of ``rtl.fire_unit`` (see ``verif.benches``)."""




from golden import contract

from ..scoreboard import Mismatch
from .common import Bench, _rng


def build_fire_unit(seed, *, T=8, rule="round", threshold_bits=None, membrane_bits=24,
                    coding="ttfs"):
    from rtl.fire_unit import FireUnit
    comp = FireUnit(membrane_bits=membrane_bits, threshold_bits=threshold_bits, steps=T,
                    rule=rule, coding=coding)
    rng = _rng(seed, 5)
    c4 = contract.ttfs_c4(T, rule)
    tmax = 1 << (threshold_bits or 18)
    cases = []
    for theta in [1, 2, 3, tmax - 1] + [int(t) for t in rng.integers(1, tmax, size=40)]:
        for k in range(T):
            # stimuli on both sides of the smallest U that fires at k, or (rate) that counts
            # k + 1 (the expected result comes from the contract, not from this edge)
            edge = -(-c4[k] * theta // (4 << k)) if coding == "ttfs" else (k + 1) * theta
            cases += [(edge - 1, theta), (edge, theta), (edge + 1, theta)]
        cases.append((int(rng.integers(-(1 << (membrane_bits - 1)), 1 << (membrane_bits - 1))),
                      theta))
    return comp, {"T": T, "rule": rule, "coding": coding, "cases": cases}


async def fire_unit(io, p):
    T, rule, coding = p["T"], p["rule"], p.get("coding", "ttfs")
    spec = io.component.limits_spec
    for u, theta in p["cases"]:
        io.set("value", u)
        io.set("limits", spec.of(theta))
        k, spike = await io.get("k"), await io.get("spike")
        want = int(contract.fire(u, theta, T, coding, rule))
        fires = want > 0 if coding == "rate" else want < T
        if (k, spike) != (want, int(fires)):
            raise Mismatch(f"fire_unit T={T} {coding} {rule}: U={u} Theta={theta}: expected "
                           f"k={want}, observed k={k} spike={spike}")
    return {"checked": len(p["cases"])}


BENCH = Bench("fire_unit", build_fire_unit, fire_unit, clocked=False)
