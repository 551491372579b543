// Multi-client mode: one sender feeding many receivers (clients), each bound to its own port
// (docs/protocol.md, section 5.2). Pattern 1 gives each frame to one client in turn, pattern 2
// to all of them. The clients run as separate processes (they are killed and restarted), or as
// plain ZeroMQ sockets for the bytes on the wire.
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

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

Config sender_config(Pattern pattern, const std::vector<std::string>& ports,
                     std::chrono::milliseconds timeout = 1000ms) {
  Config c = test::config(false, pattern, Protocol::Tcp, ports.front());
  c.port = ports;
  c.options.topology = Topology::MultiClient;
  c.options.request_timeout = timeout;
  return c;
}

std::unique_ptr<Child> start_client(Pattern pattern, const std::string& port, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {test::peer_path(), "recv", "--pattern", std::to_string(static_cast<int>(pattern)),
                                "--protocol", "tcp", "--address", "127.0.0.1", "--port", port, "--timeout-ms",
                                "1000", "--retries", "0", "--multiclient", "1"};
  a.insert(a.end(), extra.begin(), extra.end());
  auto child = std::make_unique<Child>(a);
  EXPECT_TRUE(child->wait_for_output("READY", 10s)) << "client " << port;
  return child;
}

// true once the client has printed the line for frame i.
bool printed(Child& c, int i) { return c.output().find("FRAME " + std::to_string(i) + " ") != std::string::npos; }

std::string refused(NetGear& tx, std::vector<std::unique_ptr<Child>>* clients = nullptr) {
  std::string out;
  if (clients) {
    for (auto& c : *clients) {
      auto o = c->output();
      out += "[" + o.substr(o.size() > 80 ? o.size() - 80 : 0) + "] ";
    }
  }
  for (const auto& p : tx.peers()) out += p.peer + ":" + std::to_string(p.frames_lost) + " ";
  return out;
}

// Subscriptions take a moment to arrive: sends frames i, i+1, ... until one has reached every
// client (then no pipe holds a frame any more). false after 10 s.
bool subscribed(NetGear& tx, std::vector<std::unique_ptr<Child>>& clients, int& i) {
  return test::wait_until([&] {
    tx.send(test::peer_frame(i), {{"i", i}});
    const int sent = i++;
    return test::wait_until([&] {
      return std::all_of(clients.begin(), clients.end(), [&](auto& c) { return printed(*c, sent); });
    }, 300ms);
  }, 10s);
}

// The "i" of every FRAME line a client printed.
std::vector<long> frames_of(const std::string& out) {
  std::vector<long> v;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("FRAME ", 0) == 0) v.push_back(std::stol(line.substr(6)));
  }
  return v;
}

// --- pattern 1: round robin ----------------------------------------------------------------------

TEST(MultiClient, ReqRepDealsFramesRoundRobinAndNamesTheClientThatAnswered) {
  const auto ports = test::free_tcp_ports(4);
  std::vector<std::unique_ptr<Child>> clients;
  for (const auto& p : ports) clients.push_back(start_client(Pattern::ReqRep, p));
  NetGear tx(sender_config(Pattern::ReqRep, ports));
  constexpr int kFrames = 40;
  std::map<std::string, std::vector<long>> sent_to;
  for (int i = 0; i < kFrames; ++i) {
    auto r = tx.send(test::peer_frame(i), {{"i", i}});
    ASSERT_TRUE(r.delivered) << "frame " << i;
    ASSERT_TRUE(std::find(ports.begin(), ports.end(), r.peer) != ports.end()) << "peer '" << r.peer << "'";
    EXPECT_TRUE(r.return_data.value.is_null());  // a client replies NoneType until it sets data
    sent_to[r.peer].push_back(i);
  }
  for (const auto& p : ports) {
    EXPECT_NEAR(static_cast<double>(sent_to[p].size()), kFrames / 4.0, 1.0) << "client " << p;
  }
  // Per-client statistics, in the order of the ports.
  const auto peers = tx.peers();
  ASSERT_EQ(peers.size(), 4u);
  for (std::size_t k = 0; k < peers.size(); ++k) {
    EXPECT_EQ(peers[k].peer, ports[k]);
    EXPECT_EQ(peers[k].frames, sent_to[ports[k]].size());
    EXPECT_EQ(peers[k].frames_lost, 0u);
  }
  // Every client replied, so every client gets the termination and ends its stream.
  tx.close();
  for (std::size_t k = 0; k < ports.size(); ++k) {
    auto st = clients[k]->wait(20s);
    ASSERT_TRUE(st.ok()) << st.err;
    EXPECT_NE(st.out.find("END terminated"), std::string::npos) << st.out;
    EXPECT_EQ(frames_of(st.out), sent_to[ports[k]]) << "client " << ports[k] << " got exactly its frames";
  }
}

