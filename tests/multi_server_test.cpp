// Multi-server mode: many senders (servers) into one receiver bound to all their ports, each
// frame tagged with the port of the server it came from (docs/protocol.md, section 5.1).
// Senders run as separate processes where it matters (kill, restart, fairness), and as plain
// ZeroMQ sockets for the bytes on the wire.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "netgear/netgear.hpp"
#include "support/peer_frame.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::Child;

Config receiver_config(Pattern pattern, const std::vector<std::string>& ports) {
  Config c = test::config(true, pattern, Protocol::Tcp, ports.front());
  c.port = ports;
  c.options.topology = Topology::MultiServer;
  return c;
}

Config server_config(Pattern pattern, const std::string& port) {
  Config c = test::config(false, pattern, Protocol::Tcp, port);
  c.options.topology = Topology::MultiServer;
  return c;
}

std::vector<std::string> server_args(Pattern pattern, const std::string& port, int frames,
                                     const std::string& until = {}) {
  // Long: a frame must not be lost because a sanitizer build of the receiver, taking four
  // streams beside other tests, answers slowly (REQ/REP); PUB/SUB's termination waits
  // request_timeout / 5 for room behind the last frames.
  const std::string timeout_ms = "10000";
  std::vector<std::string> a = {test::peer_path(), "send", "--pattern", std::to_string(static_cast<int>(pattern)),
                                "--protocol", "tcp", "--address", "127.0.0.1", "--port", port, "--timeout-ms", timeout_ms,
                                "--retries", "5", "--frames", std::to_string(frames), "--multiserver", "1"};
  if (!until.empty()) a.insert(a.end(), {"--until", until});
  return a;
}

// A file whose creation tells servers started with --until to terminate. The stream ends once
// every server heard from has terminated, so a server that finished before another one's first
// frame would end it early: the tests let every server stream until all have been heard from.
class GoFile {
 public:
  GoFile() : path_(test::unique_ipc_prefix() + ".go") {}
  ~GoFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  void create() { std::fclose(std::fopen(path_.c_str(), "w")); }

 private:
  std::string path_;
};

int count_lines(const std::string& out, const std::string& prefix) {
  int n = 0;
  for (std::size_t p = out.find(prefix); p != std::string::npos; p = out.find(prefix, p + 1)) {
    if (p == 0 || out[p - 1] == '\n') ++n;
  }
  return n;
}

struct Received {
  std::map<std::string, std::vector<std::int64_t>> by_port;  // the "i" of each frame, in arrival order
  int total = 0;
};

// Receives until the stream ends (or `limit` frames, or 20 s of silence).
Received receive_all(NetGear& rx, int limit = -1) {
  Received r;
  while (limit < 0 || r.total < limit) {
    auto f = rx.recv(20s);
    if (!f) break;
    EXPECT_EQ(f->image.size(), cv::Size(64, 48));
    r.by_port[f->peer].push_back(f->message.value("i", std::int64_t{-1}));
    ++r.total;
  }
  return r;
}

bool in_order(const std::vector<std::int64_t>& v) {
  for (std::size_t k = 1; k < v.size(); ++k) {
    if (v[k] <= v[k - 1]) return false;
  }
  return true;
}

// --- many sender processes -----------------------------------------------------------------------

// Receives until every port has sent at least `each` frames; then the servers are told to end.
void receive_until_all_streamed(NetGear& rx, const std::vector<std::string>& ports, std::size_t each,
                                Received& r) {
  auto streamed = [&] {
    if (r.by_port.size() < ports.size()) return false;
    for (const auto& [port, seq] : r.by_port) {
      if (seq.size() < each) return false;
    }
    return true;
  };
  while (!streamed()) {
    auto f = rx.recv(20s);
    ASSERT_TRUE(f) << "not every server streamed";
    r.by_port[f->peer].push_back(f->message.value("i", std::int64_t{-1}));
    ++r.total;
  }
}

