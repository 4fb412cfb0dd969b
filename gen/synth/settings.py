"""Where things are: the repository root, ``constraints/targets.json``, the network to build
and the Liberty file of the SKY130 target."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTINGS_FILE = os.path.join(ROOT, "constraints", "targets.json")
TARGETS = ("generic", "ice40", "ecp5", "sky130")
TOP = "snn_accel"
BOARD_TOP = "snn_board"


def load_settings(path=SETTINGS_FILE):
    with open(path) as f:
        return json.load(f)


def resolve_network(name):
    """``(network, source)``: ``golden.network.load(name)``; while ``nets/digits.json`` does not
    exist yet, ``digits`` falls back to a seeded random network of the same shape."""
    from golden.nets import resolve
    from golden.network import NetworkError, load
    try:
        return load(name), resolve(name)
    except NetworkError:
        if name != "digits" or os.path.exists(resolve(name)):
            raise
    import numpy as np

    from golden.randnet import classifier, conv, pool, random_network
    net = random_network(np.random.default_rng(0), (1, 8, 8),
                         [conv(8), pool(), conv(16), pool(), classifier(10)], T=8, name="digits")
    return net, "random stand-in (nets/digits.json absent): golden.randnet seed 0"


def liberty_path(settings):
    s = settings["sky130"]
    p = os.environ.get(s["liberty_env"]) or s["liberty_default"]
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(ROOT, p))
