"""Stream payload layouts shared by the components."""

from amaranth.lib import data

from golden import contract

__all__ = ["event_layout"]


def event_layout(config):
    """A spike event: channel c, row y, column x of its map, spike time k (dense: (o, 0, 0))."""
    return data.StructLayout({"c": config.c_bits, "y": config.y_bits, "x": config.x_bits,
                              "k": contract.time_bits(config.T)})
