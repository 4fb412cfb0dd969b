// Direct Verilator testbench of the generated accelerator top level (no cocotb, no VPI).
//
// Built by verif/fast_harness.py with `verilator --cc --exe --build --prefix Vdut`; the top
// module's ports are the ones `gen.verilog.write_design` lists in manifest.json (pixels, scores,
// prediction, trace, load streams; phase, layer; clk, rst). TRACE_PORT is defined when the design
// has the trace stream.
//
// Usage: fast_tb JOB [--results-fd N] [--waves FILE]
//
// JOB is a binary command file written by verif/fast_harness.py (every field a little-endian
// uint64 unless said otherwise; probabilities are IEEE doubles):
//   "SNNJOB1\0"
//   RESET    (op 1): cycles                      rst high for that many rising edges, then rising edges until phase leaves CLEAR
//   LOAD     (op 2): n, valid_prob(double), seed, then n load payloads (LOAD_WORDS words each);
//                    the words are driven on `load` with random valid gaps until each is taken
//   IMAGES   (op 3): n, pixels, ready_prob(double), valid_prob(double), seed, max_cycles, then
//                    n * pixels bytes (uint8), zero-padded to a multiple of 8
//   END      (op 0)
//
// Results go to file descriptor N (default: stdout; Verilator's own messages go to stdout, so
// the Python side passes a pipe of its own) as records of uint64 words, one per command, in
// order:
//   RESET  [1, start_cycle, end_cycle]
//   LOAD   [2, n, start_cycle, end_cycle, loaded]
//   IMAGE  [3, index, status, start_cycle, end_cycle, sim_ns, cpu_ns, prediction, n_phases,
//           n_scores, n_trace] then n_phases * [cycle, phase, layer], n_scores * [cycle,
//           score payload words], n_trace * [cycle, trace payload words] (a payload takes
//           ceil(width / 64) words); status 0 = prediction taken, 1 = no prediction within
//           max_cycles (the job stops there: the DUT is mid-inference)
//   END    [0, cycles, sim_ns, cpu_ns]
// sim_ns is the wall time spent clocking the model (output writes excluded), cpu_ns the CPU time
// of this process in the same intervals (the speed figure that other jobs on the machine do not
// change).
//
// The host side of an inference is the loop of verif/tb_accel.py's Host.infer, cycle for cycle:
// drive ready/valid for this cycle, settle, sample every handshake, rising edge. Random ready
// and valid use a seeded xorshift generator; at probability 1 no random number is drawn.

#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "Vdut.h"
#define TB_NAME "fast_tb"
#include "tb_job.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

// Verilator encodes the "__" of the port names (stream__member) as "___05F".
#define PORT(stream, member) stream##___05F##member

namespace {

using tb::die;
using tb::get_words;
using tb::Job;
using tb::Rng;
using tb::set_words;
using tb::words_of;

class Bench {
  public:
    Bench(VerilatedContext* ctx, FILE* out, const char* waves)
        : ctx_(ctx), out_(out), dut_(new Vdut{ctx}) {
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
        dut_->PORT(pixels, valid) = 0;
        dut_->PORT(load, valid) = 0;
        dut_->PORT(scores, ready) = 0;
        dut_->PORT(prediction, ready) = 0;
#ifdef TRACE_PORT
        dut_->PORT(trace, ready) = 0;
#endif
        settle();
    }
    ~Bench() {
        dut_->final();
#if VM_TRACE
        if (fst_) fst_->close();
#endif
    }

    void reset(uint64_t cycles) {
        uint64_t start = cycle_;
        dut_->rst = 1;
        for (uint64_t i = 0; i < cycles; ++i) {
            settle();
            edge();
        }
        dut_->rst = 0;
        // a reset enters phase CLEAR (the membranes are zeroed, pixels.ready and load.ready
        // low); it belongs to the reset, not to the next image's cycles
        settle();
        while (dut_->phase == PHASE_CLEAR) {
            edge();
            settle();
        }
        emit({1, start, cycle_});
    }

    void load(Job& job) {
        uint64_t n = job.u64();
        double valid_prob = job.f64();
        Rng rng(job.u64());
        const int W = words_of(dut_->PORT(load, payload));
        std::vector<uint64_t> items(n * W);
        for (auto& w : items) w = job.u64();
        uint64_t start = cycle_, loaded = 0;
        auto t0 = clock_now();
        auto c0 = cpu_now();
        dut_->PORT(pixels, valid) = 0;
        while (loaded < n) {
            bool valid = rng.chance(valid_prob);
            dut_->PORT(load, valid) = valid;
            set_words(dut_->PORT(load, payload), &items[loaded * W]);
            settle();
            bool taken = valid && dut_->PORT(load, ready);
            edge();
            if (taken) ++loaded;
        }
        dut_->PORT(load, valid) = 0;
        sim_ns_ += clock_now() - t0;
        cpu_ns_ += cpu_now() - c0;
        emit({2, n, start, cycle_, loaded});
    }

