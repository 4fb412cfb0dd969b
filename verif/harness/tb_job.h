// What the direct Verilator testbenches (fast_tb.cpp, proc_tb.cpp) share: port values of any
// Verilator width as little-endian 64-bit words, a seeded random generator, the one-line fatal
// error, the reader of the binary job file their Python drivers write and the command line.
//
// Define TB_NAME (the program's name, for messages) before including this header.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "verilated.h"

#ifndef TB_NAME
#error "define TB_NAME (the testbench's name) before including tb_job.h"
#endif

namespace tb {

// ---- port values of any Verilator width as little-endian 64-bit words -----------------------
template <class T> constexpr int words_of(const T&) { return 1; }
template <std::size_t N> constexpr int words_of(const VlWide<N>&) { return int((N + 1) / 2); }

template <class T> void get_words(const T& v, uint64_t* out) { out[0] = uint64_t(v); }
template <std::size_t N> void get_words(const VlWide<N>& v, uint64_t* out) {
    for (std::size_t i = 0; i < (N + 1) / 2; ++i) {
        uint64_t lo = v[2 * i];
        uint64_t hi = (2 * i + 1 < N) ? uint64_t(v[2 * i + 1]) : 0;
        out[i] = lo | (hi << 32);
    }
}
template <class T> void set_words(T& v, const uint64_t* in) { v = T(in[0]); }
template <std::size_t N> void set_words(VlWide<N>& v, const uint64_t* in) {
    for (std::size_t i = 0; i < N; ++i) v[i] = uint32_t(in[i / 2] >> (32 * (i % 2)));
}

struct Rng {  // xorshift64*: cheap, seeded, reproducible
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
        if (!s) s = 1;
    }
    double uniform() {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        return double((s * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
    }
    // at probability 1 no number is drawn
    bool chance(double p) { return p >= 1.0 || uniform() < p; }
};

[[noreturn]] inline void die(const std::string& msg) {
    std::fprintf(stderr, "%s: %s\n", TB_NAME, msg.c_str());
    std::exit(2);
}

// The job file: 8 magic bytes, then little-endian uint64 words, doubles and byte blocks
// (zero-padded to a multiple of 8).
class Job {
  public:
    Job(const char* path, const char magic[8]) {
        FILE* f = std::fopen(path, "rb");
        if (!f) die(std::string("cannot open job file ") + path);
        std::vector<unsigned char> bytes;
        unsigned char buf[1 << 16];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
        std::fclose(f);
        if (bytes.size() < 8 || std::memcmp(bytes.data(), magic, 8) != 0)
            die(std::string(path) + " is not a " + TB_NAME + " job file");
        data_ = std::move(bytes);
        pos_ = 8;
    }
    uint64_t u64() {
        need(8);
        uint64_t v;
        std::memcpy(&v, &data_[pos_], 8);
        pos_ += 8;
        return v;
    }
    double f64() {
        need(8);
        double v;
        std::memcpy(&v, &data_[pos_], 8);
        pos_ += 8;
        return v;
    }
    const unsigned char* bytes(size_t n) {
        size_t padded = (n + 7) & ~size_t(7);
        need(padded);
        const unsigned char* p = &data_[pos_];
        pos_ += padded;
        return p;
    }

  private:
    void need(size_t n) {
        if (pos_ + n > data_.size()) die("job file truncated");
    }
    std::vector<unsigned char> data_;
    size_t pos_ = 0;
};

// The command line of a testbench, `TB_NAME JOB [--results-fd N] [--waves FILE]`: the job file,
// the waves file or nullptr, and the results stream (file descriptor N, default stdout; fully
// buffered).
struct CommandLine {
    const char* job_path = nullptr;
    const char* waves = nullptr;
    FILE* out = nullptr;
};

inline CommandLine command_line(int argc, char** argv) {
    const std::string usage = std::string("usage: ") + TB_NAME +
                              " JOB [--results-fd N] [--waves FILE]";
    CommandLine c;
    int results_fd = STDOUT_FILENO;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--waves") == 0 && i + 1 < argc) {
            c.waves = argv[++i];
        } else if (std::strcmp(argv[i], "--results-fd") == 0 && i + 1 < argc) {
            results_fd = std::atoi(argv[++i]);
        } else if (argv[i][0] == '-' || c.job_path) {
            die(usage + " (unexpected '" + argv[i] + "')");
        } else {
            c.job_path = argv[i];
        }
    }
    if (!c.job_path) die(usage);
    c.out = results_fd == STDOUT_FILENO ? stdout : fdopen(results_fd, "wb");
    if (!c.out) die("--results-fd: cannot open file descriptor " + std::to_string(results_fd));
    static char outbuf[1 << 20];
    std::setvbuf(c.out, outbuf, _IOFBF, sizeof outbuf);
    return c;
}

}  // namespace tb
