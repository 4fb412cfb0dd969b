// Direct Verilator testbench of rtl/axi.py's AxiBurstReader (top module `axi_burst_reader`)
// against the memory model of axi_mem.h: the model the processor's fast harness uses, checked
// here on the reader alone. Built and run by tests/rtl/test_axi_mem_model.py.
//
// Usage: axi_tb MEMORY REQUESTS beat_bytes addr_bits latency stall_prob ready_prob seed
//               poison_addr poison_bytes
//   MEMORY: the bytes at address `base` = 1 << (addr_bits - 2) onwards;
//   REQUESTS: little-endian uint64 pairs (address, length in bytes), offered back to back.
// Every data beat is checked against the memory (data, `bytes`, `last`; zero data in the
// poisoned window). Output lines:
//   REQ i cycle          the cycle (from the first after reset) of request i's last beat
//   END cycles beats bursts slverr most_outstanding error
//   FAIL message         (exit status 1) at the first difference or protocol error
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "Vdut.h"
#include "axi_mem.h"
#include "verilated.h"

// Verilator encodes the "__" of the port names (stream__member) as "___05F".
#define PORT(stream, member) stream##___05F##member

namespace {

template <class T> void get_words(const T& v, std::vector<uint64_t>& out) {
    out.assign(1, uint64_t(v));
}
template <std::size_t N> void get_words(const VlWide<N>& v, std::vector<uint64_t>& out) {
    out.assign((N + 1) / 2, 0);
    for (std::size_t i = 0; i < N; ++i) out[i / 2] |= uint64_t(v[i]) << (32 * (i % 2));
}
template <class T> void set_words(T& v, const std::vector<uint64_t>& in) { v = T(in[0]); }
template <std::size_t N> void set_words(VlWide<N>& v, const std::vector<uint64_t>& in) {
    for (std::size_t i = 0; i < N; ++i)
        v[i] = i / 2 < in.size() ? uint32_t(in[i / 2] >> (32 * (i % 2))) : 0;
}

uint64_t bits(const std::vector<uint64_t>& w, unsigned lo, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) {
        unsigned b = lo + i;
        if (b / 64 < w.size() && (w[b / 64] >> (b % 64) & 1)) v |= uint64_t(1) << i;
    }
    return v;
}
void put_bits(std::vector<uint64_t>& w, unsigned lo, unsigned n, uint64_t v) {
    for (unsigned i = 0; i < n; ++i) {
        unsigned b = lo + i;
        if (b / 64 >= w.size()) w.resize(b / 64 + 1, 0);
        if (v >> i & 1) w[b / 64] |= uint64_t(1) << (b % 64);
    }
}

std::vector<uint8_t> slurp(const char* path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) { std::fprintf(stdout, "FAIL cannot read %s\n", path); std::exit(2); }
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

