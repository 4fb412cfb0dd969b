// Direct Verilator testbench of the generated processor (rtl/processor.py; no cocotb, no VPI).
//
// Built by verif/proc_harness.py with `verilator --cc --exe --build --prefix Vdut`; the top's
// ports are the ones `gen.processor.write_processor` lists in manifest.json: the AXI4 read
// master m_axi_* (served by axi_mem.h's AxiReadMemory), the AXI4-Lite slave s_axil_* (driven
// by the register master below), irq, the scores stream and (TRACE_PORT defined) the trace
// stream; clk, rst. BEAT_BYTES (defined by the build) is the AXI data width in bytes.
//
// Usage: proc_tb JOB [--results-fd N] [--waves FILE]
//
// JOB is a binary command file written by verif/proc_harness.py (every field a little-endian
// uint64 unless said otherwise; probabilities are IEEE doubles):
//   "SNNPJOB1"
//   RESET   (op 1): cycles, settle   rst high for `cycles` rising edges, then `settle` idle
//                                    ones (the CLEAR phase after a reset), then the registers
//                                    ID, CAPACITY0, CAPACITY1 are read
//   MEMORY  (op 2): base, n, then n bytes (zero-padded to a multiple of 8): the memory's
//                   contents from address `base` on (network images and input pixels); reads
//                   outside it answer SLVERR
//   RUN     (op 3): n, latency, stall_prob(double), ready_prob(double), seed, max_cycles, then
//                   n * [image_base, input_base, layers]: n inferences on a memory model of
//                   that latency and stall probability (a new one per RUN, seeded), the
//                   scores and trace streams' ready drawn high with ready_prob. With
//                   stall_prob > 0 the register master also waits a random number of cycles
//                   before each access and drops bready / rready at random.
//   END     (op 0)
//
// An inference, as a driver would run it: write IMAGE_BASE, IMAGE_BASE_HI, INPUT_BASE,
// INPUT_BASE_HI, then CONTROL = start | irq_enable; clock until `irq` (collecting scores and
// trace); read STATUS, ERROR, PREDICTION, CYCLES (low, high), BYTES (low, high), EVENTS[0 ..
// layers]; write 1 to STATUS.done; read STATUS again (done must be clear) and sample irq.
//
// Results go to file descriptor N (default stdout; Verilator's own messages go to stdout, so the
// Python side passes a pipe of its own) as records of uint64 words, one per command, in order:
//   RESET   [1, start_cycle, end_cycle, id, capacity0, capacity1]
//   MEMORY  [2, base, n]
//   INFER   [3, index, status, start_cycle, irq_cycle, end_cycle, sim_ns, cpu_ns,
//            status_reg, error, prediction, cycles, bytes, status_after, irq_after,
//            lite_errors, mem_beats, mem_bursts, mem_most_outstanding, n_events, n_scores,
//            n_trace] then n_events counts, n_scores * [cycle, score payload words],
//            n_trace * [cycle, trace payload words] (a payload takes ceil(width / 64) words).
//            status 0 = irq seen, 1 = no irq within max_cycles (the job stops there),
//            2 = the memory model saw an AXI protocol error (message on stderr; the job stops).
//            lite_errors: register accesses answered with a response other than OKAY.
//            mem_*: the memory model's counters during this inference.
//   END     [0, cycles, sim_ns, cpu_ns]
// sim_ns is the wall time spent clocking the model (output writes excluded), cpu_ns the CPU time
// of this process in the same intervals.
//
// Per cycle: the memory model drives its inputs, the register master and the stream readies
// theirs, eval, every handshake is sampled, rising edge.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "Vdut.h"
#include "axi_mem.h"
#define TB_NAME "proc_tb"
#include "tb_job.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif
#ifndef BEAT_BYTES
#error "BEAT_BYTES (the AXI data width in bytes) must be defined by the build"
#endif

// Verilator encodes the "__" of the port names (stream__member) as "___05F".
#define PORT(stream, member) stream##___05F##member

