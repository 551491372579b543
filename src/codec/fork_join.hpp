// A few threads that run the pieces of one job beside the calling thread and return when all
// are done: the JPEG codec's strips (docs/jpeg.md, "Threads"). The helpers sleep on a futex
// (std::atomic::wait) between jobs; a job costs one wake-up per helper and no allocation.
//
// Whoever is free takes the next piece: the caller does not wait for a helper that has not
// woken yet (a sleeping core can take longer to wake than a piece takes), it takes the piece
// itself, and a helper that wakes after the job is over finds nothing to take.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace netgear::codec {

class ForkJoin {
 public:
  /// At most this many pieces per run().
  static constexpr int kMaxPieces = 0xFFFF;

  /// `threads` - 1 helper threads (threads >= 1), started now.
  explicit ForkJoin(int threads);
  ~ForkJoin();
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  /// Calls piece(i) once for every i in [0, pieces) (0..kMaxPieces), on the calling thread and
  /// the helpers, each taking the next piece nobody has taken. Returns when all have returned,
  /// then rethrows the first exception a piece threw (pieces not yet taken then are skipped).
  /// Not re-entrant; one caller at a time.
  template <class F>
  void run(int pieces, F&& piece) {
    run_erased(pieces, [](void* f, int i) { (*static_cast<std::remove_reference_t<F>*>(f))(i); }, &piece);
  }

 private:
  void run_erased(int pieces, void (*call)(void*, int), void* f);
  void helper_loop();
  // Takes and runs pieces of job `generation` until none is left (or the job is over).
  void work(std::uint32_t generation);

  // The job: generation (32 bits) | pieces (16) | next piece to take (16), one word so that a
  // helper that wakes late can take no piece of a later job.
  std::atomic<std::uint64_t> job_{0};
  std::atomic<std::uint32_t> go_{0};        // the generation; helpers wait on it
  std::atomic<std::uint32_t> finished_{0};  // pieces of the current job that have returned
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  // Written by the caller before it publishes a job, read by whoever took one of its pieces.
  void (*call_)(void*, int) = nullptr;
  void* f_ = nullptr;
  std::mutex error_mu_;
  std::exception_ptr error_;  // guarded by error_mu_
  std::vector<std::thread> helpers_;
};

}  // namespace netgear::codec
