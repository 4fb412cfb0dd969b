"""Generator: Verilog, memory images and a manifest for a network and a hardware configuration.

``python -m gen --net digits --p 8 --out build/digits-p8`` (``make verilog``).
"""
