"""Verification: the golden expectations and the scoreboard, and testbenches written once
(``benches``, ``host_driver``) against a small simulator interface (``simio``) that runs them
under Amaranth's simulator (``tests/rtl``, ``amaranth_sim``) and under cocotb with Icarus and
Verilator (``tb_components``, ``tb_accel``, ``test_cocotb``)."""