namespace {

// register offsets (docs/PROCESSOR.md section 5; rtl/axi_lite.py REGISTERS)
constexpr uint32_t REG_ID = 0x00, REG_CAPACITY0 = 0x04, REG_CAPACITY1 = 0x08,
                   REG_CONTROL = 0x10, REG_STATUS = 0x14, REG_ERROR = 0x18,
                   REG_PREDICTION = 0x1C, REG_IMAGE_BASE = 0x20, REG_INPUT_BASE = 0x28,
                   REG_CYCLES = 0x30, REG_BYTES = 0x38, REG_EVENTS = 0x100;
constexpr uint32_t CONTROL_START = 1, CONTROL_IRQ_ENABLE = 2, STATUS_DONE = 2;
constexpr unsigned RESP_OKAY = 0;
// a register access that takes longer than this is a hang of the register block
constexpr uint64_t LITE_TIMEOUT = 1000;

using tb::die;
using tb::get_words;
using tb::Job;
using tb::Rng;
using tb::words_of;

using Memory = axi_mem::AxiReadMemory<Vdut>;

class Bench {
  public:
    Bench(VerilatedContext* ctx, FILE* out, const char* waves)
        : ctx_(ctx), out_(out), dut_(new Vdut{ctx}), rng_(1) {
#if VM_TRACE
        if (waves) {
            ctx_->traceEverOn(true);
            fst_.reset(new VerilatedFstC);
            dut_->trace(fst_.get(), 99);
            fst_->open(waves);
        }
#else
        if (waves) die("--waves: this harness was built without tracing (build it with waves)");
#endif
        dut_->clk = 0;
        dut_->rst = 0;
        lite_idle();
        dut_->PORT(scores, ready) = 0;
#ifdef TRACE_PORT
        dut_->PORT(trace, ready) = 0;
#endif
        idle_memory();
        dut_->eval();
    }
    ~Bench() {
        dut_->final();
#if VM_TRACE
        if (fst_) fst_->close();
#endif
    }

    void reset(uint64_t cycles, uint64_t settle) {
        uint64_t start = cycle_;
        mem_.reset();  // no memory model during a reset (RUN makes a new one)
        dut_->rst = 1;
        for (uint64_t i = 0; i < cycles; ++i) tick();
        dut_->rst = 0;
        for (uint64_t i = 0; i < settle; ++i) tick();
        ready_prob_ = 1.0;
        stall_prob_ = 0.0;
        uint64_t id = read(REG_ID), cap0 = read(REG_CAPACITY0), cap1 = read(REG_CAPACITY1);
        emit({1, start, cycle_, id, cap0, cap1});
    }

    void memory(Job& job) {
        uint64_t base = job.u64(), n = job.u64();
        const unsigned char* p = job.bytes(n);
        contents_.assign(p, p + n);
        base_ = base;
        emit({2, base, n});
    }

    // Runs the inferences of one RUN command; false if one failed (the job stops).
    bool run(Job& job) {
        uint64_t n = job.u64(), latency = job.u64();
        stall_prob_ = job.f64();
        ready_prob_ = job.f64();
        uint64_t seed = job.u64(), max_cycles = job.u64();
        rng_ = Rng(seed);
        mem_.reset(new Memory(contents_, base_, BEAT_BYTES, unsigned(latency), stall_prob_,
                              seed * 2654435761u + 1));
        bool ok = true;
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t image_base = job.u64(), input_base = job.u64(), layers = job.u64();
            if (ok) ok = infer(i, image_base, input_base, layers, max_cycles);
        }
        mem_.reset();
        return ok;
    }

    void end() {
        emit({0, cycle_, sim_ns_, cpu_ns_});
        std::fflush(out_);
    }