[[noreturn]] void fail(const std::string& what) {
    std::printf("FAIL %s\n", what.c_str());
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 11) {
        std::fprintf(stderr, "usage: axi_tb MEMORY REQUESTS beat_bytes addr_bits latency "
                             "stall_prob ready_prob seed poison_addr poison_bytes\n");
        return 2;
    }
    std::vector<uint8_t> memory = slurp(argv[1]);
    std::vector<uint8_t> raw = slurp(argv[2]);
    const unsigned beat_bytes = unsigned(std::atoi(argv[3]));
    const unsigned addr_bits = unsigned(std::atoi(argv[4]));
    const unsigned latency = unsigned(std::atoi(argv[5]));
    const double stall_prob = std::atof(argv[6]), ready_prob = std::atof(argv[7]);
    const uint64_t seed = std::strtoull(argv[8], nullptr, 0);
    const uint64_t base = uint64_t(1) << (addr_bits - 2);
    std::vector<std::pair<uint64_t, uint64_t>> reqs;
    for (std::size_t i = 0; i + 16 <= raw.size(); i += 16) {
        uint64_t a = 0, n = 0;
        for (int b = 0; b < 8; ++b) {
            a |= uint64_t(raw[i + b]) << (8 * b);
            n |= uint64_t(raw[i + 8 + b]) << (8 * b);
        }
        reqs.emplace_back(a, n);
    }

    auto ctx = std::make_unique<VerilatedContext>();
    auto dut = std::make_unique<Vdut>(ctx.get());
    axi_mem::AxiReadMemory<Vdut> mem(memory, base, beat_bytes, latency, stall_prob, seed);
    const uint64_t poison_at = std::strtoull(argv[9], nullptr, 0);
    const uint64_t poison_end = poison_at + std::strtoull(argv[10], nullptr, 0);
    mem.poison(poison_at, poison_end - poison_at);
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    auto chance = [&](double p) {
        if (p >= 1.0) return true;
        rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
        return double((rng * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0) < p;
    };
    auto edge = [&] { dut->clk = 1; dut->eval(); dut->clk = 0; dut->eval(); };

    dut->rst = 1;
    dut->clk = 0;
    dut->eval();
    for (int i = 0; i < 2; ++i) edge();
    dut->rst = 0;
    mem.reset();

    const unsigned data_bits = 8 * beat_bytes;
    unsigned count_bits = 0;
    while ((1u << count_bits) <= beat_bytes) ++count_bits;  // bit length of beat_bytes
    std::vector<uint64_t> words, payload;
    std::size_t next = 0, cur = 0;
    uint64_t cur_beat = 0, cycle = 0, beats = 0;
    bool any_bad = false;
    const uint64_t limit = 1000000;
    while (cur < reqs.size()) {
        mem.drive(*dut);
        bool offer = next < reqs.size();
        dut->PORT(requests, valid) = offer;
        payload.assign(1, 0);
        if (offer) {
            put_bits(payload, 0, addr_bits, reqs[next].first);
            put_bits(payload, addr_bits, 32, reqs[next].second);
        }
        set_words(dut->PORT(requests, payload), payload);
        bool ready = chance(ready_prob);
        dut->PORT(data, ready) = ready;
        dut->clear = 0;
        dut->eval();
        mem.sample(*dut);
        if (offer && dut->PORT(requests, ready)) ++next;
        if (dut->PORT(data, valid) && ready) {
            get_words(dut->PORT(data, payload), words);
            uint64_t addr = reqs[cur].first, length = reqs[cur].second;
            uint64_t n_beats = length ? (length + beat_bytes - 1) / beat_bytes : 1;
            uint64_t at = addr - addr % beat_bytes + cur_beat * beat_bytes;
            bool final = cur_beat + 1 == n_beats;
            uint64_t want_bytes = final && length ? length - cur_beat * beat_bytes : beat_bytes;
            bool bad = at < base || at - base + beat_bytes > memory.size() ||
                       (at >= poison_at && at < poison_end);
            any_bad |= bad;
            for (unsigned b = 0; b < beat_bytes; ++b) {
                unsigned want = bad ? 0 : memory[at - base + b];
                if (bits(words, 8 * b, 8) != want)
                    fail("request " + std::to_string(cur) + " beat " + std::to_string(cur_beat) +
                         " byte " + std::to_string(b) + ": expected " + std::to_string(want) +
                         ", observed " + std::to_string(bits(words, 8 * b, 8)) + " at cycle " +
                         std::to_string(cycle));
            }
            uint64_t got_bytes = bits(words, data_bits, count_bits);
            uint64_t got_last = bits(words, data_bits + count_bits, 1);
            if (got_bytes != want_bytes || got_last != uint64_t(final))
                fail("request " + std::to_string(cur) + " beat " + std::to_string(cur_beat) +
                     ": expected bytes " + std::to_string(want_bytes) + " last " +
                     std::to_string(final) + ", observed " + std::to_string(got_bytes) + " " +
                     std::to_string(got_last));
            ++beats;
            if (final) {
                std::printf("REQ %zu %llu\n", cur, (unsigned long long)cycle);
                ++cur;
                cur_beat = 0;
            } else {
                ++cur_beat;
            }
        }
        if (!mem.error().empty()) fail(mem.error());
        edge();
        if (++cycle > limit) fail("timeout after " + std::to_string(cycle) + " cycles");
    }
    dut->eval();
    if (!dut->idle) fail("not idle after the last beat");
    if (bool(dut->error) != any_bad) fail("error output " + std::to_string(dut->error));
    if (dut->beats != (beats & 0xFFFFFFFFu)) fail("beats counter " + std::to_string(dut->beats));
    const axi_mem::Counters& c = mem.counters();
    std::printf("END %llu %llu %llu %llu %u %d\n", (unsigned long long)cycle,
                (unsigned long long)c.beats, (unsigned long long)c.bursts,
                (unsigned long long)c.errors, c.most_outstanding, int(dut->error));
    dut->final();
    return 0;
}
