// tune_allocator_for_frames(): with it, frame-sized blocks freed in the order a receiver frees
// them are not given back to the kernel and faulted in again for the next frames; without it,
// glibc does exactly that. Each case runs in a child process of its own, so that the test
// process's allocator stays as it was.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "netgear/memory.hpp"

namespace netgear {
namespace {

struct Outcome {
  int tuning = -1;             // AllocatorTuning, or -1 when not asked for
  double faults_per_round = 0; // minor page faults per round of four frames
};

// Four raw 1920x1080 BGR frames allocated and written, then freed the way a receiver's holders let
// them go (the oldest first, the newest two in reverse), 30 times, in a thread of its own (as
// ZeroMQ's I/O thread allocates received messages). Faults are counted from the third round on:
// the first rounds are the warm-up in which glibc finds its thresholds.
double faults_per_round() {
  double result = 0;
  std::thread worker([&result] {
    constexpr std::size_t kFrame = 1920 * 1080 * 3;
    constexpr int kRounds = 30;
    long before = 0;
    for (int round = 0; round < kRounds; ++round) {
      if (round == 2) {
        rusage r{};
        ::getrusage(RUSAGE_SELF, &r);
        before = r.ru_minflt;
      }
      void* frames[4];
      for (auto& f : frames) {
        f = std::malloc(kFrame);
        if (f == nullptr) std::abort();
        std::memset(f, round, kFrame);
      }
      std::free(frames[0]);
      std::free(frames[1]);
      std::free(frames[3]);
      std::free(frames[2]);
    }
    rusage r{};
    ::getrusage(RUSAGE_SELF, &r);
    result = static_cast<double>(r.ru_minflt - before) / (kRounds - 2);
  });
  worker.join();
  return result;
}

// Runs `body` in a child process and returns what it wrote.
template <typename Body>
Outcome in_child(Body body) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    const Outcome o = body();
    const bool ok = ::write(fds[1], &o, sizeof o) == static_cast<ssize_t>(sizeof o);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  Outcome o{};
  const ssize_t n = ::read(fds[0], &o, sizeof o);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof o) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the child process failed");
  }
  return o;
}

TEST(AllocatorTuning, FreedFramesStayMappedForTheNextOnes) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator serves malloc here, not glibc's";
#endif
  const Outcome tuned = in_child([] {
    ::unsetenv("GLIBC_TUNABLES");
    ::unsetenv("NETGEAR_ALLOCATOR_TUNING");
    Outcome o;
    o.tuning = static_cast<int>(tune_allocator_for_frames());
    o.faults_per_round = faults_per_round();
    return o;
  });
  if (tuned.tuning == static_cast<int>(AllocatorTuning::unsupported)) {
    GTEST_SKIP() << "not glibc's malloc here (a sanitizer's allocator?): nothing to tune";
  }
  ASSERT_EQ(tuned.tuning, static_cast<int>(AllocatorTuning::applied));
  const Outcome plain = in_child([] {
    Outcome o;
    o.faults_per_round = faults_per_round();
    return o;
  });
  // Four frames are 6,075 pages of 4 KiB: without the tuning glibc faults (nearly) all of them in
  // again every round; with it, none should be.
  EXPECT_LT(tuned.faults_per_round, 60) << "the frames' memory was given back and faulted in again";
  EXPECT_GT(plain.faults_per_round, 1000) << "glibc's default no longer gives these blocks back: is the tuning still "
                                             "needed? (docs/benchmarks.md, session 12)";
}

TEST(AllocatorTuning, TheEnvironmentsOwnThresholdsWin) {
  const Outcome o = in_child([] {
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576", 1);
    Outcome r;
    r.tuning = static_cast<int>(tune_allocator_for_frames());
    return r;
  });
  if (o.tuning == static_cast<int>(AllocatorTuning::unsupported)) GTEST_SKIP() << "not glibc's malloc here";
  EXPECT_EQ(o.tuning, static_cast<int>(AllocatorTuning::left_to_environment));
  const Outcome off = in_child([] {
    ::unsetenv("GLIBC_TUNABLES");
    ::setenv("NETGEAR_ALLOCATOR_TUNING", "0", 1);
    Outcome r;
    r.tuning = static_cast<int>(tune_allocator_for_frames());
    return r;
  });
  EXPECT_EQ(off.tuning, static_cast<int>(AllocatorTuning::left_to_environment));
  EXPECT_STREQ(to_string(AllocatorTuning::left_to_environment), "left to the environment");
  EXPECT_STREQ(to_string(AllocatorTuning::applied), "applied");
}

}  // namespace
}  // namespace netgear