TEST(MultiServer, FourServersOnReqRepEveryFrameOnceTaggedWithItsPort) {
  const auto ports = test::free_tcp_ports(4);
  NetGear rx(receiver_config(Pattern::ReqRep, ports));
  GoFile go;
  std::vector<std::unique_ptr<Child>> servers;
  for (const auto& p : ports) servers.push_back(std::make_unique<Child>(server_args(Pattern::ReqRep, p, 0, go.path())));
  Received r;
  receive_until_all_streamed(rx, ports, 20, r);
  go.create();
  const Received rest = receive_all(rx);
  for (const auto& [port, seq] : rest.by_port) r.by_port[port].insert(r.by_port[port].end(), seq.begin(), seq.end());
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  ASSERT_EQ(r.by_port.size(), 4u);
  std::map<std::string, int> acked;
  for (std::size_t k = 0; k < ports.size(); ++k) {
    auto st = servers[k]->wait(20s);
    EXPECT_TRUE(st.ok()) << st.err;
    EXPECT_EQ(count_lines(st.out, "LOST"), 0) << st.out;
    acked[ports[k]] = count_lines(st.out, "ACK ");
  }
  // Every acknowledged frame arrived once, in order, tagged with its server's port.
  for (const auto& p : ports) {
    std::vector<std::int64_t> expect(acked[p]);
    for (int i = 0; i < acked[p]; ++i) expect[i] = i;
    EXPECT_EQ(r.by_port.at(p), expect) << "server " << p;
  }
  // Per-server statistics, in the order the servers first appeared.
  const auto peers = rx.peers();
  ASSERT_EQ(peers.size(), 4u);
  for (const auto& p : peers) {
    EXPECT_EQ(p.frames, static_cast<std::uint64_t>(acked[p.peer])) << p.peer;
    EXPECT_GT(p.bytes, 0u);
    EXPECT_TRUE(p.terminated);
    EXPECT_LE(p.first_seen, p.last_seen);
  }
}

TEST(MultiServer, FourServersOnPubSubEachStreamTaggedAndInOrder) {
  const auto ports = test::free_tcp_ports(4);
  Config rc = receiver_config(Pattern::PubSub, ports);
  rc.options.subscriber_timeout = 5s;  // ends the stream if a termination is lost
  NetGear rx(rc);
  GoFile go;
  std::vector<std::unique_ptr<Child>> servers;
  for (const auto& p : ports) servers.push_back(std::make_unique<Child>(server_args(Pattern::PubSub, p, 0, go.path())));
  Received r;
  receive_until_all_streamed(rx, ports, 20, r);
  go.create();
  const Received rest = receive_all(rx);
  for (const auto& [port, seq] : rest.by_port) r.by_port[port].insert(r.by_port[port].end(), seq.begin(), seq.end());
  // PUB/SUB termination is best effort: a receiver far behind four publishers (a sanitizer build)
  // can lose one, and then subscriber_timeout ends the stream.
  EXPECT_TRUE(rx.end_reason() == EndReason::Terminated || rx.end_reason() == EndReason::SubscriberTimeout);
  EXPECT_EQ(r.by_port.size(), 4u);
  for (const auto& [port, seq] : r.by_port) {
    EXPECT_TRUE(std::find(ports.begin(), ports.end(), port) != ports.end()) << "frame tagged '" << port << "'";
    EXPECT_TRUE(in_order(seq)) << "server " << port;
  }
  for (auto& s : servers) EXPECT_TRUE(s->wait(20s).ok());
}

