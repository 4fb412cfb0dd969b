"""AXI4 read master of the processor: the bus signatures and the burst reader.

The processor reads its network image (and the input pixels) from external memory through
``AxiBurstReader``: byte requests in, data beats out, in request order. ``rtl.unpack``
cuts the beats into the units the loaders want (weight rows, parameter entries, pixels).

Port names on the emitted Verilog are the ones AXI tools and cocotbext-axi expect:
``m_axi_araddr``, ``s_axil_wdata``, ... (``AxiReadSignature`` and ``rtl.axi_lite``'s
``AxiLiteSignature`` name their signals ``<member>_<signal>``, one underscore, where a plain
``wiring.Signature`` would join with two).
"""

from amaranth.hdl import Const, Module, Signal
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from .checks import integer

__all__ = ["BusSignature", "AxiReadSignature", "AxiBurstReader", "request_layout",
           "beat_layout", "RESP_OKAY", "RESP_SLVERR", "BURST_INCR", "BOUNDARY_BYTES"]

#: RRESP / BRESP codes (AXI4: OKAY, EXOKAY, SLVERR, DECERR)
RESP_OKAY, RESP_EXOKAY, RESP_SLVERR, RESP_DECERR = 0, 1, 2, 3
#: ARBURST code of an incrementing burst
BURST_INCR = 1
#: an INCR burst must not cross a multiple of this many bytes (AXI4, A3.4.1)
BOUNDARY_BYTES = 4096
#: ARCACHE of the reader: Normal Non-cacheable Bufferable (the common default for DMA reads)
ARCACHE = 0b0011
#: ARPROT of the reader: unprivileged, secure, data access
ARPROT = 0b000


class _BusInterface:
    """The interface object of a ``BusSignature``: one ``Signal`` per member, named
    ``<path>_<member>`` (``m_axi_araddr``), as bus tools name the ports of a bus."""

    def __init__(self, signature, *, path):
        prefix = "_".join(str(p) for p in path) + "_" if path else ""
        self.signature = signature
        for name, member in signature.members.items():
            setattr(self, name, Signal(member.shape, init=member.init, name=prefix + name))


class BusSignature(wiring.Signature):
    """A flat signature of port members whose signals are named ``<path>_<member>``.

    Members are declared from the master's side; a slave takes ``In(signature)``.
    """

    def __init__(self, members):
        for name, member in members.items():
            if not member.is_port:
                raise TypeError(f"bus member {name!r} must be a port, not a signature")
        super().__init__(members)

    def create(self, *, path=None, src_loc_at=0):
        return _BusInterface(self, path=path or ())


class AxiReadSignature(BusSignature):
    """The read channels (AR and R) of an AXI4 master, from the master's side.

    AR: ``arid, araddr, arlen, arsize, arburst, arcache, arprot, arvalid`` out, ``arready`` in.
    R: ``rid, rdata, rresp, rlast, rvalid`` in, ``rready`` out.

    Handshake (AXI4, A3.2): a transfer happens on a rising edge where ``valid`` and ``ready`` are
    both 1; once ``valid`` is 1 it and its payload hold until that edge; ``valid`` never waits
    for ``ready``. After reset both valids are 0 (the memory side's reset is the system's).

    Parameters: ``addr_bits`` (12..64), ``data_bits`` (8..1024, a power of two), ``id_bits``
    (1..32; this master uses one ID, 0, so R data returns in AR order).
    """

    def __init__(self, *, addr_bits, data_bits, id_bits=1):
        integer("addr_bits", addr_bits, 12, 64)
        _power_of_two("data_bits", data_bits, 8, 1024)
        integer("id_bits", id_bits, 1, 32)
        self.addr_bits, self.data_bits, self.id_bits = addr_bits, data_bits, id_bits
        super().__init__({
            "arid": Out(id_bits),
            "araddr": Out(addr_bits),
            "arlen": Out(8),
            "arsize": Out(3),
            "arburst": Out(2),
            "arcache": Out(4),
            "arprot": Out(3),
            "arvalid": Out(1),
            "arready": In(1),
            "rid": In(id_bits),
            "rdata": In(data_bits),
            "rresp": In(2),
            "rlast": In(1),
            "rvalid": In(1),
            "rready": Out(1),
        })

    def __eq__(self, other):
        return (type(other) is type(self) and (self.addr_bits, self.data_bits, self.id_bits)
                == (other.addr_bits, other.data_bits, other.id_bits))

    def __hash__(self):
        return hash((type(self), self.addr_bits, self.data_bits, self.id_bits))

    def __repr__(self):
        return (f"AxiReadSignature(addr_bits={self.addr_bits}, data_bits={self.data_bits}, "
                f"id_bits={self.id_bits})")


