"""Fixtures of the synthesis tests: a tiny random network (P = 2 builds it in seconds) and the
settings of ``constraints/targets.json``."""

import numpy as np
import pytest

from gen import synth
from golden.randnet import classifier, conv, pool, random_network


@pytest.fixture(scope="module")
def tiny():
    return random_network(np.random.default_rng(3), (1, 8, 8),
                          [conv(4), pool(), conv(4), pool(), classifier(4)], T=4, name="tiny")


@pytest.fixture(scope="module")
def settings():
    return synth.load_settings()