TEST(MultiServer, StreamEndsOnlyAfterTheLastServerTerminated) {
  const auto ports = test::free_tcp_ports(2);
  NetGear rx(receiver_config(Pattern::ReqRep, ports));
  // Server b (in this process) streams until server a (a child) has come and gone, then sends 10
  // more frames and terminates.
  std::atomic<bool> a_gone{false};
  std::thread b([&] {
    NetGear tx(server_config(Pattern::ReqRep, ports[1]));
    int i = 0;
    while (!a_gone) tx.send(test::peer_frame(i), {{"i", i}}), ++i;
    for (int k = 0; k < 10; ++k, ++i) tx.send(test::peer_frame(i), {{"i", i}});
  });
  // a (10 frames, then its termination) starts once b is streaming: a termination from the only
  // server heard from would end the stream.
  ASSERT_TRUE(test::wait_until([&] { return !rx.peers().empty(); }, 10s));
  Child a(server_args(Pattern::ReqRep, ports[0], 10));
  std::map<std::string, int> n;
  auto a_terminated = [&] {
    for (const auto& p : rx.peers()) {
      if (p.peer == ports[0] && p.terminated) return true;
    }
    return false;
  };
  while (!a_terminated()) {
    auto f = rx.recv(10s);
    ASSERT_TRUE(f) << "server a never terminated";
    ++n[f->peer];
  }
  EXPECT_EQ(rx.end_reason(), EndReason::None) << "b is still streaming";
  a_gone = true;
  int after = 0;
  while (auto f = rx.recv(10s)) {
    ++n[f->peer];
    after += f->peer == ports[1];
  }
  b.join();
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  EXPECT_EQ(n[ports[0]], 10);
  EXPECT_GE(after, 10) << "frames of b after a had terminated";
  EXPECT_TRUE(a.wait(20s).ok());
}

TEST(MultiServer, KilledServerLeavesTheOthersStreamingAndComesBackAsItself) {
  const auto ports = test::free_tcp_ports(2);
  NetGear rx(receiver_config(Pattern::ReqRep, ports));
  auto a = std::make_unique<Child>(server_args(Pattern::ReqRep, ports[0], 0));  // until killed
  Child b(server_args(Pattern::ReqRep, ports[1], 0));
  auto count_until = [&](const std::function<bool(const std::map<std::string, int>&)>& done) {
    std::map<std::string, int> n;
    while (!done(n)) {
      auto f = rx.recv(10s);
      if (!f) return n;
      ++n[f->peer];
    }
    return n;
  };
  auto both = count_until([&](const auto& n) { return n.count(ports[0]) && n.count(ports[1]); });
  ASSERT_TRUE(both.count(ports[0]) && both.count(ports[1]));

  a->signal(SIGKILL);
  a.reset();
  // Frames of the killed server that were already in come first: the receiver's queue (32 by
  // default, held in order), one in its receiving thread's hands and one on its way. After them
  // only the other server streams. (Counting from the kill, the test once saw 2 of a's frames.)
  constexpr int kAlreadyIn = 32 + 2;
  for (int i = 0; i < kAlreadyIn; ++i) ASSERT_TRUE(rx.recv(10s).has_value()) << "b stopped too";
  auto after_kill = count_until([&](const auto& n) { return n.count(ports[1]) && n.at(ports[1]) >= 50; });
  EXPECT_GE(after_kill[ports[1]], 50);
  EXPECT_EQ(after_kill.count(ports[0]), 0u) << "frames of the killed server long after its death";

  Child again(server_args(Pattern::ReqRep, ports[0], 0));
  auto back = count_until([&](const auto& n) { return n.count(ports[0]) && n.at(ports[0]) >= 5; });
  EXPECT_GE(back[ports[0]], 5) << "the restarted server is picked up again";
  EXPECT_EQ(rx.peers().size(), 2u) << "under the same identity";
  EXPECT_EQ(rx.end_reason(), EndReason::None);
}

TEST(MultiServer, NoServerIsStarvedOnReqRep) {
  const auto ports = test::free_tcp_ports(4);
  NetGear rx(receiver_config(Pattern::ReqRep, ports));
  std::vector<std::unique_ptr<Child>> servers;
  for (const auto& p : ports) servers.push_back(std::make_unique<Child>(server_args(Pattern::ReqRep, p, 0)));
  // Count from the moment every server has been heard from.
  std::set<std::string> seen;
  while (seen.size() < ports.size()) {
    auto f = rx.recv(10s);
    ASSERT_TRUE(f);
    seen.insert(f->peer);
  }
  constexpr int kWindow = 2000;  // long enough that scheduling bursts of the 5 processes average out
  std::map<std::string, int> share;
  for (int k = 0; k < kWindow; ++k) {
    auto f = rx.recv(10s);
    ASSERT_TRUE(f);
    ++share[f->peer];
  }
  for (const auto& p : ports) {
    EXPECT_GE(share[p], kWindow * 15 / 100) << "server " << p << " got " << share[p] << " of " << kWindow;
  }
}