    // Runs the images of one IMAGES command; false if one hung (the job stops).
    bool images(Job& job) {
        uint64_t n = job.u64(), pixels = job.u64();
        double ready_prob = job.f64(), valid_prob = job.f64();
        Rng rng(job.u64());
        uint64_t max_cycles = job.u64();
        const unsigned char* all = job.bytes(n * pixels);
        for (uint64_t i = 0; i < n; ++i)
            if (!infer(i, all + i * pixels, pixels, ready_prob, valid_prob, rng, max_cycles))
                return false;
        return true;
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
    void settle() {
        dut_->eval();
        dump();
    }
    void dump() {  // one dump per time step (FST warns about a second one at the same time)
#if VM_TRACE
        if (fst_ && (!dumped_ || ctx_->time() > last_dump_)) {
            fst_->dump(ctx_->time());
            dumped_ = true;
            last_dump_ = ctx_->time();
        }
#endif
    }
    void edge() {  // rising edge; the clock falls again with the next settle()
        dut_->clk = 1;
        ctx_->timeInc(5);
        dut_->eval();
        dump();
        ctx_->timeInc(5);
        dut_->clk = 0;
        ++cycle_;
    }
    void emit(std::initializer_list<uint64_t> words) { emit(std::vector<uint64_t>(words)); }
    void emit(const std::vector<uint64_t>& words) {
        if (std::fwrite(words.data(), 8, words.size(), out_) != words.size())
            die("cannot write results (the reader went away)");
    }

    bool infer(uint64_t index, const unsigned char* pix, uint64_t npix, double ready_prob,
               double valid_prob, Rng& rng, uint64_t max_cycles) {
        const int SW = words_of(dut_->PORT(scores, payload));
#ifdef TRACE_PORT
        const int TW = words_of(dut_->PORT(trace, payload));
#endif
        phases_.clear();
        scores_.clear();
        trace_.clear();
        uint64_t pos = 0, start = cycle_, prediction = ~uint64_t(0), status = 0;
        int last_phase = -1, last_layer = -1;
        uint64_t w[16];
        auto t0 = clock_now();
        auto c0 = cpu_now();
        while (true) {
            bool rdy = rng.chance(ready_prob);
            dut_->PORT(scores, ready) = rdy;
            dut_->PORT(prediction, ready) = rng.chance(ready_prob);
#ifdef TRACE_PORT
            dut_->PORT(trace, ready) = rdy;
#endif
            bool more = pos < npix;
            bool pv = more && rng.chance(valid_prob);
            dut_->PORT(pixels, valid) = pv;
            if (more) dut_->PORT(pixels, payload) = pix[pos];
            settle();
            int ph = dut_->phase, ly = dut_->layer;
            if (ph != last_phase || ly != last_layer) {
                phases_.insert(phases_.end(), {cycle_, uint64_t(ph), uint64_t(ly)});
                last_phase = ph;
                last_layer = ly;
            }
            if (pv && dut_->PORT(pixels, ready)) ++pos;
#ifdef TRACE_PORT
            if (rdy && dut_->PORT(trace, valid)) {
                trace_.push_back(cycle_);
                get_words(dut_->PORT(trace, payload), w);
                trace_.insert(trace_.end(), w, w + TW);
            }
#endif
            if (rdy && dut_->PORT(scores, valid)) {
                scores_.push_back(cycle_);
                get_words(dut_->PORT(scores, payload), w);
                scores_.insert(scores_.end(), w, w + SW);
            }
            bool done = dut_->PORT(prediction, valid) && dut_->PORT(prediction, ready);
            if (done) prediction = dut_->PORT(prediction, payload);
            edge();
            if (done) break;
            if (cycle_ - start > max_cycles) {
                status = 1;
                break;
            }
        }
        uint64_t dt = clock_now() - t0, dc = cpu_now() - c0;
        sim_ns_ += dt;
        cpu_ns_ += dc;
#ifdef TRACE_PORT
        uint64_t ntrace = trace_.size() / (1 + TW);
#else
        uint64_t ntrace = 0;
#endif
        emit({3, index, status, start, cycle_, dt, dc, prediction, phases_.size() / 3,
              scores_.size() / (1 + SW), ntrace});
        emit(phases_);
        emit(scores_);
        emit(trace_);
        std::fflush(out_);  // the reader checks and shows progress image by image
        return status == 0;
    }

    VerilatedContext* ctx_;
    FILE* out_;
    std::unique_ptr<Vdut> dut_;
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> fst_;
    bool dumped_ = false;
    uint64_t last_dump_ = 0;
#endif
    uint64_t cycle_ = 0, sim_ns_ = 0, cpu_ns_ = 0;
    std::vector<uint64_t> phases_, scores_, trace_;
};

}  // namespace

int main(int argc, char** argv) {
    const tb::CommandLine cmd = tb::command_line(argc, argv);
    FILE* out = cmd.out;
    const char* waves = cmd.waves;
    Job job(cmd.job_path, "SNNJOB1");
    auto ctx = std::make_unique<VerilatedContext>();
    {
        Bench bench(ctx.get(), out, waves);
        bool running = true;
        while (running) {
            switch (job.u64()) {
                case 0: running = false; break;
                case 1: bench.reset(job.u64()); break;
                case 2: bench.load(job); break;
                case 3: running = bench.images(job); break;
                default: die("unknown command in the job file");
            }
        }
        bench.end();
    }
    if (out != stdout) std::fclose(out);
    return 0;
}
