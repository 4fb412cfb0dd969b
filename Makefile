# snn-accel -- build/tooling entry points.  `make` or `make help` lists the targets.
# Every target first makes sure the toolchain in .venv is installed (scripts/setup.sh,
# idempotent; a no-op in well under a second once done).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PY    := .venv/bin/python
export PATH := $(CURDIR)/.venv/bin:$(PATH)

NET    ?= digits
P      ?= 8
T      ?=
TEST   ?=
SIM    ?= icarus
SEED   ?=
ARCH   ?=
WAVES  ?=
TARGET ?= generic
PRESET ?=
COMPARE ?= yes
BOARD  ?= icebreaker
SHARD  ?=
PARTS  ?=
N      ?=

SETUP_STAMP := .venv/.setup-stamp
TRAIN_STAMP := .venv/.train-stamp

.PHONY: help setup run run-fixed eval train verilog lint ruff test test-fast sim regress regress-merge formal synth synth-sweep \
        bitstream bench clean distclean

help: ## list the targets (this text)
	@echo "usage: make <target> [NET=$(NET)] [P=$(P)] [T=] [TEST=] [SIM=$(SIM)] [SEED=] [WAVES=] [TARGET=$(TARGET)] [BOARD=$(BOARD)] [SHARD=i/N] [PARTS=images,layers] [PRESET=] [N=]"
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(SETUP_STAMP): pyproject.toml scripts/setup.sh
	scripts/setup.sh

$(TRAIN_STAMP): pyproject.toml scripts/setup.sh $(SETUP_STAMP)
	TRAIN=1 scripts/setup.sh

setup: ## install the toolchain into .venv (apt + pip), idempotent
	scripts/setup.sh

run: $(SETUP_STAMP) ## main job: NET on ONE processor of PRESET (default: the smallest NET fits), N held-out images (20) in its AXI memory model under Verilator, checked vs golden; build/run/NET-PRESET/report.md
	$(PY) -m verif.proc_run --net $(NET) $(if $(PRESET),--preset $(PRESET)) $(if $(N),--images $(N))

run-fixed: $(SETUP_STAMP) ## the fixed-network accelerator of NET at P: generate Verilog, simulate N images (20) under Amaranth, check, report (build/NET-pP/)
	$(PY) -m verif.run --net $(NET) --p $(P) $(if $(N),--images $(N))

eval: $(SETUP_STAMP) ## evaluate NET through the golden model (T=timesteps)
	$(PY) -m golden.evaluate --net $(NET) $(if $(T),--T $(T)) --table

train: $(SETUP_STAMP) $(TRAIN_STAMP) ## train NET [ARCH=spec] into build/nets/ (installs CPU torch)
	$(PY) -m golden.train --net $(NET) $(if $(ARCH),--arch '$(ARCH)')

verilog: $(SETUP_STAMP) ## emit Verilog + memory images + manifest under build/
	$(PY) -m gen --net $(NET) --p $(P) --out build/$(NET)-p$(P)

image: $(SETUP_STAMP) ## NET's network image for processor capacity PRESET (default vgg16): build/NET-PRESET/
	$(PY) -m gen --net $(NET) --image --preset $(or $(PRESET),vgg16)

lint: $(SETUP_STAMP) ## Verilator lint + Icarus compile of the emitted Verilog
	$(PY) -m gen.lint --net $(NET) --p $(P)

test: $(SETUP_STAMP) ## the CI test suite (both simulators), excludes -m slow
	$(PY) -m pytest -n 2 -m "not slow"

test-fast: $(SETUP_STAMP) ## inner loop (about a minute): golden models and components under Amaranth's simulator; no cocotb, synthesis or formal
	$(PY) -m pytest -n 2 -m "not slow and not sim and not synth and not formal" tests/golden tests/rtl tests/test_layering.py

ruff: $(SETUP_STAMP) ## Python lint (ruff, configured in pyproject.toml) and the package layering check
	$(PY) -m ruff check .
	$(PY) scripts/layering.py --check

sim: $(SETUP_STAMP) ## one cocotb test: TEST=name SIM=icarus|verilator WAVES=1 SEED=n
	$(PY) -m verif.sim $(if $(TEST),--test $(TEST)) --sim $(SIM) $(if $(WAVES),--waves) $(if $(SEED),--seed $(SEED))

regress: $(SETUP_STAMP) ## RTL vs golden on every TTFS net's held-out split + random layers (Verilator harness; SHARD=i/N PARTS=; build/regress/)
	$(PY) -m verif.regress $(if $(SHARD),--shard $(SHARD)) $(if $(PARTS),--parts $(PARTS))

regress-merge: $(SETUP_STAMP) ## merge the SHARD=i/N results of make regress into build/regress/summary.md
	$(PY) -m verif.regress --merge build/regress/shard-*-of-*.json

.PHONY: regress-processor regress-processor-merge
regress-processor: $(SETUP_STAMP) ## ONE processor Verilog of PRESET (default vgg16) runs NETS (default digits,mnist,mnist-vgg16,vgg16-shape-random) vs golden under Verilator, AXI memory model (SHARD=i/N; build/proc-regress/)
	$(PY) -m verif.proc_regress --preset $(or $(PRESET),vgg16) $(if $(NETS),--nets $(NETS)) $(if $(SHARD),--shard $(SHARD))

regress-processor-merge: $(SETUP_STAMP) ## merge the SHARD=i/N results of make regress-processor into build/proc-regress/summary.md
	$(PY) -m verif.proc_regress --merge build/proc-regress/shard-*-of-*.json

formal: $(SETUP_STAMP) ## formal checks (SymbiYosys + z3): what each proves, mode, depth, time
	$(PY) -m verif.formal

synth: $(SETUP_STAMP) ## synthesis report TARGET=generic|ice40|ecp5|sky130 [PRESET=ice40-digits|ecp5-mnist|vgg16: the processor, and the fixed-network design of its P unless COMPARE=no]
	$(PY) -m gen.synth --target $(TARGET) $(if $(PRESET),--preset $(PRESET) $(if $(filter no,$(COMPARE)),--no-compare),--net $(NET) --p $(P))

synth-sweep: $(SETUP_STAMP) ## area/Fmax against P [TARGETS=generic,ecp5 without the SKY130 PDK]
	$(PY) -m gen.synth --sweep $(if $(TARGETS),--targets $(TARGETS))

bitstream: $(SETUP_STAMP) ## board build BOARD=icebreaker|ice40-hx8k-evn|ulx3s-85f
	$(PY) -m gen.board --board $(BOARD) --net $(NET)

bench: $(SETUP_STAMP) ## benchmarks report under build/bench
	$(PY) -m bench

clean: ## remove build/ and simulator droppings (keeps .venv)
	rm -rf build sim_build results.xml .pytest_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## remove build/ and .venv
	rm -rf .venv
