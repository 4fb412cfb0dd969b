"""Benchmarks of the SNN accelerator generator: ``python -m bench`` (``make bench``).

Measures accuracy against T (float ANN, integer ANN, golden SNN, RTL SNN), the work per inference
(spikes, synaptic operations, memory accesses, cycles), an energy estimate from a cited
per-operation table (``bench.energy``), including VGG-16 on CIFAR-10 next to CAT's 486.7 uJ, and
the speed of the tools; writes ``build/bench/report.md``, ``report.json`` and PNG plots.
"""
