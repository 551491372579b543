// Payload buffers lent to ZeroMQ without a copy and given back when ZeroMQ is done with them.
//
// A sender that must copy a frame (a raw frame on PUB/SUB, whose send() returns before the bytes
// have left; a JPEG payload out of the encoder's buffer) would otherwise allocate a fresh buffer
// per frame: at 0.2-6 MB that is an mmap and a page fault per 4 KB, every frame. The pool keeps a
// few buffers and hands them out again; ZeroMQ's I/O thread returns them through the message's free
// function, so the pool is thread-safe. It must outlive every message it made: the sender closes
// its ZeroMQ context (which releases every message) before the pool is destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <zmq.hpp>

namespace netgear::net {

class BufferPool {
 public:
  /// Keeps at most `keep` idle buffers.
  explicit BufferPool(std::size_t keep = 4) : keep_(keep) { idle_.reserve(keep); }  // give_back never allocates
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// A message of exactly `size` bytes (contents undefined) whose buffer comes from the pool.
  zmq::message_t message(std::size_t size);

  /// Buffers allocated so far (for tests: steady state allocates none).
  std::size_t allocations() const;

 private:
  struct Block {
    BufferPool* pool;
    std::size_t capacity;
    std::unique_ptr<std::byte[]> data;
  };
  static void release(void* data, void* hint) noexcept;
  void give_back(Block* b) noexcept;

  mutable std::mutex mu_;
  std::vector<Block*> idle_;  // guarded by mu_
  std::size_t allocations_ = 0;  // guarded by mu_
  std::size_t keep_;
};

}  // namespace netgear::net
