"""Amaranth RTL of the TTFS SNN accelerator.

One ``wiring.Component`` per concept: ``InputEncoder``, ``SpikeBuffer``, ``SpikeRouter``,
``WeightDecoder``, ``FireUnit``, ``NeuronCore``, ``EarliestSpikePool``, ``SpikeEmitter``,
``LayerSequencer`` and the top level ``Accelerator``; ``HostLink`` puts it behind a UART
(``UartRx``, ``UartTx``). ``config.HardwareConfig`` derives every
width, depth and memory image from a network.
"""
