"""Verification: the golden expectations, the scoreboard, and the testbenches that drive the RTL
under Amaranth's simulator (``amaranth_sim``) and under cocotb with Icarus and Verilator."""
