"""Formal checks (SymbiYosys with the YoWASP tools and z3): the host streams' rules and the
membrane width. ``checks.CHECKS`` lists them; ``python -m verif.formal`` runs them."""
