"""Where things are: the repository root, ``constraints/targets.json``, the network to build
and the Liberty file of the SKY130 target."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTINGS_NAME = "constraints/targets.json"
SETTINGS_FILE = os.path.join(ROOT, *SETTINGS_NAME.split("/"))
TARGETS = ("generic", "ice40", "ecp5", "sky130")
TOP = "snn_accel"
BOARD_TOP = "snn_board"


def load_settings(path=SETTINGS_FILE):
    with open(path) as f:
        return json.load(f)


def resolve_network(name):
    """``(network, source file)`` of a shipped network name or a file (``golden.network.load``);
    a network that does not load raises ``NetworkError``, there is no stand-in."""
    from golden.nets import resolve
    from golden.network import load
    return load(name), resolve(name)


def liberty_path(settings):
    s = settings["sky130"]
    p = os.environ.get(s["liberty_env"]) or s["liberty_default"]
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(ROOT, p))
