// The sender's payload buffer pool: buffers come back when ZeroMQ releases the message, from any
// thread, and steady state allocates nothing.
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "net/buffer_pool.hpp"

namespace netgear::net {
namespace {

TEST(BufferPool, ReusesABufferOnceTheMessageIsReleased) {
  BufferPool pool;
  for (int i = 0; i < 100; ++i) {
    zmq::message_t m = pool.message(921600);
    ASSERT_EQ(m.size(), 921600u);
    std::memset(m.data(), i, m.size());
  }
  EXPECT_EQ(pool.allocations(), 1u);
}

TEST(BufferPool, MessagesInFlightGetTheirOwnBuffers) {
  BufferPool pool(4);
  std::vector<zmq::message_t> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(pool.message(1000));
    std::memset(held.back().data(), i, 1000);
  }
  EXPECT_EQ(pool.allocations(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(static_cast<const unsigned char*>(held[i].data())[999], i);
  held.clear();
  for (int i = 0; i < 3; ++i) held.push_back(pool.message(1000));
  EXPECT_EQ(pool.allocations(), 3u);  // all three came back
}

TEST(BufferPool, SmallerSizesFitAndLargerOnesReplace) {
  BufferPool pool;
  { auto m = pool.message(64000); }
  { auto m = pool.message(60000); }  // a JPEG a little smaller: same buffer
  EXPECT_EQ(pool.allocations(), 1u);
  { auto m = pool.message(200000); }  // frames grew: a new buffer, the small one is dropped
  { auto m = pool.message(200000); }
  EXPECT_EQ(pool.allocations(), 2u);
}

// Over tcp, ZeroMQ's I/O thread releases each message once it has written it.
TEST(BufferPool, ZeroMqReleasesFromItsIoThreadOverTcp) {
  BufferPool pool;
  zmq::context_t ctx(1);
  zmq::socket_t rx(ctx, zmq::socket_type::pair), tx(ctx, zmq::socket_type::pair);
  rx.bind("tcp://127.0.0.1:*");
  tx.connect(rx.get(zmq::sockopt::last_endpoint));
  for (int i = 0; i < 50; ++i) {
    zmq::message_t m = pool.message(100000);
    std::memset(m.data(), i, m.size());
    ASSERT_TRUE(tx.send(m, zmq::send_flags::none));
    zmq::message_t got;
    ASSERT_TRUE(rx.recv(got));
    ASSERT_EQ(got.size(), 100000u);
    EXPECT_EQ(static_cast<const unsigned char*>(got.data())[12345], i);
  }
  // Each message was released before its successor was made, or at most one later.
  EXPECT_LE(pool.allocations(), 2u);
}

}  // namespace
}  // namespace netgear::net