TEST(MultiClient, ReturnDataComesBackFromTheClientThatAnswered) {
  const auto ports = test::free_tcp_ports(3);
  std::vector<std::unique_ptr<Child>> clients;
  // Return data flows in multi-client mode without bidirectional mode (vidgear's rule); the
  // first client has it on as well.
  for (std::size_t k = 0; k < ports.size(); ++k) {
    std::vector<std::string> extra = {"--return", "\"from " + ports[k] + "\""};
    if (k == 0) extra.insert(extra.end(), {"--bidirectional", "1"});
    clients.push_back(start_client(Pattern::ReqRep, ports[k], extra));
  }
  NetGear tx(sender_config(Pattern::ReqRep, ports));
  for (int i = 0; i < 12; ++i) {
    auto r = tx.send(test::peer_frame(i), {{"i", i}});
    ASSERT_TRUE(r.delivered);
    EXPECT_EQ(r.return_data.value, json("from " + r.peer)) << "frame " << i;
  }
}

TEST(MultiClient, KilledClientIsSkippedWithoutLosingFramesAndRejoinsWhenRestarted) {
  const auto ports = test::free_tcp_ports(3);
  std::vector<std::unique_ptr<Child>> clients;
  for (const auto& p : ports) clients.push_back(start_client(Pattern::ReqRep, p));
  NetGear tx(sender_config(Pattern::ReqRep, ports, 300ms));
  int i = 0;
  auto send = [&] { return tx.send(test::peer_frame(i), {{"i", i++}}); };
  for (int k = 0; k < 9; ++k) ASSERT_TRUE(send().delivered);

  clients[1]->signal(SIGKILL);
  clients[1]->wait(5s);
  int lost = 0;
  std::map<std::string, int> after;
  for (int k = 0; k < 60; ++k) {
    auto r = send();
    if (!r.delivered) ++lost;
    else ++after[r.peer];
  }
  EXPECT_LE(lost, 1) << "at most one frame lost for one kill";
  EXPECT_GE(after[ports[0]] + after[ports[2]], 59);

  clients[1] = start_client(Pattern::ReqRep, ports[1]);
  // It is tried again after its back-off (at most 8 x 300 ms).
  EXPECT_TRUE(test::wait_until([&] { return send().peer == ports[1]; }, 10s))
      << "the restarted client is in the rotation again";
}

