#include "baselines.hpp"

#include <atomic>
#include <exception>
#include <stdexcept>
#include <thread>

#include <turbojpeg.h>

namespace netgear::bench {

double JpegBaseline::pipeline_fps() const {
  const double worst = std::max(encode_ms, decode_ms);
  return worst > 0 ? 1000.0 / worst : 0.0;
}

double JpegBaseline::serial_fps() const {
  const double both = encode_ms + decode_ms;
  return both > 0 ? 1000.0 / both : 0.0;
}

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace

BareJpeg::BareJpeg(FrameSize size)
    : size_(size),
      enc_(tjInitCompress()),
      dec_(tjInitDecompress()),
      jpeg_(tjBufSize(size.width, size.height, TJSAMP_422)),
      pixels_(size.raw_bytes()) {
  if (!enc_ || !dec_) throw std::runtime_error("TurboJPEG: cannot create a handle");
}

BareJpeg::~BareJpeg() {
  if (enc_) tjDestroy(enc_);
  if (dec_) tjDestroy(dec_);
}

std::span<const unsigned char> BareJpeg::encode(const cv::Mat& f) {
  unsigned char* out = jpeg_.data();
  unsigned long out_size = jpeg_.size();
  if (tjCompress2(enc_, f.data, f.cols, static_cast<int>(f.step[0]), f.rows, TJPF_BGR, &out, &out_size,
                  TJSAMP_422, 90, TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0) {
    throw std::runtime_error(std::string("tjCompress2: ") + tjGetErrorStr2(enc_));
  }
  return {jpeg_.data(), out_size};
}

void BareJpeg::decode(std::span<const unsigned char> j) {
  if (tjDecompress2(dec_, j.data(), j.size(), pixels_.data(), size_.width, size_.width * 3, size_.height,
                    TJPF_BGR, TJFLAG_FASTDCT) != 0) {
    throw std::runtime_error(std::string("tjDecompress2: ") + tjGetErrorStr2(dec_));
  }
}

JpegBaseline measure_jpeg(FrameSize size, const std::vector<cv::Mat>& ring,
                          std::chrono::milliseconds budget) {
  if (ring.empty()) throw std::runtime_error("measure_jpeg: empty ring");
  BareJpeg codec(size);
  std::vector<std::vector<unsigned char>> jpegs(ring.size());

  JpegBaseline b;
  b.size = size;
  // Warm-up, and the compressed frames for the decoder.
  double bytes = 0;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const auto j = codec.encode(ring[i]);
    jpegs[i].assign(j.begin(), j.end());
    bytes += static_cast<double>(j.size());
    codec.decode(jpegs[i]);
  }
  b.jpeg_bytes = bytes / static_cast<double>(ring.size());

  const double budget_ms = static_cast<double>(budget.count());
  std::vector<double> times;
  times.reserve(100000);
  auto t_start = Clock::now();
  for (std::size_t k = 0; ms_since(t_start) < budget_ms || times.size() < ring.size(); ++k) {
    const auto t0 = Clock::now();
    codec.encode(ring[k % ring.size()]);
    times.push_back(ms_since(t0));
  }
  b.samples = times.size();
  b.encode_ms = mean(times);
  b.encode_p50_ms = quantile(times, 0.5);

  times.clear();
  t_start = Clock::now();
  for (std::size_t k = 0; ms_since(t_start) < budget_ms || times.size() < ring.size(); ++k) {
    const auto t0 = Clock::now();
    codec.decode(jpegs[k % jpegs.size()]);
    times.push_back(ms_since(t0));
  }
  b.decode_ms = mean(times);
  b.decode_p50_ms = quantile(times, 0.5);
  b.samples = std::min(b.samples, times.size());
  if (budget.count() == 0) return b;

  // Both at once, as a sender and a receiver would run them.
  BareJpeg other(size);
  std::atomic<bool> go{false}, stop{false};
  std::size_t decoded = 0;
  std::exception_ptr error;
  std::thread decoder([&] {
    try {
      while (!go) std::this_thread::yield();
      for (std::size_t k = 0; !stop; ++k, ++decoded) other.decode(jpegs[k % jpegs.size()]);
    } catch (...) {
      error = std::current_exception();
    }
  });
  std::size_t encoded = 0;
  go = true;
  t_start = Clock::now();
  try {
    for (std::size_t k = 0; ms_since(t_start) < budget_ms; ++k, ++encoded)
      codec.encode(ring[k % ring.size()]);
  } catch (...) {
    stop = true;
    decoder.join();
    throw;
  }
  stop = true;
  const double elapsed_s = ms_since(t_start) / 1000.0;
  decoder.join();
  if (error) std::rethrow_exception(error);
  b.concurrent_fps = static_cast<double>(std::min(encoded, decoded)) / elapsed_s;
  return b;
}

JpegBaseline median_of(const std::vector<JpegBaseline>& rounds) {
  if (rounds.empty()) throw std::runtime_error("median_of: no measurement");
  JpegBaseline out = rounds.front();
  const auto median = [&](double JpegBaseline::*field) {
    std::vector<double> v;
    for (const auto& r : rounds) v.push_back(r.*field);
    out.*field = quantile(v, 0.5);
  };
  for (double JpegBaseline::*field : {&JpegBaseline::jpeg_bytes, &JpegBaseline::encode_ms, &JpegBaseline::encode_p50_ms,
                                      &JpegBaseline::decode_ms, &JpegBaseline::decode_p50_ms,
                                      &JpegBaseline::concurrent_fps}) {
    median(field);
  }
  out.samples = 0;
  for (const auto& r : rounds) out.samples += r.samples;
  return out;
}

void measure_jpeg_paced(JpegBaseline& b, const std::vector<cv::Mat>& ring, double fps, int frames) {
  if (ring.empty() || fps <= 0 || frames <= 0) return;
  BareJpeg codec(b.size);
  std::vector<unsigned char> jpeg;
  std::vector<double> enc, dec;
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps));
  auto next = Clock::now();
  for (int i = 0; i < frames; ++i) {
    std::this_thread::sleep_until(next);
    next += period;
    const auto t0 = Clock::now();
    const auto j = codec.encode(ring[static_cast<std::size_t>(i) % ring.size()]);
    enc.push_back(ms_since(t0));
    jpeg.assign(j.begin(), j.end());  // not timed
    const auto t1 = Clock::now();
    codec.decode(jpeg);
    dec.push_back(ms_since(t1));
  }
  b.paced_fps = fps;
  b.paced_encode_p50_ms = quantile(enc, 0.5);
  b.paced_decode_p50_ms = quantile(dec, 0.5);
}

}  // namespace netgear::bench