  private:
    static uint64_t clock_now() {
        return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count());
    }
    static uint64_t cpu_now() {
        timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    }

    void idle_memory() {
        dut_->m_axi_arready = 0;
        dut_->m_axi_rvalid = 0;
        dut_->m_axi_rlast = 0;
        dut_->m_axi_rresp = 0;
        dut_->m_axi_rid = 0;
    }
    void lite_idle() {
        dut_->s_axil_awvalid = 0;
        dut_->s_axil_wvalid = 0;
        dut_->s_axil_bready = 0;
        dut_->s_axil_arvalid = 0;
        dut_->s_axil_rready = 0;
        dut_->s_axil_awprot = 0;
        dut_->s_axil_arprot = 0;
        dut_->s_axil_wstrb = 0xF;
    }

    // One clock cycle: the memory and the stream readies drive, eval, `sample` (the caller's
    // handshakes, on the settled outputs), the memory and streams sample, rising edge.
    template <class F> void tick(F&& sample) {
        if (mem_) mem_->drive(*dut_);
        else idle_memory();
        bool rdy = rng_.chance(ready_prob_);
        dut_->PORT(scores, ready) = rdy;
#ifdef TRACE_PORT
        dut_->PORT(trace, ready) = rdy;
#endif
        dut_->eval();
        dump();
        sample();
        if (mem_) mem_->sample(*dut_);
        if (collecting_) collect(rdy);
        dut_->clk = 1;
        ctx_->timeInc(5);
        dut_->eval();
        dump();
        ctx_->timeInc(5);
        dut_->clk = 0;
        ++cycle_;
    }
    void tick() { tick([] {}); }

    void collect(bool rdy) {
        uint64_t w[16];
        if (rdy && dut_->PORT(scores, valid)) {
            scores_.push_back(cycle_);
            get_words(dut_->PORT(scores, payload), w);
            scores_.insert(scores_.end(), w, w + words_of(dut_->PORT(scores, payload)));
        }
#ifdef TRACE_PORT
        if (rdy && dut_->PORT(trace, valid)) {
            trace_.push_back(cycle_);
            get_words(dut_->PORT(trace, payload), w);
            trace_.insert(trace_.end(), w, w + words_of(dut_->PORT(trace, payload)));
        }
#endif
    }

    void dump() {
#if VM_TRACE
        if (fst_ && (!dumped_ || ctx_->time() > last_dump_)) {
            fst_->dump(ctx_->time());
            dumped_ = true;
            last_dump_ = ctx_->time();
        }
#endif
    }

    // random idle cycles before a register access (stall mode only)
    void lite_pause() {
        while (rng_.chance(stall_prob_)) tick();
    }

    void write(uint32_t addr, uint32_t data) {
        lite_pause();
        bool aw = false, w = false, b = false;
        uint64_t t0 = cycle_;
        dut_->s_axil_awaddr = addr;
        dut_->s_axil_wdata = data;
        dut_->s_axil_wstrb = 0xF;
        while (!b) {
            dut_->s_axil_awvalid = !aw;
            dut_->s_axil_wvalid = !w;
            bool bready = aw && w && !rng_.chance(stall_prob_);
            dut_->s_axil_bready = bready;
            tick([&] {
                if (!aw && dut_->s_axil_awready) aw = true;
                if (!w && dut_->s_axil_wready) w = true;
                if (bready && dut_->s_axil_bvalid) {
                    b = true;
                    if (dut_->s_axil_bresp != RESP_OKAY) ++lite_errors_;
                }
            });
            if (cycle_ - t0 > LITE_TIMEOUT)
                die("register write at " + std::to_string(addr) + ": no response");
        }
        lite_idle();
    }

    uint32_t read(uint32_t addr) {
        lite_pause();
        bool ar = false, r = false;
        uint32_t data = 0;
        uint64_t t0 = cycle_;
        dut_->s_axil_araddr = addr;
        while (!r) {
            dut_->s_axil_arvalid = !ar;
            bool rready = ar && !rng_.chance(stall_prob_);
            dut_->s_axil_rready = rready;
            tick([&] {
                if (!ar && dut_->s_axil_arready) ar = true;
                if (rready && dut_->s_axil_rvalid) {
                    r = true;
                    data = dut_->s_axil_rdata;
                    if (dut_->s_axil_rresp != RESP_OKAY) ++lite_errors_;
                }
            });
            if (cycle_ - t0 > LITE_TIMEOUT)
                die("register read at " + std::to_string(addr) + ": no response");
        }
        lite_idle();
        return data;
    }
    uint64_t read64(uint32_t addr) {
        uint64_t lo = read(addr);
        return lo | (uint64_t(read(addr + 4)) << 32);
    }

    bool infer(uint64_t index, uint64_t image_base, uint64_t input_base, uint64_t layers,
               uint64_t max_cycles) {
        scores_.clear();
        trace_.clear();
        events_.clear();
        lite_errors_ = 0;
        const axi_mem::Counters before = mem_->counters();
        uint64_t start = cycle_, status = 0, irq_cycle = 0;
        auto t0 = clock_now();
        auto c0 = cpu_now();
        collecting_ = true;
        write(REG_IMAGE_BASE, uint32_t(image_base));
        write(REG_IMAGE_BASE + 4, uint32_t(image_base >> 32));
        write(REG_INPUT_BASE, uint32_t(input_base));
        write(REG_INPUT_BASE + 4, uint32_t(input_base >> 32));
        write(REG_CONTROL, CONTROL_START | CONTROL_IRQ_ENABLE);
        uint64_t started = cycle_;
        while (true) {
            bool irq = false;
            tick([&] { irq = dut_->irq; });
            if (irq) {
                irq_cycle = cycle_ - 1;
                break;
            }
            if (!mem_->error().empty()) {
                status = 2;
                break;
            }
            if (cycle_ - started > max_cycles) {
                status = 1;
                break;
            }
        }
        uint64_t status_reg = 0, error = 0, prediction = 0, cycles = 0, bytes = 0;
        uint64_t status_after = 0, irq_after = 0;
        if (status == 0) {
            status_reg = read(REG_STATUS);
            error = read(REG_ERROR);
            prediction = read(REG_PREDICTION);
            cycles = read64(REG_CYCLES);
            bytes = read64(REG_BYTES);
            for (uint64_t l = 0; l <= layers; ++l) events_.push_back(read(REG_EVENTS + 4 * l));
            write(REG_STATUS, STATUS_DONE);
            status_after = read(REG_STATUS);
            tick([&] { irq_after = dut_->irq; });
        } else if (status == 2) {
            std::fprintf(stderr, "proc_tb: AXI protocol error: %s\n", mem_->error().c_str());
        }
        collecting_ = false;
        uint64_t dt = clock_now() - t0, dc = cpu_now() - c0;
        sim_ns_ += dt;
        cpu_ns_ += dc;
        const axi_mem::Counters& after = mem_->counters();
        const int SW = words_of(dut_->PORT(scores, payload));
#ifdef TRACE_PORT
        const int TW = words_of(dut_->PORT(trace, payload));
        uint64_t ntrace = trace_.size() / (1 + TW);
#else
        uint64_t ntrace = 0;
#endif
        emit({3, index, status, start, irq_cycle, cycle_, dt, dc, status_reg, error, prediction,
              cycles, bytes, status_after, irq_after, lite_errors_, after.beats - before.beats,
              after.bursts - before.bursts, after.most_outstanding, events_.size(),
              scores_.size() / (1 + SW), ntrace});
        emit(events_);
        emit(scores_);
        emit(trace_);
        std::fflush(out_);  // the reader checks and shows progress inference by inference
        return status == 0;
    }

    void emit(std::initializer_list<uint64_t> words) { emit(std::vector<uint64_t>(words)); }
    void emit(const std::vector<uint64_t>& words) {
        if (std::fwrite(words.data(), 8, words.size(), out_) != words.size())
            die("cannot write results (the reader went away)");
    }

    VerilatedContext* ctx_;
    FILE* out_;
    std::unique_ptr<Vdut> dut_;
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> fst_;
    bool dumped_ = false;
    uint64_t last_dump_ = 0;
#endif
    std::unique_ptr<Memory> mem_;
    std::vector<uint8_t> contents_;
    uint64_t base_ = 0;
    Rng rng_;
    double ready_prob_ = 1.0, stall_prob_ = 0.0;
    bool collecting_ = false;
    uint64_t cycle_ = 0, sim_ns_ = 0, cpu_ns_ = 0, lite_errors_ = 0;
    std::vector<uint64_t> scores_, trace_, events_;
};

}  // namespace

int main(int argc, char** argv) {
    const tb::CommandLine cmd = tb::command_line(argc, argv);
    FILE* out = cmd.out;
    const char* waves = cmd.waves;
    Job job(cmd.job_path, "SNNPJOB1");
    auto ctx = std::make_unique<VerilatedContext>();
    {
        Bench bench(ctx.get(), out, waves);
        bool running = true;
        while (running) {
            switch (job.u64()) {
                case 0: running = false; break;
                case 1: {
                    uint64_t cycles = job.u64();
                    bench.reset(cycles, job.u64());
                    break;
                }
                case 2: bench.memory(job); break;
                case 3: running = bench.run(job); break;
                default: die("unknown command in the job file");
            }
        }
        bench.end();
    }
    if (out != stdout) std::fclose(out);
    return 0;
}
