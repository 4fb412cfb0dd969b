"""The processor's core (datapath, sequencers, unpackers) under Amaranth's simulator, running
network images from a memory model with random gaps: every event, score and the prediction
equal to the golden model, the reads equal to ``golden.image.read_requests``, the byte and
event counters exact."""

import numpy as np
import pytest

from golden import event
from golden import image as image_format
from golden import randnet as R
from golden.capacity import PRESETS, plan
from rtl.config import HardwareConfig
from rtl.processor_config import ProcessorConfig
from rtl.processor_core import ProcessorCore
from verif import scoreboard as sb
from verif.cases import digits_images, digits_network
from verif.processor_host import image_memory, run_processor
from verif.simio import run_amaranth

IMAGE_BASE, INPUT_BASE = 0x10000, 0x400


def run_jobs(capacity, jobs, *, seed=0, **options):
    """Inferences one after another on one ProcessorCore of ``capacity``: each job is
    (image bytes, pixels, options of ``run_processor``); the runs."""
    core = ProcessorCore(ProcessorConfig(capacity))
    rng = np.random.default_rng(seed)

    async def body(io):
        runs = []
        for img, pixels, opts in jobs:
            mem = image_memory(img, pixels, image_base=IMAGE_BASE, input_base=INPUT_BASE,
                               beat_bytes=capacity.data_bits // 8)
            runs.append(await run_processor(io, mem, image_base=IMAGE_BASE,
                                            input_base=INPUT_BASE, rng=rng,
                                            **(options | opts)))
        return runs

    return run_amaranth(core, body)


def run_images(net, capacity, images, **options):
    """Each image of ``net`` through one ProcessorCore of ``capacity``; the runs."""
    img = image_format.write_image(net, capacity)
    return run_jobs(capacity, [(img, pixels, {}) for pixels in images], **options)


def check_run(net, capacity, pixels, run):
    """Events, scores, prediction (the scoreboard of the fixed-network accelerator, whose
    event order the processor keeps), reads, bytes and per-layer event counts."""
    assert run.error == 0, f"error code {run.error}"
    sb.check(sb.expect(HardwareConfig(net, cores=capacity.cores), pixels), run.observation,
             cycles=False)
    want = [(INPUT_BASE if r.base == "INPUT_BASE" else IMAGE_BASE) + r.offset
            for r in image_format.read_requests(net, capacity)]
    lengths = [r.length for r in image_format.read_requests(net, capacity)]
    assert run.requests == list(zip(want, lengths))
    assert run.bytes == image_format.bytes_read(net, capacity)
    tr = event.run(net, pixels)
    assert run.layers == len(net.layers)
    assert run.events == [len(tr.input_events)] + [len(l.events) for l in tr.layers]


@pytest.mark.parametrize("preset", ["ice40-digits", "ecp5-mnist"])
def test_digits(preset):
    net = digits_network()
    images, _ = digits_images(2, offset=3)
    capacity = PRESETS[preset]
    for pixels, run in zip(images, run_images(net, capacity, images, gap=0.3, seed=1)):
        check_run(net, capacity, pixels, run)


def passes_capacity(net, **changes):
    """A small P = 4 capacity that cuts the layers of ``net`` into several passes."""
    from golden.capacity import with_changes
    membrane_bits = max(net.membrane_bits, PRESETS["ice40-digits"].membrane_bits)
    return with_changes(PRESETS["ice40-digits"], name="passes", membrane_bits=membrane_bits,
                        threshold_bits=min(32, membrane_bits - 1),
                        bias_bits=min(32, membrane_bits), max_channels=64, **changes)


def test_random_network_in_passes():
    """A random deep network whose every layer runs in several passes (membranes, weights and
    parameter entries each limit one), two images, random memory gaps and back-pressure."""
    rng = np.random.default_rng(7)
    net = R.random_network(rng, (2, 8, 8), [R.conv(12), R.pool(), R.conv(10, 3, 2, 1),
                                            R.dense_layer(20), R.classifier(10)], T=8, F=21)
    capacity = passes_capacity(net, membrane_words=64, weight_words=256, param_words=2,
                               spike_events=256)
    layers = plan(net, capacity)
    assert all(l.passes > 1 for l in layers)
    assert {l.limit for l in layers} >= {"membrane_words", "weight_words", "param_words"}
    images = R.random_images(rng, net.input_shape, 2)
    for pixels, run in zip(images, run_images(net, capacity, images, gap=0.4, ready_prob=0.6,
                                              seed=2)):
        check_run(net, capacity, pixels, run)


def _patched(img, offset, value, size):
    """``img`` with the little-endian field of ``size`` bytes at ``offset`` set to ``value``."""
    out = bytearray(img)
    out[offset:offset + size] = int(value).to_bytes(size, "little")
    return bytes(out)


def _field(table, name):
    return image_format.field_offsets(table)[name]


def test_errors_end_the_inference_and_the_next_one_runs():
    """Each error code, from a header, a descriptor, a parameter, a read and a second start;
    after each, a good image runs exactly (an error ends the inference at a request boundary,
    leaving no data in flight and the datapath empty)."""
    from rtl.processor_layouts import ProcessorError as E
    net = digits_network()
    capacity = PRESETS["ice40-digits"]
    good = image_format.write_image(net, capacity)
    pixels = digits_images(1, offset=5)[0][0]
    reqs = image_format.read_requests(net, capacity)
    D = image_format.HEADER_BYTES  # descriptor 1 follows descriptor 0
    gpp = _field(image_format.DESCRIPTOR_FIELDS, "groups_per_pass")
    params = next(r for r in reqs if r.what == "params" and r.layer == 1)
    weights = next(i for i, r in enumerate(reqs) if r.what == "weights" and r.layer == 2)

    def descriptor(layer, **fields):
        """``good`` with fields of descriptor ``layer`` changed; the requests up to it."""
        img = good
        for name, value in fields.items():
            offset, size = _field(image_format.DESCRIPTOR_FIELDS, name)
            img = _patched(img, (1 + layer) * D + offset, value, size)
        return img, {}, E.MISFIT, next(i for i, r in enumerate(reqs)
                                       if r.what == "descriptor" and r.layer == layer) + 1

    # digits on ice40-digits: layer 0 conv 1 -> 8 channels on 8x8 (2 groups of 64 positions,
    # fan-in 9), layer 1 conv 8 -> 16 on 4x4 (4 groups in one pass, fan-in 72), classifier
    cases = [
        (_patched(good, 0, 0x12345678, 4), {}, E.FORMAT, 1),                # magic
        (_patched(good, _field(image_format.HEADER_FIELDS, "version")[0], 2, 2), {},
         E.FORMAT, 1),
        (image_format.write_image(net, PRESETS["ecp5-mnist"]), {}, E.MISFIT, 1),  # P = 8
        # 3 x 8 x 8 input neurons > spike_events 128 (a product)
        (_patched(good, _field(image_format.HEADER_FIELDS, "in_c")[0], 3, 2), {}, E.MISFIT, 1),
        descriptor(1, groups_per_pass=999),
        descriptor(1, passes=2),                    # passes != ceil(groups / gpp)
        descriptor(1, groups=5, passes=2),          # groups != ceil(out_c / P)
        descriptor(0, groups_per_pass=3),           # 3 x 64 membranes > 128 (a product)
        descriptor(1, fan_in=200),                  # 4 x 200 weight rows > 512 (a product)
        (_patched(good, params.offset + 4, 0, 4), {}, E.MISFIT,             # Theta = 0
         next(i for i, r in enumerate(reqs) if r.what == "weights" and r.layer == 1) + 1),
        (good, {"fail_request": weights}, E.AXI, weights + 1),
        (good, {"restart_at": 50}, E.BUSY, len(reqs)),
    ]
    jobs = []
    for img, opts, _, _ in cases:
        jobs += [(img, pixels, opts), (good, pixels, {})]
    runs = run_jobs(capacity, jobs, gap=0.2, seed=3, max_cycles=200_000)
    for i, (_, _, code, n_requests) in enumerate(cases):
        bad, after = runs[2 * i], runs[2 * i + 1]
        assert (E(bad.error), len(bad.requests)) == (code, n_requests), f"case {i}"
        if code == E.BUSY:  # the inference went on
            check_run(net, capacity, pixels, _ignoring_error(bad))
        check_run(net, capacity, pixels, after)


def _ignoring_error(run):
    run.error = 0
    return run


def _pass_phases(phases):
    """(integrate, fire) cycles of every pass, from the datapath's phase changes."""
    from rtl.layouts import Phase
    out = []
    for (c0, p0, _), (c1, _, _), (c2, _, _) in zip(phases, phases[1:], phases[2:]):
        if p0 == Phase.INTEGRATE:
            out.append((c1 - c0, c2 - c1))
    return out


def _check_cycles(net, capacity, pixels, latency, seed):
    """The second of two inferences (the first overlaps the CLEAR after reset) under the
    fixed-latency memory, against ``golden.processor_cycles``: the cycle of every request,
    every pass's integrate and fire phases, ``done`` and the CYCLES counter."""
    from golden.processor_cycles import inference_cycles
    run = run_images(net, capacity, [pixels, pixels], latency=latency, seed=seed)[1]
    check_run(net, capacity, pixels, run)
    model = inference_cycles(net, capacity, event.run(net, pixels), latency=latency)
    assert run.request_cycles == model.requests
    assert _pass_phases(run.observation.phases) == [(i, f) for _, _, i, f in model.passes]
    assert (run.done_cycle, run.cycles) == (model.done, model.done)


@pytest.mark.parametrize("preset,latency", [("ice40-digits", 1), ("ecp5-mnist", 6)])
def test_digits_cycles(preset, latency):
    _check_cycles(digits_network(), PRESETS[preset], digits_images(1, offset=7)[0][0], latency,
                  seed=latency)


@pytest.mark.parametrize("data_bits,cores", [(32, 4), (128, 4), (64, 16)])
def test_cycles_in_passes(data_bits, cores):
    """Several passes per layer; parameter entries of one, two or half a beat; weight rows
    narrower and (16 cores: 80 bits over 64) wider than a beat."""
    rng = np.random.default_rng(data_bits + cores)
    net = R.random_network(rng, (1, 6, 6), [R.conv(2 * cores + 1), R.pool(), R.dense_layer(9),
                                            R.classifier(5)], T=8, F=21)
    capacity = passes_capacity(net, cores=cores, membrane_words=64, weight_words=512,
                               param_words=1, spike_events=512, data_bits=data_bits)
    assert [l.passes for l in plan(net, capacity)][:2] == [3, -(-9 // cores)]
    _check_cycles(net, capacity, R.random_images(rng, net.input_shape, 1)[0], 3, seed=cores)
