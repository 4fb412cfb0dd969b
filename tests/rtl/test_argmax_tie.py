"""The RTL argmax's tie-break: on equal top scores the lowest class wins (the contract's
``np.argmax``). A network whose classifier rows are copies (``verif.cases.tied_classifier``):
classes 1..N-1 share the top score on every image, class 0 is one unit below, so the
prediction must be 1 (a ``>=`` compare would give N-1). The cocotb ``network`` test loads the
same kind of network into the digits design through the host port."""

import numpy as np
import pytest

from golden import randnet as R
from rtl.config import HardwareConfig
from verif import scoreboard as sb
from verif.amaranth_sim import run_inference
from verif.cases import tied_classifier


@pytest.mark.parametrize("P,classes,ready_prob", [(1, 3, 1.0), (3, 7, 1.0), (4, 5, 0.5)])
def test_lowest_class_wins_a_tie(P, classes, ready_prob):
    rng = np.random.default_rng(P)
    base = R.random_network(rng, (1, 6, 6), [R.conv(3), R.pool(), R.classifier(classes)], T=4)
    net = tied_classifier(base)
    cfg = HardwareConfig(net, cores=P)
    images = R.random_images(rng, net.input_shape, 2)
    for image, obs in zip(images, run_inference(cfg, images, ready_prob=ready_prob,
                                                valid_prob=ready_prob, seed=P)):
        exp = sb.expect(cfg, image)
        top = max(exp.scores)
        assert exp.scores[0] == top - 1 and exp.scores[1:] == [top] * (classes - 1)
        assert exp.prediction == 1
        sb.check(exp, obs, cycles=ready_prob == 1.0)


def test_tied_classifier_needs_three_classes():
    net = R.random_network(np.random.default_rng(0), (1, 4, 4), [R.conv(2), R.classifier(2)],
                           T=2)
    with pytest.raises(ValueError, match="3 or more classes, not 2"):
        tied_classifier(net)
