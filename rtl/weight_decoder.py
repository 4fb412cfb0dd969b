"""Log-domain weight decoder: a 5-bit weight code and a spike time to sign, shift and zero."""

from amaranth.hdl import Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden import contract

__all__ = ["WeightDecoder"]


class WeightDecoder(wiring.Component):
    """Combinational decoder of the contract's weight code.

    Ports:
        code  (in, 5):  weight code, bit 4 sign, bits 3..0 exponent e.
        k     (in):     spike time of the input event.
        sign  (out):    1 = subtract.
        shift (out):    F - e - k: the synaptic product is ``1 << shift``.
        zero  (out):    e = 15: the product is 0.

    Parameters: ``frac_bits`` F and ``time_bits`` (width of k). Every k used must keep
    F - e - k >= 0, which the contract's F >= 14 + T - 1 guarantees.
    """

    def __init__(self, *, frac_bits, time_bits):
        if not isinstance(frac_bits, int) or not contract.EXP_MAX <= frac_bits <= 63:
            raise ValueError(f"frac_bits must be an integer in {contract.EXP_MAX}..63, "
                             f"not {frac_bits!r}")
        if not isinstance(time_bits, int) or not 1 <= time_bits <= 4:
            raise ValueError(f"time_bits must be an integer in 1..4, not {time_bits!r}")
        self._F = frac_bits
        super().__init__({
            "code": In(contract.CODE_BITS),
            "k": In(time_bits),
            "sign": Out(1),
            "shift": Out(unsigned(frac_bits.bit_length())),
            "zero": Out(1),
        })

    @property
    def frac_bits(self):
        return self._F

    def elaborate(self, platform):
        m = Module()
        e = self.code[:4]
        m.d.comb += [
            self.sign.eq(self.code[4]),
            self.zero.eq(e == contract.ZERO_EXP),
            self.shift.eq(self._F - e - self.k),
        ]
        return m
