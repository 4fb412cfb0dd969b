"""One test body, two simulators: the small interface the testbenches are written against.

A test body is an ``async`` function of a ``SimIO``; it names the component's ports by their
signature path (``"op.payload"``, ``"fire.valid"``) and uses four operations:

``io.set(port, value)``
    drive an input from now on. A struct/array payload takes a dict/list of its fields (missing
    fields are 0), a plain port an int (signed ports take negative ints).
``await io.get(port)``
    the settled value of a port this cycle (dict/list for a struct/array payload, signed int for
    a signed port).
``await io.tick()``
    wait for the next rising clock edge (clocked components).
``await io.settle()``
    let combinational logic settle after ``set`` (combinational components, no clock).

The cycle discipline is the same on both simulators and enforced by both adapters: within one
clock cycle every ``set`` comes before the first ``get`` (cocotb's read-only phase forbids
writes after reads; the Amaranth adapter refuses them too, so a body that passes the fast
simulator runs unchanged under cocotb).

``AmaranthIO`` wraps an Amaranth ``SimulatorContext`` (``run_amaranth(component, body)`` runs a
body under Amaranth's simulator); ``CocotbIO`` wraps the cocotb handle of the component's
emitted Verilog (``gen.verilog.emit`` names the port ``op.payload`` ``op__payload``). Both look
the port shapes up in the Amaranth component's signature, so nothing is hard-coded.
"""

from amaranth.hdl import Const, Shape, Signal, Value
from amaranth.lib import data, wiring

__all__ = ["SimIOError", "SimIO", "AmaranthIO", "CocotbIO", "run_amaranth", "simulate", "codec"]


class SimIOError(RuntimeError):
    """A test body used the interface wrongly (unknown port, set after get, ...)."""


class _Codec:
    """Pack a Python value into a port's bits and back, from the port's shape."""

    def __init__(self, shape):
        if isinstance(shape, data.Layout):
            self.width = shape.size
            self.array = isinstance(shape, data.ArrayLayout)
            self.fields = {key: (f.offset, _Codec(f.shape)) for key, f in shape}
            self.signed = False
        else:
            s = Shape.cast(shape)
            self.width, self.signed, self.fields, self.array = s.width, s.signed, None, False
        self.mask = (1 << self.width) - 1

    def encode(self, value):
        if self.fields is None or isinstance(value, int):
            return int(value) & self.mask
        items = enumerate(value) if self.array else value.items()
        out = 0
        for key, v in items:
            try:
                off, sub = self.fields[key]
            except KeyError:
                fields = sorted(map(str, self.fields))
                raise SimIOError(f"no field {key!r} in a layout of {fields}") from None
            out |= sub.encode(v) << off
        return out

    def decode(self, bits):
        bits &= self.mask
        if self.fields is None:
            if self.signed and bits >> (self.width - 1):
                bits -= 1 << self.width
            return bits
        values = {key: sub.decode(bits >> off) for key, (off, sub) in self.fields.items()}
        return [values[i] for i in range(len(values))] if self.array else values


def codec(shape):
    """The codec of a shape (``.encode(value) -> int``, ``.decode(int) -> value``)."""
    return _Codec(shape)


class SimIO:
    """The interface of the test bodies (see the module doc). Subclasses implement ``_write``,
    ``_read``, ``_edge`` and ``_settle`` on raw unsigned bits."""

    def __init__(self, component):
        self.component = component
        self.cycle = 0
        self._ports = {}
        for path, member, value in component.signature.flatten(component):
            name = ".".join(str(p) for p in path)
            raw = Value.cast(value)
            self._ports[name] = (raw if isinstance(raw, Const) else raw.as_unsigned(),
                                 member.flow, _Codec(member.shape), isinstance(raw, Const))
        self._reading = False  # a get happened this cycle (no more sets until the edge)
        self._dirty = False    # a set since the last settle (combinational components)

    def _port(self, name):
        try:
            return self._ports[name]
        except KeyError:
            raise SimIOError(f"{type(self.component).__name__} has no port {name!r} (ports: "
                             f"{', '.join(self._ports)})") from None

    def inputs(self):
        """The names of the driven input ports."""
        return [n for n, (_, flow, _, const) in self._ports.items()
                if flow == wiring.In and not const]

    def set(self, name, value):
        port, flow, cod, const = self._port(name)
        if const or flow != wiring.In:
            raise SimIOError(f"port {name!r} is not a driven input")
        if self._reading:
            raise SimIOError(f"set({name!r}) after a get in the same cycle: cocotb's read-only "
                             "phase forbids it; set every input first")
        self._write(name, port, cod.encode(value))
        self._dirty = True

    async def get(self, name):
        port, _, cod, const = self._port(name)
        if const:
            return cod.decode(port.value)
        if not self._clocked:  # combinational: settle after the last set, then read
            if self._dirty:
                await self.settle()
        elif not self._reading:
            await self._enter_read()
            self._reading = True
        return cod.decode(self._read(name, port))

    async def tick(self, cycles=1):
        for _ in range(cycles):
            await self._edge()
            self.cycle += 1
            self._reading = False
            self._dirty = False

    async def settle(self):
        await self._settle()
        self._dirty = False


