// A few threads that run the pieces of one job beside the calling thread and return when all
// are done: the JPEG codec's strips (docs/jpeg.md, "Threads"). The helpers sleep on a futex
// (std::atomic::wait) between jobs; a job costs one wake-up per helper and no allocation.
#pragma once

#include <memory>
#include <vector>

namespace netgear::codec {

class ForkJoin {
 public:
  /// `threads` - 1 helper threads (threads >= 1), started now.
  explicit ForkJoin(int threads);
  ~ForkJoin();
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  /// Calls piece(i) for every i in [0, pieces): the caller takes i = 0, T, 2T, ..., helper k
  /// takes k + 1, k + 1 + T, ... (T = threads()). Returns when all have returned, then rethrows
  /// the first exception one of them threw. Not re-entrant; one caller at a time.
  template <class F>
  void run(int pieces, F&& piece) {
    run_erased(pieces, [](void* f, int i) { (*static_cast<std::remove_reference_t<F>*>(f))(i); }, &piece);
  }

 private:
  struct Helper;
  void run_erased(int pieces, void (*call)(void*, int), void* f);
  std::vector<std::unique_ptr<Helper>> helpers_;
};

}  // namespace netgear::codec
