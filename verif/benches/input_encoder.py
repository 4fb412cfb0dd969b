"""The bench of ``rtl.input_encoder`` (see ``verif.benches``)."""



import numpy as np

from golden import contract

from ..scoreboard import Mismatch
from .common import Bench, _rng, event_config


def build_input_encoder(seed, *, T=8, rule="round", shape=(4, 8, 8), coding="ttfs"):
    """256 pixels (the default shape) take every value once, in a random order."""
    from rtl.input_encoder import InputEncoder
    from rtl.layouts import event_layout
    rng = _rng(seed, 6)
    C, H, W = shape
    n = C * H * W
    pixels = (rng.permutation(256) if n == 256 else rng.integers(0, 256, size=n))
    cfg = event_config(c_bits=max(1, (C - 1).bit_length()), y_bits=max(1, (H - 1).bit_length()),
                       x_bits=max(1, (W - 1).bit_length()), T=T, coding=coding)
    comp = InputEncoder(event_layout(cfg), shape=shape, steps=T, rule=rule, coding=coding)
    return comp, {"seed": seed, "T": T, "rule": rule, "shape": tuple(shape), "coding": coding,
                  "pixels": [int(v) for v in pixels]}


async def input_encoder(io, p):
    rng = _rng(p["seed"], 60)
    T, shape, pixels = p["T"], p["shape"], p["pixels"]
    coding = p.get("coding", "ttfs")
    k = contract.encode_input(np.array(pixels).reshape(shape), T, coding, p["rule"]).ravel()
    if coding == "ttfs":
        want = [(*np.unravel_index(i, shape), int(k[i])) for i in range(len(pixels))
                if k[i] < T]
    else:  # n events t = 0..n-1 per pixel, each marked last on its t = n - 1
        want = [(*np.unravel_index(i, shape), t, int(t == k[i] - 1))
                for i in range(len(pixels)) for t in range(int(k[i]))]
    want = [tuple(int(v) for v in w) for w in want]
    io.set("pixels.valid", 0)
    io.set("events.ready", 0)
    io.set("start", 1)
    await io.tick()
    io.set("start", 0)
    got = []
    pos = 0
    while True:
        pv = pos < len(pixels) and rng.random() >= 0.3
        io.set("pixels.valid", int(pv or pos >= len(pixels)))  # offer more than the image
        io.set("pixels.payload", pixels[pos] if pos < len(pixels) else 0)
        rdy = rng.random() < 0.6
        io.set("events.ready", int(rdy))
        taken = await io.get("pixels.ready")
        if pos >= len(pixels) and taken:
            raise Mismatch(f"input_encoder: took a pixel beyond the image's {len(pixels)}")
        if pv and taken:
            pos += 1
        valid = await io.get("events.valid")
        last = await io.get("last")
        if valid and rdy:
            e = await io.get("events.payload")
            got.append((e["c"], e["y"], e["x"], e["k"]) + ((last,) if coding == "rate" else ()))
        elif coding == "ttfs" and not last:
            raise Mismatch("input_encoder: last is 0 in TTFS coding")
        done = await io.get("done")
        await io.tick()
        if pos >= len(pixels) and done and not (valid and not (rdy and last)):
            break
        if io.cycle > 20 * len(pixels) + 100:
            raise Mismatch(f"input_encoder: timeout after {pos} pixels, {len(got)} events")
    if got != want:
        i = next((j for j, (a, b) in enumerate(zip(want, got)) if a != b),
                 min(len(want), len(got)))
        raise Mismatch(f"input_encoder T={T} {coding} {p['rule']}: event {i}: expected "
                       f"{want[i] if i < len(want) else None}, observed "
                       f"{got[i] if i < len(got) else None} ({len(got)} of {len(want)} events)")
    if await io.get("events.valid"):
        raise Mismatch("input_encoder: an event after the image's last one")
    return {"pixels": len(pixels), "events": len(got)}


BENCH = Bench("input_encoder", build_input_encoder, input_encoder)