// --- bidirectional mode (pattern 1) ----------------------------------------------------------------

TEST(MultiServer, BidirectionalExactRepliesReachTheServerTheyAnswer) {
  const auto ports = test::free_tcp_ports(2);
  Config rc = receiver_config(Pattern::ReqRep, ports);
  rc.options.bidirectional_mode = true;
  rc.options.return_pairing = ReturnPairing::Exact;
  rc.options.answer_timeout = 5s;
  NetGear rx(rc);
  std::atomic<bool> stop{false};
  std::thread app([&] {
    while (!stop) {
      auto f = rx.recv(50ms);
      if (f) rx.answer(f->id, json{{"for", f->peer}, {"i", f->message["i"]}});
    }
  });
  auto run_server = [&](const std::string& port, std::vector<std::string>& problems) {
    Config c = server_config(Pattern::ReqRep, port);
    c.options.request_timeout = 5s;
    NetGear tx(c);
    for (int i = 0; i < 20; ++i) {
      auto r = tx.send(test::peer_frame(i), {{"i", i}});
      const json expect = {{"for", port}, {"i", i}};
      if (!r.delivered || r.return_data.value != expect) {
        problems.push_back("frame " + std::to_string(i) + " got " + r.return_data.value.dump());
      }
    }
    // The stream ends once every server heard from has terminated: not before both were heard.
    if (!test::wait_until([&] { return rx.peers().size() == 2; }, 10s)) problems.push_back("the other server never came");
  };
  std::vector<std::string> p0, p1;
  std::thread s0([&] { run_server(ports[0], p0); });
  std::thread s1([&] { run_server(ports[1], p1); });
  s0.join();
  s1.join();
  stop = true;
  app.join();
  EXPECT_TRUE(p0.empty()) << p0.front();
  EXPECT_TRUE(p1.empty()) << p1.front();
}

// --- on the wire: plain ZeroMQ sockets ---------------------------------------------------------------

std::vector<zmq::message_t> recv_parts(zmq::socket_t& s, std::chrono::milliseconds timeout = 10s) {
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(s, std::back_inserter(parts));
  return parts;
}

bool wire_ack(const std::string& reply) { return reply.rfind("Data received on device: ", 0) == 0; }

std::string header(const std::string& port_json, int i) {
  std::string h = "{";
  if (!port_json.empty()) h += "\"port\": " + port_json + ", ";
  return h + R"("terminate_flag": false, "compression": false, "message": {"i": )" + std::to_string(i) +
         R"(}, "pattern": "1", "dtype": "uint8", "shape": [2, 3]})";
}

