"""Bit-exact NumPy golden model of the TTFS / QCFS SNN accelerator.

``contract`` holds the numeric contract; ``network`` the file format; ``dense`` the dense integer
model; ``event`` the event-driven SNN; ``cycles`` the hardware cycle model.
"""
