// net::Context's stop order (src/net/context.hpp): close() terminates the ZeroMQ context first,
// which wakes every service thread blocked in a ZeroMQ call with ETERM, and only then stops the
// services, newest first. Also the public Ports type and NetGear::endpoints().
#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "net/context.hpp"
#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;

/// Events in the order they happened, from any thread.
class EventLog {
 public:
  void add(std::string e) {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
  }
  std::vector<std::string> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  /// Index of `e`, or -1.
  long index(const std::string& e) const {
    std::lock_guard lk(mu_);
    for (std::size_t i = 0; i < events_.size(); ++i) {
      if (events_[i] == e) return static_cast<long>(i);
    }
    return -1;
  }
  long count(const std::string& e) const {
    std::lock_guard lk(mu_);
    return std::count(events_.begin(), events_.end(), e);
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

std::string dump(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : " | ") + e;
  return out;
}

/// A service whose thread blocks in recv() on an inproc PULL socket of the context, as a ZAP
/// handler or a tunnel forwarder would, and leaves (closing its socket) when the call fails.
class BlockingService final : public net::Service {
 public:
  BlockingService(net::Context& ctx, std::string name, EventLog& log) : ctx_(ctx), name_(std::move(name)), log_(log) {
    std::promise<void> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, ready = std::move(ready)]() mutable { run(ready); });
    started.wait();  // the socket exists and the thread is about to block
  }
  ~BlockingService() override {
    log_.add(name_ + ": destroyed");
    if (thread_.joinable()) thread_.join();
  }
  void stop() noexcept override {
    // The context must be gone by now: cppzmq's handle is null after zmq_ctx_term returned.
    log_.add(name_ + ": stop, context " + (ctx_.zmq().handle() == nullptr ? "terminated" : "ALIVE"));
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run(std::promise<void>& ready) {
    zmq::socket_t s(ctx_.zmq(), zmq::socket_type::pull);
    s.set(zmq::sockopt::linger, 0);
    s.bind("inproc://service-" + name_);
    ready.set_value();
    try {
      zmq::message_t m;
      (void)s.recv(m);
      log_.add(name_ + ": received a message");
    } catch (const zmq::error_t& e) {
      log_.add(name_ + (e.num() == ETERM ? ": ETERM" : ": error " + std::to_string(e.num())));
    }
    // Logged before close(): the context's termination may return (and stop() log) as soon as
    // the socket is closed, before this thread could log after it.
    log_.add(name_ + ": closing the socket");
    s.close();
    log_.add(name_ + ": socket closed");
  }

  net::Context& ctx_;
  std::string name_;
  EventLog& log_;
  std::thread thread_;
};

TEST(Context, CloseWakesABlockedServiceThenStopsIt) {
  EventLog log;
  auto ctx = std::make_unique<net::Context>();
  ctx->add(std::make_unique<BlockingService>(*ctx, "a", log));
  EXPECT_TRUE(log.events().empty()) << dump(log.events());  // blocked, not stopped

  const auto start = std::chrono::steady_clock::now();
  ctx->close();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 2s);

  const auto events = log.events();
  SCOPED_TRACE(dump(events));
  const long eterm = log.index("a: ETERM");
  const long closed = log.index("a: closing the socket");
  const long stop = log.index("a: stop, context terminated");
  ASSERT_GE(eterm, 0) << "the service thread did not see ETERM";
  ASSERT_GE(closed, 0);
  ASSERT_GE(stop, 0) << "stop() did not run after the context terminated";
  EXPECT_LT(eterm, closed);
  EXPECT_LT(closed, stop);
  EXPECT_EQ(log.count("a: stop, context ALIVE"), 0);
  EXPECT_EQ(log.index("a: received a message"), -1);
  // close() released the service after stopping it.
  EXPECT_GT(log.index("a: destroyed"), stop);
  EXPECT_EQ(ctx->zmq().handle(), nullptr);
}

TEST(Context, ServicesStopNewestFirstAfterAllSawEterm) {
  EventLog log;
  net::Context ctx;
  ctx.add(std::make_unique<BlockingService>(ctx, "first", log));
  ctx.add(std::make_unique<BlockingService>(ctx, "second", log));
  ctx.add(std::make_unique<BlockingService>(ctx, "third", log));
  const auto start = std::chrono::steady_clock::now();
  ctx.close();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  SCOPED_TRACE(dump(log.events()));
  const long s1 = log.index("first: stop, context terminated");
  const long s2 = log.index("second: stop, context terminated");
  const long s3 = log.index("third: stop, context terminated");
  ASSERT_GE(s1, 0);
  ASSERT_GE(s2, 0);
  ASSERT_GE(s3, 0);
  EXPECT_LT(s3, s2);
  EXPECT_LT(s2, s1);
  // The context terminated only once every socket was closed, so every thread saw ETERM before
  // the first stop().
  for (const char* name : {"first", "second", "third"}) {
    const long eterm = log.index(std::string(name) + ": ETERM");
    EXPECT_GE(eterm, 0) << name;
    EXPECT_LT(eterm, s3) << name;
  }
}

