"""The simulator adapter the component benches are written against (``verif.simio``)."""

import pytest
from amaranth.hdl import Module, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from verif.simio import SimIOError, codec, run_amaranth


class _Echo(wiring.Component):
    """A registered copy of a struct stream, and a signed combinational negation."""
    layout = data.StructLayout({"a": signed(5), "b": data.ArrayLayout(3, 2)})

    def __init__(self):
        super().__init__({"i": In(stream.Signature(self.layout, always_ready=True)),
                          "o": Out(stream.Signature(self.layout)),
                          "x": In(signed(6)), "neg": Out(signed(7))})

    def elaborate(self, platform):
        m = Module()
        m.d.sync += [self.o.valid.eq(self.i.valid), self.o.payload.eq(self.i.payload)]
        m.d.comb += self.neg.eq(-self.x)
        return m


def test_codec_round_trips_structs_arrays_and_signed_fields():
    c = codec(_Echo.layout)
    for value in ({"a": -16, "b": [7, 0]}, {"a": 15, "b": [1, 6]}, {"a": -1, "b": [0, 0]}):
        assert c.decode(c.encode(value)) == value
    assert c.encode({"a": -1}) == 0b11111  # missing fields are 0
    with pytest.raises(SimIOError, match="no field 'c'"):
        c.encode({"c": 1})


def test_set_get_tick_on_amaranth():
    async def body(io):
        io.set("i.valid", 1)
        io.set("i.payload", {"a": -3, "b": [5, 2]})
        io.set("x", -20)
        assert await io.get("neg") == 20
        assert await io.get("o.valid") == 0
        assert await io.get("i.ready") == 1  # a constant member
        await io.tick()
        io.set("i.valid", 0)
        assert await io.get("o.payload") == {"a": -3, "b": [5, 2]}
        assert await io.get("o.valid") == 1
        return io.cycle

    assert run_amaranth(_Echo(), body) == 1


@pytest.mark.parametrize("misuse,message", [
    (lambda io: io.set("o.valid", 1), "not a driven input"),
    (lambda io: io.set("i.ready", 1), "not a driven input"),
    (lambda io: io.set("nope", 1), "has no port 'nope'"),
])
def test_misuse_is_refused(misuse, message):
    async def body(io):
        with pytest.raises(SimIOError, match=message):
            misuse(io)

    run_amaranth(_Echo(), body)


def test_set_after_get_in_one_cycle_is_refused():
    """cocotb forbids writes in its read-only phase, so the fast simulator refuses them too."""
    async def body(io):
        await io.get("o.valid")
        with pytest.raises(SimIOError, match="after a get in the same cycle"):
            io.set("x", 1)
        await io.tick()
        io.set("x", 1)  # a new cycle

    run_amaranth(_Echo(), body)
