#include "codec/fork_join.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace netgear::codec {

ForkJoin::ForkJoin(int threads) {
  for (int k = 1; k < threads; ++k) helpers_.emplace_back([this] { helper_loop(); });
}

ForkJoin::~ForkJoin() {
  stop_.store(true, std::memory_order_release);
  go_.fetch_add(1, std::memory_order_release);
  go_.notify_all();
  for (auto& t : helpers_) t.join();
}

void ForkJoin::helper_loop() {
  std::uint32_t seen = 0;
  for (;;) {
    go_.wait(seen, std::memory_order_acquire);
    seen = go_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    work(seen);
  }
}

void ForkJoin::work(std::uint32_t generation) {
  std::uint64_t job = job_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<std::uint32_t>(job >> 32) != generation) return;  // a later job: not ours
    const auto pieces = static_cast<std::uint32_t>((job >> 16) & 0xFFFF);
    const auto next = static_cast<std::uint32_t>(job & 0xFFFF);
    if (next >= pieces) return;
    if (!job_.compare_exchange_weak(job, job + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // Piece `next` is ours: the caller waits for it, so the job's function stays valid.
    if (!failed_.load(std::memory_order_relaxed)) {
      try {
        call_(f_, static_cast<int>(next));
      } catch (...) {
        std::lock_guard lk(error_mu_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == pieces) finished_.notify_all();
    job = job_.load(std::memory_order_acquire);
  }
}

void ForkJoin::run_erased(int pieces, void (*call)(void*, int), void* f) {
  if (pieces < 0 || pieces > kMaxPieces) {
    throw std::invalid_argument("ForkJoin::run: " + std::to_string(pieces) + " pieces (0.." +
                                std::to_string(kMaxPieces) + ")");
  }
  if (pieces == 0) return;
  if (pieces == 1 || helpers_.empty()) {
    for (int i = 0; i < pieces; ++i) call(f, i);
    return;
  }
  // The last job's pieces have all returned (finished_ was waited for with acquire): nobody
  // reads these any more.
  call_ = call;
  f_ = f;
  error_ = nullptr;
  failed_.store(false, std::memory_order_relaxed);
  finished_.store(0, std::memory_order_relaxed);
  const std::uint32_t generation = go_.load(std::memory_order_relaxed) + 1;
  job_.store(static_cast<std::uint64_t>(generation) << 32 | static_cast<std::uint64_t>(pieces) << 16,
             std::memory_order_release);
  go_.store(generation, std::memory_order_release);
  go_.notify_all();
  work(generation);
  const auto all = static_cast<std::uint32_t>(pieces);
  for (std::uint32_t d = finished_.load(std::memory_order_acquire); d != all;
       d = finished_.load(std::memory_order_acquire)) {
    finished_.wait(d, std::memory_order_acquire);
  }
  if (failed_.load(std::memory_order_relaxed)) {
    std::exception_ptr e;
    {
      std::lock_guard lk(error_mu_);
      e = std::exchange(error_, nullptr);
    }
    std::rethrow_exception(e);
  }
}

}  // namespace netgear::codec