TEST(Context, CloseIsIdempotent) {
  EventLog log;
  {
    net::Context ctx;
    ctx.add(std::make_unique<BlockingService>(ctx, "x", log));
    ctx.close();
    const auto start = std::chrono::steady_clock::now();
    ctx.close();
    ctx.close();
    ctx.shutdown();  // on a terminated context: harmless
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  }  // the destructor closes again
  SCOPED_TRACE(dump(log.events()));
  EXPECT_EQ(log.count("x: stop, context terminated"), 1);
  EXPECT_EQ(log.count("x: ETERM"), 1);
  EXPECT_EQ(log.count("x: destroyed"), 1);
}

TEST(Context, DestructorRunsTheSameStopOrder) {
  EventLog log;
  {
    net::Context ctx;
    ctx.add(std::make_unique<BlockingService>(ctx, "d", log));
  }
  SCOPED_TRACE(dump(log.events()));
  const long eterm = log.index("d: ETERM");
  const long stop = log.index("d: stop, context terminated");
  ASSERT_GE(eterm, 0);
  ASSERT_GE(stop, 0);
  EXPECT_LT(eterm, stop);
}

TEST(Context, ShutdownWakesBlockedCallsButLeavesTheContext) {
  EventLog log;
  net::Context ctx;
  ctx.add(std::make_unique<BlockingService>(ctx, "s", log));
  ctx.shutdown();
  ASSERT_TRUE(test::wait_until([&] { return log.index("s: socket closed") >= 0; }, 2s)) << dump(log.events());
  EXPECT_GE(log.index("s: ETERM"), 0);
  EXPECT_NE(ctx.zmq().handle(), nullptr);  // not terminated: close() does that
  EXPECT_EQ(log.count("s: stop, context terminated") + log.count("s: stop, context ALIVE"), 0);
  ctx.close();
  EXPECT_EQ(log.count("s: stop, context terminated"), 1) << dump(log.events());
}

// A service that is not blocked in ZeroMQ at all: stop() is what ends it.
TEST(Context, ServiceWithoutSocketsIsStoppedToo) {
  struct Flag final : net::Service {
    explicit Flag(int& stops) : stops(stops) {}
    void stop() noexcept override { ++stops; }
    int& stops;
  };
  int stops = 0;
  {
    net::Context ctx;
    ctx.add(std::make_unique<Flag>(stops));
    ctx.add(std::make_unique<Flag>(stops));
    ctx.close();
    EXPECT_EQ(stops, 2);
  }
  EXPECT_EQ(stops, 2);
}

// --- Ports and endpoints ------------------------------------------------------------------------

TEST(Ports, OneOrMany) {
  Config c{.port = "5555"};
  EXPECT_EQ(c.port.size(), 1u);
  EXPECT_FALSE(c.port.empty());
  EXPECT_EQ(c.port.list().front(), "5555");
  EXPECT_EQ(c.port.text(), "5555");
  c.port = {"5566", "5567"};
  ASSERT_EQ(c.port.size(), 2u);
  EXPECT_EQ(c.port.text(), "5566,5567");
  EXPECT_EQ(std::vector<std::string>(c.port.begin(), c.port.end()), (std::vector<std::string>{"5566", "5567"}));
  EXPECT_EQ(c.port, Ports({"5566", "5567"}));
  EXPECT_NE(c.port, Ports({"5567", "5566"}));
  c.port = std::string("6000");
  EXPECT_EQ(c.port, Ports("6000"));
  c.port = std::vector<std::string>{"1", "2", "3"};
  EXPECT_EQ(c.port.text(), "1,2,3");
  const Ports none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.text(), "");
}

TEST(Ports, EndpointsOfAPlainReceiverAndSender) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, Pattern::Pair, Protocol::Tcp, port));
  const auto rx_all = rx.endpoints();
  ASSERT_EQ(rx_all.size(), 1u);
  EXPECT_EQ(rx_all.front(), rx.endpoint());
  EXPECT_EQ(rx.endpoint(), "tcp://127.0.0.1:" + port);

  NetGear tx(test::config(false, Pattern::Pair, Protocol::Tcp, port));
  const auto tx_all = tx.endpoints();
  ASSERT_EQ(tx_all.size(), 1u);
  EXPECT_EQ(tx_all.front(), tx.endpoint());
  EXPECT_EQ(tx.endpoint(), rx.endpoint());
  tx.close();
  rx.close();
  // Closing keeps the endpoints readable.
  EXPECT_EQ(rx.endpoints(), rx_all);

  const std::string prefix = test::unique_ipc_prefix();
  NetGear ipc(test::config(true, Pattern::ReqRep, Protocol::Ipc, "7", prefix));
  ASSERT_EQ(ipc.endpoints().size(), 1u);
  EXPECT_EQ(ipc.endpoints().front(), ipc.endpoint());
  EXPECT_EQ(ipc.endpoint(), "ipc://" + prefix + ":7");
}

}  // namespace
}  // namespace netgear
