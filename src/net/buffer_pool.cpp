#include "net/buffer_pool.hpp"

namespace netgear::net {

BufferPool::~BufferPool() {
  for (Block* b : idle_) delete b;
}

zmq::message_t BufferPool::message(std::size_t size) {
  Block* block = nullptr;
  {
    std::lock_guard lk(mu_);
    // Newest first; a buffer too small for this size (the frames grew) is dropped, not kept.
    while (!idle_.empty() && block == nullptr) {
      Block* b = idle_.back();
      idle_.pop_back();
      if (b->capacity >= size) {
        block = b;
      } else {
        delete b;
      }
    }
    if (block == nullptr) ++allocations_;
  }
  if (block == nullptr) {
    // Room for JPEG payloads that vary a little from frame to frame.
    const std::size_t capacity = (size + size / 8 + 4095) / 4096 * 4096;
    block = new Block{this, capacity, std::unique_ptr<std::byte[]>(new std::byte[capacity])};
  }
  return zmq::message_t(block->data.get(), size, &BufferPool::release, block);
}

std::size_t BufferPool::allocations() const {
  std::lock_guard lk(mu_);
  return allocations_;
}

void BufferPool::release(void* /*data*/, void* hint) noexcept {
  auto* block = static_cast<Block*>(hint);
  block->pool->give_back(block);
}

void BufferPool::give_back(Block* b) noexcept {
  std::lock_guard lk(mu_);
  if (idle_.size() < keep_) {
    idle_.push_back(b);
  } else {
    delete b;
  }
}

}  // namespace netgear::net
