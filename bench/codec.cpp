#include "codec.hpp"

#include <cstdio>
#include <iostream>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "baselines.hpp"
#include "codec/jpeg.hpp"

namespace netgear::bench {
namespace {

using json = nlohmann::json;
using Bytes = std::span<const std::uint8_t>;

constexpr int kPacedFrames = 100;
constexpr auto kPacedPeriod = std::chrono::milliseconds(10);

// Bare TurboJPEG with NetGear's settings (baselines.hpp).
class Bare {
 public:
  explicit Bare(FrameSize size) : jpeg_(size) {}
  Bytes encode(const cv::Mat& f) { return jpeg_.encode(f); }
  void decode(Bytes j) { jpeg_.decode(j); }
  int parts() const { return 1; }

 private:
  BareJpeg jpeg_;
};

// NetGear's codec as a sender and a receiver use it.
class NetGear {
 public:
  explicit NetGear(codec::CodecThreads t) : enc_(t), dec_(t) {}
  Bytes encode(const cv::Mat& f) { return enc_.encode(f, Colorspace::BGR, 90, true); }
  void decode(Bytes j) { dec_.decode(j.data(), j.size(), Colorspace::BGR, true, false); }
  int parts() const { return dec_.last_parts(); }

 private:
  codec::JpegEncoder enc_;
  codec::JpegDecoder dec_;
};

struct Figures {  // ms per frame
  double wall = 0, p50 = 0, cpu = 0;  // wall mean, wall median, process CPU (all threads)
};
struct Round {
  Figures enc, dec;
  int parts = 0;
};

Figures summarise(const std::vector<double>& wall, double cpu_ms) {
  double sum = 0;
  for (double w : wall) sum += w;
  const auto n = static_cast<double>(wall.size());
  return {sum / n, quantile(wall, 0.5), cpu_ms / n};
}

// Back to back for `seconds`: encodes of the ring, then decodes of this coder's JPEGs of it.
template <class Coder>
Round hot(Coder& c, const std::vector<cv::Mat>& ring, double seconds) {
  std::vector<std::vector<std::uint8_t>> jpegs;
  for (const auto& f : ring) {  // also the warm-up
    const Bytes j = c.encode(f);
    jpegs.emplace_back(j.begin(), j.end());
    c.decode(j);
  }
  const auto loop = [&](auto&& one) {
    std::vector<double> wall;
    const double cpu0 = process_cpu_ms();
    const auto start = Clock::now();
    for (std::size_t k = 0; ms_since(start) < seconds * 1000 || wall.size() < ring.size(); ++k) {
      const auto t0 = Clock::now();
      one(k % ring.size());
      wall.push_back(ms_since(t0));
    }
    return summarise(wall, process_cpu_ms() - cpu0);
  };
  Round r;
  r.enc = loop([&](std::size_t i) { c.encode(ring[i]); });
  r.dec = loop([&](std::size_t i) { c.decode(jpegs[i]); });
  r.parts = c.parts();
  return r;
}

// As a paced camera stream: one encode + decode every kPacedPeriod (right away when late).
template <class Coder>
Round paced(Coder& c, const std::vector<cv::Mat>& ring) {
  std::vector<double> enc, dec;
  double enc_cpu = 0, dec_cpu = 0;
  auto next = Clock::now();
  for (std::size_t i = 0; i < kPacedFrames; ++i) {
    std::this_thread::sleep_until(next);
    const double cpu0 = process_cpu_ms();
    const auto t0 = Clock::now();
    const Bytes j = c.encode(ring[i % ring.size()]);
    enc.push_back(ms_since(t0));
    const double cpu1 = process_cpu_ms();
    const auto t1 = Clock::now();
    c.decode(j);
    dec.push_back(ms_since(t1));
    dec_cpu += process_cpu_ms() - cpu1;
    enc_cpu += cpu1 - cpu0;
    next = std::max(next + kPacedPeriod, Clock::now());
  }
  return {summarise(enc, enc_cpu), summarise(dec, dec_cpu), c.parts()};
}

// One (size, threads, regime): its rounds of both coders, each figure the median over rounds; the
// ratios NetGear / bare are the medians of the rounds' own ratios (the two ran side by side).
struct Case {
  FrameSize size;
  codec::CodecThreads threads;
  std::string regime;
  std::vector<Round> bare, ng;

