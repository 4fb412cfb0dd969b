// AXI4 read memory model for direct Verilator testbenches (no cocotb, no VPI).
//
// Serves the read channels of a Verilated top level whose master ports are named as
// rtl/axi.py's AxiReadSignature emits them under a member `m_axi`: m_axi_arid, m_axi_araddr,
// m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_arvalid, m_axi_arready, m_axi_rid,
// m_axi_rdata, m_axi_rresp, m_axi_rlast, m_axi_rvalid, m_axi_rready.
//
// Timing (the fixed-latency memory of docs/PROCESSOR.md section 6, the one the cycle model is
// exact for, when `stall_prob` is 0):
//   - arready is 1 in every cycle: an AR is taken in the cycle its arvalid is 1;
//   - the first beat of a burst taken in cycle c is valid in cycle c + latency (latency >= 1),
//     or in the cycle after the previous burst's last beat is taken, whichever is later;
//   - a burst's beats follow one per cycle while rready is 1 (rvalid holds a beat until taken).
// With `stall_prob` > 0 (seeded xorshift), arready drops and a beat is held back for a cycle,
// each with that probability, so results must not depend on timing.
//
// Bursts are INCR with arsize equal to the bus width (what AxiBurstReader issues; anything else
// is a protocol error: `error()` says which, and the model answers SLVERR). Reads beyond the
// memory, or inside a window set with `poison()`, answer SLVERR with zero data.
//
// Use, once per clock cycle, around the DUT's rising edge:
//     mem.drive(dut);        // before eval: arready, rvalid, rdata, rresp, rlast, rid
//     dut.eval();            // settle the DUT's combinational outputs (arvalid, rready)
//     mem.sample(dut);       // record this cycle's AR and R handshakes
//     dut.clk = 1; dut.eval(); dut.clk = 0; dut.eval();
// `reset()` drops every accepted burst (call it while the DUT is held in reset).
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "verilated.h"

namespace axi_mem {

// ---- a port of any Verilator width from/to little-endian bytes ------------------------------
template <class T> inline void set_bytes(T& port, const uint8_t* bytes, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n && i < 8; ++i) v |= uint64_t(bytes[i]) << (8 * i);
    port = T(v);
}
template <std::size_t N> inline void set_bytes(VlWide<N>& port, const uint8_t* bytes, unsigned n) {
    for (std::size_t w = 0; w < N; ++w) {
        uint32_t v = 0;
        for (unsigned b = 0; b < 4; ++b) {
            unsigned i = unsigned(w) * 4 + b;
            if (i < n) v |= uint32_t(bytes[i]) << (8 * b);
        }
        port[w] = v;
    }
}

constexpr unsigned RESP_OKAY = 0, RESP_SLVERR = 2;
constexpr unsigned BURST_INCR = 1;

struct Counters {
    uint64_t bursts = 0;      // ARs taken
    uint64_t beats = 0;       // R beats taken
    uint64_t errors = 0;      // beats answered SLVERR
    unsigned most_outstanding = 0;
};