def _power_of_two(name, value, lo, hi):
    integer(name, value, lo, hi)
    if value & (value - 1):
        raise ValueError(f"{name} must be a power of two in {lo}..{hi}, not {value!r}")
    return value


def request_layout(*, addr_bits, length_bits):
    """A read request: ``addr`` (byte address, aligned to the beat), ``length`` (bytes)."""
    return data.StructLayout({"addr": addr_bits, "length": length_bits})


def beat_layout(data_bits):
    """One data beat: ``data``; ``bytes``, the bytes of the request in this beat (the beat's
    width except, possibly, on the request's final beat: 1..data_bits/8, the low bytes);
    ``last``, 1 on the final beat of a request."""
    return data.StructLayout({"data": data_bits, "bytes": (data_bits // 8).bit_length(),
                              "last": 1})


class AxiBurstReader(wiring.Component):
    """Reads byte ranges of memory over AXI4 as INCR bursts, several in flight.

    Ports:
        requests (in stream, ``request_layout``): ``{addr, length}``: ``addr`` a byte address
            (its bits below the beat are ignored: requests are aligned to the beat), ``length``
            bytes (a request of 0 bytes is read as one of a full beat). Taken when no earlier
            request is still issuing its bursts: the cycle after the last burst of a request is
            issued at the earliest.
        data (out stream, ``beat_layout``): the ``ceil(length / (data_bits/8))`` beats of each
            request, in request order, ``last`` on the final one, ``bytes`` the request's bytes
            in the beat (the bytes past the request's end are whatever memory holds). ``valid``
            is ``rvalid`` and ``rready`` is ``data.ready``: no buffering, no added latency.
        m_axi (out, ``AxiReadSignature``): the bus. A request becomes INCR bursts of at most
            ``max_burst_beats`` beats that never cross a 4 KB boundary (AXI4 forbids it), all of
            ID 0, full-width beats (``arsize`` = log2 of the beat bytes). ``arvalid`` rises the
            cycle after a request is taken; consecutive bursts may issue on consecutive cycles;
            up to ``max_bursts`` bursts are outstanding (AR issued, last R beat not yet taken).
        error (out): 1 from the cycle after an R beat with RRESP != OKAY is taken (its data is
            still delivered) until ``clear``; sticky across requests.
        beat (out): 1 in each cycle an R beat is taken (``data`` transfers), for byte counters.
        beats (out, ``counter_bits``): beats taken since reset or ``clear`` (wraps).
        clear (in): zeroes ``error`` and ``beats`` (an error beat in the same cycle still sets
            ``error``; its beat is still counted).
        idle (out): 1 when no request is being issued and no burst is outstanding.

    Reset: no request, no burst outstanding, ``arvalid`` 0, ``error`` 0, ``beats`` 0. Data of
    bursts issued before a reset must not arrive after it (reset the memory side too).

    Parameters (keyword-only): ``addr_bits``, ``data_bits``, ``id_bits`` (see
    ``AxiReadSignature``), ``max_burst_beats`` (1..256), ``max_bursts`` (1..64),
    ``length_bits`` (width of ``length``, 1..64), ``counter_bits`` (1..64).
    """

    def __init__(self, *, addr_bits=32, data_bits=64, id_bits=1, max_burst_beats=16,
                 max_bursts=2, length_bits=32, counter_bits=32):
        self.bus_signature = AxiReadSignature(addr_bits=addr_bits, data_bits=data_bits,
                                              id_bits=id_bits)
        self.max_burst_beats = integer("max_burst_beats", max_burst_beats, 1, 256)
        self.max_bursts = integer("max_bursts", max_bursts, 1, 64)
        self.length_bits = integer("length_bits", length_bits, 1, 64)
        integer("counter_bits", counter_bits, 1, 64)
        self.addr_bits, self.data_bits = addr_bits, data_bits
        self.beat_bytes = data_bits // 8
        super().__init__({
            "requests": In(stream.Signature(request_layout(addr_bits=addr_bits,
                                                           length_bits=length_bits))),
            "data": Out(stream.Signature(beat_layout(data_bits))),
            "m_axi": Out(self.bus_signature),
            "error": Out(1),
            "beat": Out(1),
            "beats": Out(counter_bits),
            "clear": In(1),
            "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        ax = self.m_axi
        shift = (self.beat_bytes - 1).bit_length()  # log2 of the beat bytes
        beat_count_bits = max(1, self.length_bits - shift + 1)

        # Issue side: the request being cut into bursts.
        active = Signal(name="active")          # a request has bursts left to issue
        addr = Signal(self.addr_bits, name="next_addr")
        beats_left = Signal(beat_count_bits, name="beats_left")
        tail = Signal(max(1, shift), name="tail_bytes")  # length mod beat bytes (0: full beat)

        # Outstanding bursts, oldest first: does the burst end its request, and the request's
        # bytes in that final beat. Its level is the bursts in flight.
        entry = data.StructLayout({"ends_request": 1,
                                   "last_bytes": self.beat_bytes.bit_length()})
        m.submodules.outstanding = outstanding = fifo.SyncFIFO(width=entry.size,
                                                               depth=self.max_bursts)
        pushed = Signal(entry, name="pushed")
        oldest = Signal(entry, name="oldest")
        m.d.comb += [outstanding.w_data.eq(pushed), oldest.eq(outstanding.r_data)]

        req = self.requests.payload
        m.d.comb += self.requests.ready.eq(~active)
        with m.If(self.requests.valid & ~active):
            beats = (req.length + (self.beat_bytes - 1)) >> shift
            m.d.sync += [active.eq(1),
                         addr.eq(req.addr & ~Const(self.beat_bytes - 1, self.addr_bits)),
                         beats_left.eq(beats | (beats == 0)),
                         tail.eq(req.length[:shift] if shift else 0)]

        # Burst length: the smallest of the beats left, the largest burst, the beats to the
        # next 4 KB boundary (a 13-bit subtraction: 1..4096 bytes).
        to_boundary = Signal(range(BOUNDARY_BYTES // self.beat_bytes + 1), name="to_boundary")
        m.d.comb += to_boundary.eq((BOUNDARY_BYTES - addr[:12]) >> shift)
        burst = Signal(range(self.max_burst_beats + 1), name="burst_beats")
        m.d.comb += burst.eq(self.max_burst_beats)
        with m.If((beats_left < self.max_burst_beats) & (beats_left <= to_boundary)):
            m.d.comb += burst.eq(beats_left)
        with m.Elif(to_boundary < self.max_burst_beats):
            m.d.comb += burst.eq(to_boundary)
        ends_request = beats_left == burst

        m.d.comb += [
            ax.arid.eq(0),
            ax.araddr.eq(addr),
            ax.arlen.eq(burst - 1),
            ax.arsize.eq(shift),
            ax.arburst.eq(BURST_INCR),
            ax.arcache.eq(ARCACHE),
            ax.arprot.eq(ARPROT),
            # the FIFO only fills by our own push: arvalid never falls before its handshake
            ax.arvalid.eq(active & outstanding.w_rdy),
            pushed.ends_request.eq(ends_request),
            pushed.last_bytes.eq(self.beat_bytes),
            outstanding.w_en.eq(ax.arvalid & ax.arready),
        ]
        if shift:
            with m.If(tail != 0):
                m.d.comb += pushed.last_bytes.eq(tail)
        with m.If(ax.arvalid & ax.arready):
            m.d.sync += [addr.eq(addr + (burst << shift)), beats_left.eq(beats_left - burst)]
            with m.If(ends_request):
                m.d.sync += active.eq(0)

        # Return side: R passes straight through to ``data``.
        taken = Signal(name="r_taken")
        final_of_request = oldest.ends_request & ax.rlast
        m.d.comb += [
            self.data.valid.eq(ax.rvalid),
            self.data.payload.data.eq(ax.rdata),
            self.data.payload.last.eq(final_of_request),
            self.data.payload.bytes.eq(self.beat_bytes),
            ax.rready.eq(self.data.ready),
            taken.eq(ax.rvalid & ax.rready),
            outstanding.r_en.eq(taken & ax.rlast),
            self.beat.eq(taken),
            self.idle.eq(~active & (outstanding.level == 0)),
        ]
        with m.If(final_of_request):
            m.d.comb += self.data.payload.bytes.eq(oldest.last_bytes)

        with m.If(self.clear):
            m.d.sync += [self.error.eq(0), self.beats.eq(taken)]
        with m.Else():
            m.d.sync += self.beats.eq(self.beats + taken)
        with m.If(taken & (ax.rresp != RESP_OKAY)):
            m.d.sync += self.error.eq(1)
        return m