  Figures median(const std::vector<Round>& rounds, Figures Round::*part) const {
    Figures out;
    for (double Figures::*f : {&Figures::wall, &Figures::p50, &Figures::cpu}) {
      std::vector<double> v;
      for (const auto& r : rounds) v.push_back((r.*part).*f);
      out.*f = quantile(v, 0.5);
    }
    return out;
  }
  Figures ratio(Figures Round::*part) const {
    Figures out;
    for (double Figures::*f : {&Figures::wall, &Figures::p50, &Figures::cpu}) {
      std::vector<double> v;
      for (std::size_t i = 0; i < ng.size(); ++i) v.push_back((ng[i].*part).*f / (bare[i].*part).*f);
      out.*f = quantile(v, 0.5);
    }
    return out;
  }
};

json to_json(const Figures& f, bool ratio) {
  return ratio ? json{{"wall", f.wall}, {"wall_p50", f.p50}, {"cpu", f.cpu}}
               : json{{"wall_ms", f.wall}, {"wall_p50_ms", f.p50}, {"cpu_ms", f.cpu}};
}

// "2" for 2 threads on every frame, "2i" for 2 threads when idle (the default).
std::string label(const codec::CodecThreads& t) { return std::to_string(t.count) + (t.when_idle ? "i" : ""); }

std::string row(const char* fmt, const Figures& e, const Figures& d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, e.wall, e.p50, e.cpu, d.wall, d.p50, d.cpu);
  return buf;
}

}  // namespace

int run_codec(const CodecOptions& o) {
  // 1 and 2 threads for every frame, then the default (jpeg_compression_threads 0): strips only
  // when the codec was idle since the last frame at least as long as that took.
  const codec::CodecThreads automatic = codec::codec_threads(0);
  const std::vector<codec::CodecThreads> thread_counts{{1, false}, {2, false}, automatic};

  std::vector<Case> cases;
  for (const auto& size : o.sizes) {
    const std::vector<cv::Mat> ring = make_ring(size, o.ring);
    for (const codec::CodecThreads threads : thread_counts) {
      Bare bare(size);
      NetGear ng(threads);
      Case h{size, threads, "hot", {}, {}}, p{size, threads, "paced", {}, {}};
      for (int r = 0; r < o.repeat; ++r) {
        std::cerr << "[bench] codec " << size.str() << " threads " << label(threads) << " round " << r + 1 << "/"
                  << o.repeat << std::endl;
        // Bare and NetGear side by side, in turn first, so that drift of the machine hits both.
        const auto both = [&](Case& c, auto&& measure) {
          if (r % 2 == 0) c.bare.push_back(measure(bare));
          c.ng.push_back(measure(ng));
          if (r % 2 == 1) c.bare.push_back(measure(bare));
        };
        both(h, [&](auto& coder) { return hot(coder, ring, o.hot_s); });
        both(p, [&](auto& coder) { return paced(coder, ring); });
      }
      cases.push_back(std::move(h));
      cases.push_back(std::move(p));
    }
  }

  if (o.json_out) {
    json out = json::array();
    for (const auto& c : cases) {
      out.push_back({{"mode", "codec"}, {"size", c.size.str()}, {"threads", c.threads.count}, {"when_idle", c.threads.when_idle},
                     {"regime", c.regime},
                     {"rounds", c.ng.size()}, {"decode_parts", c.ng.back().parts},
                     {"bare", {{"encode", to_json(c.median(c.bare, &Round::enc), false)},
                               {"decode", to_json(c.median(c.bare, &Round::dec), false)}}},
                     {"netgear", {{"encode", to_json(c.median(c.ng, &Round::enc), false)},
                                  {"decode", to_json(c.median(c.ng, &Round::dec), false)}}},
                     {"ratio", {{"encode", to_json(c.ratio(&Round::enc), true)},
                                {"decode", to_json(c.ratio(&Round::dec), true)}}}});
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  std::cout << "NetGear JPEG codec vs bare TurboJPEG (BGR, 4:2:2, quality 90, fast DCT), ms per frame, medians of "
            << o.repeat << " round(s)\n"
            << "hot: back to back, " << o.hot_s << " s of encodes then of decodes; paced: " << kPacedFrames
            << " encode + decode, one every " << kPacedPeriod.count() << " ms\n"
            << "cpu: process CPU time (all threads) per frame; ratio: NetGear / bare, median of the rounds' ratios\n"
            << "thr: threads per frame; " << label(automatic) << " = the default (jpeg_compression_threads 0 on "
            << std::thread::hardware_concurrency()
            << " cores): strips only when idle since the last frame at least as long as it took\n\n"
            << "size       thr regime coder   |  enc mean     p50     cpu |  dec mean     p50     cpu | parts\n";
  for (const auto& c : cases) {
    char head[64];
    std::snprintf(head, sizeof head, "%-10s %3s %-6s ", c.size.str().c_str(), label(c.threads).c_str(),
                  c.regime.c_str());
    const std::string blank(std::string(head).size(), ' ');
    std::cout << head << row("bare    | %9.3f %7.3f %7.3f | %9.3f %7.3f %7.3f |\n", c.median(c.bare, &Round::enc),
                             c.median(c.bare, &Round::dec))
              << blank
              << row("NetGear | %9.3f %7.3f %7.3f | %9.3f %7.3f %7.3f |", c.median(c.ng, &Round::enc),
                     c.median(c.ng, &Round::dec))
              << " " << c.ng.back().parts << "\n"
              << blank
              << row("ratio   | %8.2fx %6.2fx %6.2fx | %8.2fx %6.2fx %6.2fx |\n", c.ratio(&Round::enc),
                     c.ratio(&Round::dec));
  }
  return 0;
}

}  // namespace netgear::bench