template <class Dut> class AxiReadMemory {
  public:
    // `memory`: the bytes at addresses base .. base + memory.size() - 1; `beat_bytes`: the bus
    // width in bytes; `latency`: cycles from the AR handshake to the first beat (>= 1).
    AxiReadMemory(std::vector<uint8_t> memory, uint64_t base, unsigned beat_bytes,
                  unsigned latency, double stall_prob = 0.0, uint64_t seed = 1)
        : mem_(std::move(memory)), base_(base), beat_bytes_(beat_bytes),
          latency_(latency < 1 ? 1 : latency), stall_prob_(stall_prob),
          rng_(seed ? seed : 0x9E3779B97F4A7C15ull), beat_(beat_bytes, 0),
          zero_(beat_bytes, 0) {}

    void poison(uint64_t addr, uint64_t bytes) { poison_lo_ = addr; poison_hi_ = addr + bytes; }
    void reset() { bursts_.clear(); presenting_ = false; }

    const Counters& counters() const { return counters_; }
    const std::string& error() const { return error_; }
    uint64_t cycle() const { return cycle_; }
    unsigned outstanding() const { return unsigned(bursts_.size()); }

    void drive(Dut& dut) {
        arready_ = !stall();
        dut.m_axi_arready = arready_;
        if (!presenting_ && !bursts_.empty() && bursts_.front().first_cycle <= cycle_
            && !stall())
            presenting_ = true;
        dut.m_axi_rvalid = presenting_;
        if (presenting_) {
            Burst& b = bursts_.front();
            bool bad = read_beat(b.addr);
            set_bytes(dut.m_axi_rdata, beat_.data(), beat_bytes_);
            dut.m_axi_rresp = (bad || b.bad) ? RESP_SLVERR : RESP_OKAY;
            dut.m_axi_rlast = b.beats_left == 1;
            dut.m_axi_rid = b.id;
        } else {
            set_bytes(dut.m_axi_rdata, zero_.data(), beat_bytes_);
            dut.m_axi_rresp = RESP_OKAY;
            dut.m_axi_rlast = 0;
            dut.m_axi_rid = 0;
        }
    }

    void sample(Dut& dut) {
        if (presenting_ && dut.m_axi_rready) {
            Burst& b = bursts_.front();
            counters_.beats++;
            if (dut.m_axi_rresp == RESP_SLVERR) counters_.errors++;
            b.addr += beat_bytes_;
            presenting_ = false;
            if (--b.beats_left == 0) bursts_.pop_front();
        }
        if (arready_ && dut.m_axi_arvalid) {
            Burst b;
            b.addr = uint64_t(dut.m_axi_araddr);
            b.beats_left = unsigned(dut.m_axi_arlen) + 1;
            b.id = unsigned(dut.m_axi_arid);
            b.first_cycle = cycle_ + latency_;  // (and after the bursts before it: in order)
            unsigned size = unsigned(dut.m_axi_arsize), burst = unsigned(dut.m_axi_arburst);
            if ((1u << size) != beat_bytes_ || burst != BURST_INCR) {
                b.bad = true;
                note("AR with arsize " + std::to_string(size) + " / arburst " +
                     std::to_string(burst) + " (want full-width INCR)");
            }
            uint64_t end = (b.addr % 4096) + uint64_t(b.beats_left) * beat_bytes_;
            if (end > 4096) note("burst at " + std::to_string(b.addr) + " crosses 4 KB");
            if (b.addr % beat_bytes_) note("unaligned burst at " + std::to_string(b.addr));
            bursts_.push_back(b);
            counters_.bursts++;
            if (bursts_.size() > counters_.most_outstanding)
                counters_.most_outstanding = unsigned(bursts_.size());
        }
        cycle_++;
    }

  private:
    struct Burst {
        uint64_t addr = 0;
        unsigned beats_left = 0;
        unsigned id = 0;
        uint64_t first_cycle = 0;
        bool bad = false;
    };

    bool stall() {
        if (stall_prob_ <= 0.0) return false;
        rng_ ^= rng_ >> 12; rng_ ^= rng_ << 25; rng_ ^= rng_ >> 27;
        double u = double((rng_ * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
        return u < stall_prob_;
    }

    // fills beat_ with the beat at `addr`; true if it answers SLVERR (zero data)
    bool read_beat(uint64_t addr) {
        std::memset(beat_.data(), 0, beat_.size());
        if (addr >= poison_lo_ && addr < poison_hi_) return true;
        if (addr < base_ || addr - base_ + beat_bytes_ > mem_.size()) return true;
        std::memcpy(beat_.data(), mem_.data() + (addr - base_), beat_bytes_);
        return false;
    }

    void note(const std::string& what) { if (error_.empty()) error_ = what; }

    std::vector<uint8_t> mem_;
    uint64_t base_;
    unsigned beat_bytes_;
    unsigned latency_;
    double stall_prob_;
    uint64_t rng_;
    std::vector<uint8_t> beat_, zero_;
    std::deque<Burst> bursts_;
    bool presenting_ = false;
    bool arready_ = false;
    uint64_t cycle_ = 0;
    uint64_t poison_lo_ = 1, poison_hi_ = 0;
    Counters counters_;
    std::string error_;
};

}  // namespace axi_mem