class PlainServers : public testing::Test {
 protected:
  PlainServers() : ports_(test::free_tcp_ports(2)), rx_(receiver_config(Pattern::ReqRep, ports_)) {}
  // A plain REQ socket sending as a Python server would; returns the reply text.
  std::string exchange(zmq::socket_t& req, const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      req.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    auto reply = recv_parts(req);
    return reply.size() == 1 ? reply[0].to_string() : "<no reply>";
  }
  zmq::socket_t connect(const std::string& port) {
    zmq::socket_t s(ctx_, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    s.connect("tcp://127.0.0.1:" + port);
    return s;
  }
  std::vector<std::string> ports_;
  NetGear rx_;
  zmq::context_t ctx_{1};
  const std::string payload_ = std::string("\x01\x02\x03\x04\x05\x06", 6);
};

TEST_F(PlainServers, FramesTaggedByPortAndTerminationAnsweredPerServer) {
  auto a = connect(ports_[0]);
  auto b = connect(ports_[1]);
  // A string port and a number port (a Python server may give either): both are names.
  EXPECT_TRUE(wire_ack(exchange(a, {header("\"6001\"", 0), payload_})));
  EXPECT_TRUE(wire_ack(exchange(b, {header("6002", 0), payload_})));
  auto f0 = rx_.recv(5s), f1 = rx_.recv(5s);
  ASSERT_TRUE(f0 && f1);
  std::set<std::string> names = {f0->peer, f1->peer};
  EXPECT_EQ(names, (std::set<std::string>{"6001", "6002"}));

  // A termination from a server that sent nothing is answered and changes nothing.
  EXPECT_EQ(exchange(a, {R"({"terminate_flag": true, "port": "7777"})"}),
            "Termination signal successfully received at client!");
  EXPECT_EQ(exchange(a, {R"({"terminate_flag": true, "port": "6001"})"}),
            "Termination signal successfully received at client!");
  EXPECT_FALSE(rx_.recv(100ms));
  EXPECT_EQ(rx_.end_reason(), EndReason::None) << "6002 still streams";
  EXPECT_TRUE(wire_ack(exchange(b, {header("6002", 1), payload_})));
  auto f2 = rx_.recv(5s);
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->peer, "6002");
  EXPECT_EQ(exchange(b, {R"({"terminate_flag": true, "port": 6002})"}),
            "Termination signal successfully received at client!");
  EXPECT_FALSE(rx_.recv(5s));
  EXPECT_EQ(rx_.end_reason(), EndReason::Terminated);
}

TEST_F(PlainServers, HeadersWithoutAUsablePortAreDroppedAndTheOthersGoOn) {
  auto a = connect(ports_[0]);
  const std::vector<std::string> bad = {"", "null", "1.5", "true", "\"\"", R"({"p": 1})", "[6001]"};
  for (const auto& port : bad) {
    // Answered (the REP socket stays in step), then dropped.
    EXPECT_TRUE(wire_ack(exchange(a, {header(port, 0), payload_}))) << port;
  }
  EXPECT_EQ(exchange(a, {R"({"terminate_flag": true})"}), "Termination signal successfully received at client!");
  EXPECT_TRUE(wire_ack(exchange(a, {header("\"6001\"", 9), payload_})));
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->peer, "6001");
  EXPECT_EQ(f->message["i"], 9);
  EXPECT_EQ(rx_.stats().dropped_malformed, bad.size() + 1);
  EXPECT_EQ(rx_.end_reason(), EndReason::None);
}

TEST(MultiServerOnTheWire, ServerNamesItselfInEveryHeaderAndInItsTermination) {
  const std::string port = std::to_string(test::free_tcp_port());
  zmq::context_t ctx{1};
  zmq::socket_t rep(ctx, zmq::socket_type::rep);
  rep.set(zmq::sockopt::linger, 0);
  rep.bind("tcp://127.0.0.1:" + port);
  Config c = server_config(Pattern::ReqRep, port);
  c.options.jpeg_compression = false;
  NetGear tx(c);
  std::thread t([&] { EXPECT_TRUE(tx.send(cv::Mat(2, 3, CV_8UC1, cv::Scalar(7)), "hi").delivered); });
  auto parts = recv_parts(rep);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].to_string(), R"({"port": ")" + port +
                                      R"(", "terminate_flag": false, "compression": false, "message": "hi", "pattern": "1", "dtype": "uint8", "shape": [2, 3]})");
  rep.send(zmq::str_buffer("Data received on device: ABCD1234 !"));
  t.join();
  std::thread closer([&] { tx.close(); });
  parts = recv_parts(rep);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].to_string(), R"({"terminate_flag": true, "port": ")" + port + R"("})");
  rep.send(zmq::str_buffer("Termination signal successfully received at client!"));
  closer.join();
}

}  // namespace
}  // namespace netgear
