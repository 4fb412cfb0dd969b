"""A pin wrapper: any ``wiring.Component`` with two pins, so that a design with more ports than
an FPGA package has pins (the processor's AXI4 master and AXI4-Lite slave: about 240 port bits
at ``ecp5-mnist``, the LFE5U-25F CABGA381 has 197 I/Os) places, and none of its logic is
optimised away.

Every input port bit of the wrapped design is a stage of one shift register fed from pin ``si``
(so every input is a free, registered value); every output port bit is registered and the
registers are XOR-reduced into pin ``so`` (so every output stays observable). The wrapper adds
``inputs + outputs + 1`` flip-flops and an XOR tree of about ``outputs / 3`` LUT4s; it also
registers every path through the design's ports, as a system bus would. The counts of a run are
in its report (``pin_wrapper``).
"""

from amaranth.hdl import Cat, Const, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["PinWrapper", "port_values"]


def port_values(component):
    """``(inputs, outputs)``: the component's port values as seen from outside (members that
    are constants, such as an ``always_ready`` stream's ``ready``, are not ports)."""
    ins, outs = [], []
    for _, member, value in component.signature.flatten(component):
        if isinstance(Value.cast(value), Const):
            continue
        (ins if member.flow == In else outs).append(value)
    return ins, outs


class PinWrapper(wiring.Component):
    """``inner`` (a ``wiring.Component`` in the ``sync`` domain) behind two pins.

    si (in): the serial input shifted into the input register (one bit per cycle, at reset all
        inputs are 0).
    so (out): the XOR of all output port bits, registered twice (output register, then ``so``).
    """

    si: In(1)
    so: Out(1)

    def __init__(self, inner):
        if not isinstance(inner, wiring.Component):
            self._MustUse__silence = True   # never built: no "created but never used" warning
            raise TypeError(f"PinWrapper wraps a wiring.Component, not {inner!r}")
        self._inner = inner
        ins, outs = port_values(inner)
        #: port bits of the wrapped design (the flip-flops the wrapper adds: inputs + outputs + 1)
        self.input_bits = sum(len(Value.cast(v)) for v in ins)
        self.output_bits = sum(len(Value.cast(v)) for v in outs)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = inner = self._inner
        ins, outs = port_values(inner)
        if self.input_bits:
            shift = Signal(self.input_bits, name="pin_shift")
            m.d.sync += shift.eq(Cat(self.si, shift[:-1]))
            pos = 0
            for v in ins:
                n = len(Value.cast(v))
                m.d.comb += v.eq(shift[pos:pos + n])
                pos += n
        if self.output_bits:
            captured = Signal(self.output_bits, name="pin_capture")
            m.d.sync += [captured.eq(Cat(*outs)), self.so.eq(captured.xor())]
        return m