TEST(MultiClient, RetriesExhaustedOnlyWhenNoClientAnswers) {
  const auto ports = test::free_tcp_ports(2);
  Config c = sender_config(Pattern::ReqRep, ports, 100ms);
  c.options.max_retries = 3;
  NetGear tx(c);  // nobody listens
  int lost = 0;
  try {
    for (; lost < 10; ++lost) EXPECT_FALSE(tx.send(test::peer_frame(lost)).delivered);
    FAIL() << "no RetriesExhaustedError";
  } catch (const RetriesExhaustedError& e) {
    EXPECT_NE(std::string(e.what()).find("no client answered"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lost, 2) << "the third unanswered frame uses the budget (max_retries 3) up";
}

// --- pattern 2: broadcast ------------------------------------------------------------------------

TEST(MultiClient, PubSubEveryClientGetsEveryFrameAndTheTermination) {
  const auto ports = test::free_tcp_ports(4);
  std::vector<std::unique_ptr<Child>> clients;
  for (const auto& p : ports) clients.push_back(start_client(Pattern::PubSub, p));
  NetGear tx(sender_config(Pattern::PubSub, ports));
  int i = 0;
  ASSERT_TRUE(subscribed(tx, clients, i)) << refused(tx, &clients);
  const int first = i;
  constexpr int kFrames = 50;
  for (int k = 0; k < kFrames; ++k, ++i) {
    // Paced by the clients: the next frame leaves once every client has shown this one, so no
    // pipe is full when it does (a full one would drop it: SNDHWM 1).
    tx.send(test::peer_frame(i), {{"i", i}});
    ASSERT_TRUE(test::wait_until([&] {
      return std::all_of(clients.begin(), clients.end(), [&](auto& c) { return printed(*c, i); });
    }, 10s)) << "frame " << i << " did not reach every client; refused by the clients: " << refused(tx, &clients);
  }
  tx.close();
  for (std::size_t k = 0; k < ports.size(); ++k) {
    auto st = clients[k]->wait(20s);
    ASSERT_TRUE(st.ok()) << st.err;
    EXPECT_NE(st.out.find("END terminated"), std::string::npos) << "client " << ports[k];
    auto got = frames_of(st.out);
    for (int j = first; j < first + kFrames; ++j) {
      EXPECT_TRUE(std::find(got.begin(), got.end(), j) != got.end()) << "client " << ports[k] << " lacks frame " << j;
    }
  }
}

TEST(MultiClient, PubSubSlowClientDoesNotHoldTheOthersBack) {
  const auto ports = test::free_tcp_ports(3);
  std::vector<std::unique_ptr<Child>> clients;
  clients.push_back(start_client(Pattern::PubSub, ports[0]));
  clients.push_back(start_client(Pattern::PubSub, ports[1]));
  clients.push_back(start_client(Pattern::PubSub, ports[2], {"--delay-ms", "40"}));  // a slow application
  NetGear tx(sender_config(Pattern::PubSub, ports));
  int i = 0;
  ASSERT_TRUE(subscribed(tx, clients, i)) << refused(tx, &clients);
  const int first = i;
  constexpr int kFrames = 150;
  for (int k = 0; k < kFrames; ++k, ++i) {
    // Paced by the fast clients only: the slow one must not hold them back.
    tx.send(test::peer_frame(i), {{"i", i}});
    ASSERT_TRUE(test::wait_until([&] { return printed(*clients[0], i) && printed(*clients[1], i); }, 10s))
        << "frame " << i << " did not reach both fast clients; refused by the clients: " << refused(tx);
  }
  tx.close();
  std::vector<int> got(ports.size());
  for (std::size_t k = 0; k < ports.size(); ++k) {
    auto st = clients[k]->wait(30s);
    ASSERT_TRUE(st.ok()) << st.err;
    EXPECT_NE(st.out.find("END terminated"), std::string::npos) << "client " << ports[k];
    const auto f = frames_of(st.out);
    got[k] = static_cast<int>(std::count_if(f.begin(), f.end(), [&](long j) { return j >= first && j < first + kFrames; }));
  }
  EXPECT_EQ(got[0], kFrames) << "a fast client gets every frame";
  EXPECT_EQ(got[1], kFrames) << "a fast client gets every frame";
  // It shows one frame per 40 ms and keeps the newest 32 waiting (PUB/SUB queues keep the newest).
  EXPECT_LT(got[2], kFrames / 2) << "the slow client drops frames";
}

// --- on the wire: plain ZeroMQ sockets ---------------------------------------------------------------

std::vector<zmq::message_t> recv_parts(zmq::socket_t& s, std::chrono::milliseconds timeout = 10s) {
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(s, std::back_inserter(parts));
  return parts;
}

TEST(MultiClientOnTheWire, PortFirstRepliesAreReadAndAMalformedOneCarriesNothing) {
  const auto ports = test::free_tcp_ports(2);
  zmq::context_t ctx{1};
  std::vector<zmq::socket_t> reps;
  for (const auto& p : ports) {
    reps.emplace_back(ctx, zmq::socket_type::rep);
    reps.back().set(zmq::sockopt::linger, 0);
    reps.back().bind("tcp://127.0.0.1:" + p);
  }
  NetGear tx(sender_config(Pattern::ReqRep, ports));
  auto answer = [&](std::size_t k, const std::string& reply) {
    auto parts = recv_parts(reps[k]);
    EXPECT_EQ(parts.size(), 2u);
    reps[k].send(zmq::buffer(reply));
  };
  // Round robin: the first frame goes to the first port.
  std::thread t([&] { answer(0, R"({"port": ")" + ports[0] + R"(", "return_type": "str", "data": "x"})"); });
  auto r = tx.send(test::peer_frame(0));
  t.join();
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.peer, ports[0]);
  EXPECT_EQ(r.return_data.value, "x");

  t = std::thread([&] { answer(1, R"({"port": ")" + ports[1] + R"(", "return_type": "int", "data": )"); });
  r = tx.send(test::peer_frame(1));
  t.join();
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.peer, ports[1]);
  EXPECT_TRUE(r.return_data.value.is_null()) << "a malformed reply carries nothing";
  EXPECT_EQ(tx.stats().malformed_replies, 1u);
}

TEST(MultiClientOnTheWire, ClientRepliesWithItsPortFirst) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = test::config(true, Pattern::ReqRep, Protocol::Tcp, port);
  c.options.topology = Topology::MultiClient;
  NetGear rx(c);
  zmq::context_t ctx{1};
  zmq::socket_t req(ctx, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.connect("tcp://127.0.0.1:" + port);
  const std::string header =
      R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": "uint8", "shape": [1, 2]})";
  req.send(zmq::buffer(header), zmq::send_flags::sndmore);
  req.send(zmq::str_buffer("ab"));
  auto reply = recv_parts(req);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].to_string(), R"({"port": ")" + port + R"(", "return_type": "NoneType", "data": null})");
  rx.set_return_data(json{{"k", 1}});
  req.send(zmq::buffer(header), zmq::send_flags::sndmore);
  req.send(zmq::str_buffer("ab"));
  reply = recv_parts(req);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].to_string(), R"({"port": ")" + port + R"(", "return_type": "dict", "data": {"k": 1}})");
}

}  // namespace
}  // namespace netgear