class AmaranthIO(SimIO):
    """``SimIO`` over an Amaranth ``SimulatorContext`` (``add_testbench``: reads see settled
    combinational values, so ``get`` needs no wait)."""

    def __init__(self, component, ctx, *, clocked=True):
        super().__init__(component)
        self.ctx = ctx
        self._clocked = clocked

    def _write(self, name, port, bits):
        self.ctx.set(port, bits)

    def _read(self, name, port):
        return self.ctx.get(port)

    async def _enter_read(self):
        pass

    async def _edge(self):
        await self.ctx.tick()

    async def _settle(self):
        await self.ctx.delay(1e-9)


class CocotbIO(SimIO):
    """``SimIO`` over the cocotb handle of the component's emitted Verilog."""

    def __init__(self, component, dut, *, clocked=True):
        super().__init__(component)
        self.dut = dut
        self._clocked = clocked
        self._handles = {}
        # the Verilog port is named after the signal: ``op.payload`` -> ``op__payload`` for a
        # plain signature, ``m_axi.araddr`` -> ``m_axi_araddr`` for an ``rtl.axi`` bus
        self._verilog_names = {".".join(str(p) for p in path): value.name
                               for path, _, value in component.signature.flatten(component)
                               if isinstance(value, Signal)}
        from cocotb.triggers import ReadOnly, RisingEdge, Timer
        self._ro = ReadOnly()
        self._rising = RisingEdge(dut.clk) if clocked else None
        self._timer = Timer

    def _handle(self, name):
        h = self._handles.get(name)
        if h is None:
            h = self._handles[name] = getattr(
                self.dut, self._verilog_names.get(name, name.replace(".", "__")))
        return h

    def _write(self, name, port, bits):
        self._handle(name).value = bits

    def _read(self, name, port):
        return int(self._handle(name).value)

    async def _enter_read(self):
        await self._ro

    async def _edge(self):
        await self._rising

    async def _settle(self):
        await self._timer(1, unit="ns")


def _simulator(dut):
    """An Amaranth Simulator of ``dut`` with a 100 MHz clock when it has synchronous logic;
    (simulator, clocked)."""
    from amaranth.sim import Simulator
    sim = Simulator(dut)
    try:
        sim.add_clock(1e-8)
    except NameError:  # purely combinational
        return sim, False
    return sim, True


def _run(sim, vcd):
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()


def simulate(dut, *testbenches, processes=(), vcd=None):
    """Run async testbenches of the ``SimulatorContext`` (and background processes) on
    ``dut`` under Amaranth's simulator."""
    sim, _ = _simulator(dut)
    for tb in testbenches:
        sim.add_testbench(tb)
    for p in processes:
        sim.add_process(p)
    _run(sim, vcd)


def run_amaranth(component, body, *args, vcd=None, **kwargs):
    """Run ``await body(io, *args, **kwargs)`` under Amaranth's simulator (a 100 MHz clock when
    the component has synchronous logic) and return what the body returns."""
    sim, clocked = _simulator(component)
    result = []

    async def testbench(ctx):
        result.append(await body(AmaranthIO(component, ctx, clocked=clocked), *args, **kwargs))

    sim.add_testbench(testbench)
    _run(sim, vcd)
    return result[0]
