#include "codec/fork_join.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>

namespace netgear::codec {

struct ForkJoin::Helper {
  // The caller writes the job, then bumps `go`; the helper runs it and stores the same count in
  // `done`. The atomics' release/acquire pairs order the job's fields and its results.
  std::atomic<std::uint32_t> go{0}, done{0};
  bool stop = false;
  void (*call)(void*, int) = nullptr;
  void* f = nullptr;
  int first = 0, pieces = 0, stride = 1;
  std::exception_ptr error;
  std::thread thread;

  void loop() {
    std::uint32_t seen = 0;
    for (;;) {
      go.wait(seen, std::memory_order_acquire);
      seen = go.load(std::memory_order_acquire);
      if (stop) return;
      try {
        for (int i = first; i < pieces; i += stride) call(f, i);
      } catch (...) {
        error = std::current_exception();
      }
      done.store(seen, std::memory_order_release);
      done.notify_one();
    }
  }
};

ForkJoin::ForkJoin(int threads) {
  for (int k = 1; k < threads; ++k) {
    auto h = std::make_unique<Helper>();
    h->thread = std::thread([p = h.get()] { p->loop(); });
    helpers_.push_back(std::move(h));
  }
}

ForkJoin::~ForkJoin() {
  for (auto& h : helpers_) {
    h->stop = true;
    h->go.fetch_add(1, std::memory_order_release);
    h->go.notify_one();
    h->thread.join();
  }
}

void ForkJoin::run_erased(int pieces, void (*call)(void*, int), void* f) {
  const int stride = threads();
  int started = 0;
  for (std::size_t k = 0; k < helpers_.size() && static_cast<int>(k) + 1 < pieces; ++k, ++started) {
    Helper& h = *helpers_[k];
    h.call = call;
    h.f = f;
    h.first = static_cast<int>(k) + 1;
    h.pieces = pieces;
    h.stride = stride;
    h.error = nullptr;
    h.go.fetch_add(1, std::memory_order_release);
    h.go.notify_one();
  }
  std::exception_ptr error;
  try {
    for (int i = 0; i < pieces; i += stride) call(f, i);
  } catch (...) {
    error = std::current_exception();
  }
  // Every started helper is waited for, even after an exception: they use the caller's data.
  for (int k = 0; k < started; ++k) {
    Helper& h = *helpers_[static_cast<std::size_t>(k)];
    const std::uint32_t want = h.go.load(std::memory_order_relaxed);
    for (std::uint32_t d = h.done.load(std::memory_order_acquire); d != want; d = h.done.load(std::memory_order_acquire)) {
      h.done.wait(d, std::memory_order_acquire);
    }
    if (!error && h.error) error = h.error;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace netgear::codec
