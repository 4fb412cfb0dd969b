"""``python -m gen.synth`` (the command line lives in ``gen.synth.cli``)."""

import sys

from .cli import main

sys.exit(main())
