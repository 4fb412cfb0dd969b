"""The bench of ``rtl.weight_decoder`` (see ``verif.benches``)."""




from golden import contract

from ..scoreboard import Mismatch
from .common import Bench


def build_weight_decoder(seed, *, T=16, F=None):
    from rtl.weight_decoder import WeightDecoder
    F = contract.min_frac_bits("ttfs", T) if F is None else F
    comp = WeightDecoder(frac_bits=F, time_bits=contract.time_bits(T))
    return comp, {"F": F, "T": T}


async def weight_decoder(io, p):
    F, T = p["F"], p["T"]
    shift_w = len(io.component.shift)
    checked = 0
    for code in range(1 << contract.CODE_BITS):
        for k in range(1 << len(io.component.k)):
            io.set("code", code)
            io.set("k", k)
            sign, shift, zero = [await io.get(n) for n in ("sign", "shift", "zero")]
            e = int(contract.code_exponent(code))
            want_sign = int(contract.code_sign(code))
            want_zero = int(e == contract.ZERO_EXP)
            problems = []
            if sign != want_sign:
                problems.append(f"sign {sign} (expected {want_sign})")
            if zero != want_zero:
                problems.append(f"zero {zero} (expected {want_zero})")
            if not want_zero and k < T:
                want_shift = int(contract.synapse_shift(e, k, F))
                if shift != want_shift:
                    problems.append(f"shift {shift} (expected {want_shift})")
                # the synaptic product: +-(1 << shift) is the code's value in units 2^-(F-k)
                prod = (-1 if sign else 1) * (1 << shift)
                want = int(contract.code_values(code, scale_exp=F - k))
                if prod != want:
                    problems.append(f"product {prod} (expected {want})")
                if want_shift >= 1 << shift_w:
                    problems.append(f"shift port of {shift_w} bits cannot hold {want_shift}")
            if problems:
                raise Mismatch(f"weight_decoder F={F}: code {code} (s={code >> 4}, e={e}), "
                               f"k={k}: " + ", ".join(problems))
            checked += 1
    return {"checked": checked}


BENCH = Bench("weight_decoder", build_weight_decoder, weight_decoder, clocked=False)
