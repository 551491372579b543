// One instance's ZeroMQ context and what lives in it: the pool of payload buffers lent to
// ZeroMQ, and the service threads that use the context's sockets (secure mode's ZAP handler, the
// SSH tunnel's forwarder). They start and stop in one defined order.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <zmq.hpp>

#include "net/buffer_pool.hpp"

namespace netgear::net {

/// A thread that runs beside an instance's sockets. Started by whoever adds it; stopped by the
/// Context. Contract: its ZeroMQ sockets close by themselves when the context terminates (their
/// blocking calls fail with ETERM), because close() terminates the context before it stops the
/// services.
class Service {
 public:
  virtual ~Service() = default;
  /// Ends the thread (bounded) and releases what it holds. Called once, after the context has
  /// terminated.
  virtual void stop() noexcept = 0;
};

class Context {
 public:
  Context();  // one I/O thread
  ~Context() { close(); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  zmq::context_t& zmq() noexcept { return ctx_; }
  BufferPool& pool() noexcept { return pool_; }

  /// Takes a running service; it is stopped by close().
  void add(std::unique_ptr<Service> service);

  /// Makes every blocking ZeroMQ call in this context return ETERM (a receiving thread wakes up and
  /// leaves). Safe from any thread; idempotent.
  void shutdown() noexcept;

  /// The stop order: (1) the context terminates, which waits for every socket to be closed and
  /// for lingering messages to leave (so a tunnel still forwards them), (2) the services stop,
  /// newest first, (3) the buffer pool goes with the Context, after the last message that
  /// ZeroMQ held was released by (1). The owner closes its own sockets before calling this.
  /// Idempotent; bounded as long as every socket was closed with a bounded linger.
  void close() noexcept;

 private:
  BufferPool pool_;  // declared before ctx_: outlives every message, which terminating ctx_ releases
  zmq::context_t ctx_;
  std::mutex mu_;                                  // guards services_ and closed_
  std::vector<std::unique_ptr<Service>> services_;
  bool closed_ = false;
};

}  // namespace netgear::net
