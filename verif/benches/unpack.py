"""The bench of ``rtl.unpack`` (see ``verif.benches``)."""

from ..scoreboard import Mismatch
from .common import Bench, _rng

__all__ = ["BENCH", "unpack_reference", "request_beats"]


def unpack_reference(payload, unit_bits):
    """The units of one request's bytes (``rtl.unpack.BeatUnpacker``'s documented output):
    ``ceil(8 n / unit_bits)`` units of the little-endian bit string, least significant first,
    the final one zero-padded; ``[(data, last)]``."""
    bits = 8 * len(payload)
    value = int.from_bytes(payload, "little")
    count = -(-bits // unit_bits)
    mask = (1 << unit_bits) - 1
    return [((value >> (i * unit_bits)) & mask, i == count - 1) for i in range(count)]


def request_beats(payload, beat_bytes, junk):
    """The beats (``rtl.axi.beat_layout`` dicts) that carry a request's bytes; the bytes of the
    final beat past the request are ``junk`` (bytes), which the unpacker must drop."""
    beats = []
    for start in range(0, len(payload), beat_bytes):
        chunk = payload[start:start + beat_bytes]
        n = len(chunk)
        last = start + beat_bytes >= len(payload)
        word = chunk + junk[:beat_bytes - n]
        beats.append({"data": int.from_bytes(word, "little"), "bytes": n, "last": int(last)})
    return beats


def build_beat_unpacker(seed, *, data_bits=64, unit_bits=40, requests=24, max_units=12):
    """Random requests of whole units (as the processor's loaders make them) and, one in four,
    of any byte length (a zero-padded final unit); the first is long, for the rate check."""
    from rtl.unpack import BeatUnpacker
    rng = _rng(seed, 12)
    unit_bytes = -(-unit_bits // 8)
    lengths = [max(1, (unit_bits * 48) // 8)]
    for _ in range(requests - 1):
        if unit_bits % 8 == 0 and rng.random() < 0.75:
            lengths.append(unit_bytes * int(rng.integers(1, max_units + 1)))
        else:
            lengths.append(int(rng.integers(1, unit_bytes * max_units + 1)))
    payloads = [bytes(rng.integers(0, 256, n, dtype=int).tolist()) for n in lengths]
    junk = bytes(rng.integers(0, 256, data_bits // 8, dtype=int).tolist())
    comp = BeatUnpacker(data_bits=data_bits, unit_bits=unit_bits)
    return comp, {"seed": seed, "data_bits": data_bits, "unit_bits": unit_bits,
                  "payloads": payloads, "junk": junk}


async def beat_unpacker(io, p):
    """The first request at full rate (every beat offered, every unit taken: it must take no
    more than ``max(beats, units) + 2`` cycles), then the others with random beat gaps and
    random unit back-pressure; every unit, ``last`` included, equals ``unpack_reference``."""
    rng = _rng(p["seed"], 120)
    U, beat_bytes = p["unit_bits"], p["data_bits"] // 8
    beats = [request_beats(x, beat_bytes, p["junk"]) for x in p["payloads"]]
    want = [unpack_reference(x, U) for x in p["payloads"]]
    flat_beats = [(r, b) for r, bs in enumerate(beats) for b in bs]
    flat_units = [(r, u) for r, us in enumerate(want) for u in us]
    sent = got = 0
    offered = False
    first_done = None
    limit = 40 * (len(flat_beats) + len(flat_units)) + 100
    while got < len(flat_units):
        full_rate = got < len(want[0])
        if not offered:  # a beat, once offered, stays until taken
            offered = sent < len(flat_beats) and (full_rate or rng.random() < 0.7)
        io.set("beats.valid", int(offered))
        io.set("beats.payload", flat_beats[sent][1] if offered else {})
        ready = full_rate or rng.random() < 0.6
        io.set("units.ready", int(ready))
        if offered and await io.get("beats.ready"):
            sent += 1
            offered = False
        if await io.get("units.valid") and ready:
            unit = await io.get("units.payload")
            r, (data, last) = flat_units[got]
            if (unit["data"], unit["last"]) != (data, int(last)):
                raise Mismatch(
                    f"beat_unpacker {p['data_bits']}->{U}: request {r} "
                    f"({len(p['payloads'][r])} bytes), unit {got - _first(flat_units, r)}: "
                    f"expected data {data:#x} last {int(last)}, observed {unit['data']:#x} "
                    f"last {unit['last']} at cycle {io.cycle}")
            got += 1
            if got == len(want[0]):
                first_done = io.cycle + 1
        await io.tick()
        if io.cycle > limit:
            raise Mismatch(f"beat_unpacker {p['data_bits']}->{U}: timeout with {got} of "
                           f"{len(flat_units)} units, {sent} of {len(flat_beats)} beats taken")
    if sent != len(flat_beats):
        raise Mismatch(f"beat_unpacker: {len(flat_beats) - sent} beats left untaken after the "
                       "last unit")
    most = max(len(beats[0]), len(want[0])) + 2
    if first_done > most:
        raise Mismatch(f"beat_unpacker {p['data_bits']}->{U}: {len(beats[0])} beats, "
                       f"{len(want[0])} units at full rate took {first_done} cycles (> {most})")
    if await io.get("units.valid"):
        raise Mismatch("beat_unpacker: a unit after the last request's last one")
    return {"units": got, "beats": sent, "full_rate_cycles": first_done}


def _first(flat, r):
    return next(i for i, (q, _) in enumerate(flat) if q == r)


BENCH = Bench("beat_unpacker", build_beat_unpacker, beat_unpacker)
