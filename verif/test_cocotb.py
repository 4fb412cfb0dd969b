"""pytest wrappers of the cocotb testbenches (``verif/tb_*.py``) under Icarus and Verilator.

Every component test runs under Icarus, the datapath ones (``cases.VERILATOR_COMPONENT_TESTS``)
under Verilator too (the others there with ``-m slow``); every layer test under both;
``network`` runs 20 real held-out digits images under Verilator and 5 under Icarus. ``SEED=n``
in the environment reruns with another seed (a new random design: one more compile). Build
directories are reused between runs (``build/verif/<design>/<sim>``).
"""

import pytest

from verif import cases, runner

pytestmark = pytest.mark.sim

SIMS = list(runner.SIMULATORS)


def _run(test, sim, **opts):
    why = runner.sim_available(sim)
    if why:
        pytest.skip(why)
    res = cases.run(test, sim, **opts)
    print(res.line())
    assert res.passed, res.line()
    return res


COMPONENT_RUNS = [(t, s) for t in cases.COMPONENT_TESTS for s in SIMS
                  if s != "verilator" or t in cases.VERILATOR_COMPONENT_TESTS]


@pytest.mark.parametrize("test,sim", COMPONENT_RUNS)
def test_component(test, sim):
    _run(test, sim)


@pytest.mark.slow
@pytest.mark.parametrize("test", [t for t in cases.COMPONENT_TESTS
                                  if t not in cases.VERILATOR_COMPONENT_TESTS])
def test_component_verilator(test):
    _run(test, "verilator")


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("test", cases.LAYER_TESTS)
def test_layer(test, sim):
    res = _run(test, sim)
    runs = {r["name"]: r for r in res.stats["runs"]}
    assert runs["full-throughput"]["passed"] >= 1 and runs["back-pressure"]["passed"] >= 1


@pytest.mark.parametrize("sim,images,bp_images", [("verilator", 20, 4), ("icarus", 5, 0)])
def test_network(sim, images, bp_images):
    """Real held-out digits images at full throughput (cycles checked), then (Verilator) a few
    with random back-pressure on every host stream, then 2 images on the digits network with
    tied classifier rows (``cases.tied_classifier``) loaded through the host port: the RTL
    argmax must give the tie to the lowest class."""
    res = _run("network", sim, images=images, bp_images=bp_images, tie_images=2)
    assert res.stats["passed_images"] == images + bp_images + 2
    runs = {r["name"]: r for r in res.stats["runs"]}
    assert runs["tie-break"]["passed"] == 2


@pytest.mark.slow
@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("test", cases.LAYER_TESTS)
@pytest.mark.parametrize("seed", [101, 202, 303])
def test_layer_more_seeds(test, sim, seed):
    _run(test, sim, seed=seed, images=3, bp_images=3)


@pytest.mark.parametrize("sim", SIMS)
def test_processor(sim):
    """The processor (preset ice40-digits) with cocotbext-axi's AxiRamRead (random pauses and
    latency) and AxiLiteMaster: 3 held-out digits images from the image in memory, equal to
    the golden model (trace, scores, prediction, BYTES, EVENTS)."""
    res = _run("processor", sim, images=3)
    assert res.stats["images"] == 3
