#include "engine/receiver.hpp"

#include <algorithm>
#include <cstdlib>

#include <zmq_addon.hpp>

#include "engine/errors.hpp"
#include "link/retry_budget.hpp"
#include "net/endpoints.hpp"
#include "net/ipc.hpp"
#include "security/secure.hpp"

namespace netgear::engine {

namespace {

bool is_term(const zmq::error_t& e) { return e.num() == ETERM; }

// Whether the queue drops the oldest frame when full (else it holds the sender back).
bool dropping(const Config& c) { return c.pattern == Pattern::PubSub || c.options.keep_newest; }

// Options::queue_size when unset: a queue that holds the sender back smooths out an application
// that is slow now and then; one that drops hands the application the newest frame.
constexpr std::size_t kHoldingQueue = 32;
constexpr std::size_t kDroppingQueue = 1;

// Pattern 2: how long the application may be away from recv() before the receiving thread reads
// the socket for it (ReadTurns): frames that wait longer than this in the socket's buffers while
// nobody reads are stale ones. 1 ms is at most 1/30 of a frame period of a camera; at a thousand
// frames a second the receiving thread wakes about once a millisecond to look.
constexpr std::chrono::milliseconds kAwayBeforeDraining{1};

// Runs `f` when the scope ends (gives a turn back however the scope is left).
template <typename F>
struct AtExit {
  F f;
  ~AtExit() { f(); }
};
template <typename F>
AtExit(F) -> AtExit<F>;

}  // namespace

Receiver::Receiver(const Config& config, std::shared_ptr<spdlog::logger> log)
    : config_(config),
      traits_(net::traits(config.pattern)),
      log_(std::move(log)),
      device_id_(wire::make_device_id()),
      senders_(make_senders(config_, log_)),
      link_(ctx_, security::secure(ctx_, config_, net::socket_spec(config_), log_),
            std::make_unique<net::FixedEndpoints>(net::make_endpoints(config_))),
      endpoints_(link_.endpoints()),
      decoder_(config.options),
      max_header_size_(config.options.max_header_size),
      exact_(config.options.bidirectional_mode && config.options.return_pairing == ReturnPairing::Exact),
      lazy_(dropping(config) && !exact_),
      lazy_decoder_(config.options),
      queue_(config.options.queue_size.value_or(dropping(config) ? kDroppingQueue : kHoldingQueue),
             config.options.queue_bytes, dropping(config)) {
  // A multi-client receiver replies with data in every case, its port first (vidgear's format).
  const bool multiclient = config_.options.topology == Topology::MultiClient;
  if (config_.options.bidirectional_mode || multiclient) {
    std::optional<json> port;
    if (multiclient) port = net::ports_of(config_).front();
    auto policy = std::make_unique<ReturnDataReply>(config_.options, ctx_.pool(), log_, std::move(port));
    return_data_ = policy.get();
    policy_ = std::move(policy);
  } else {
    policy_ = std::make_unique<AckReply>(device_id_);
  }
  if (config_.options.secure_mode != SecureMode::Off) security::report_handshake_failures(link_, log_, "receiver");
  if (config_.pattern == Pattern::PubSub && config_.protocol == Protocol::Tcp && config_.options.pubsub_socket_buffer > 0) {
    std::vector<int> ports;
    for (const auto& e : endpoints_) ports.push_back(std::atoi(e.substr(e.rfind(':') + 1).c_str()));
    buffer_.emplace(config_.options.pubsub_socket_buffer, std::move(ports));
  }
  if (config_.pattern == Pattern::PubSub) {
    turns_.emplace(kAwayBeforeDraining);
    last_traffic_ = std::chrono::steady_clock::now().time_since_epoch().count();
  }
  if (exact_) answers_ = std::make_unique<Answers>(config_.options.answer_timeout.value_or(config_.options.request_timeout / 2));
  log_->info("receiver bound to {} (pattern {}, device {})", endpoints_.front(), to_string(config_.pattern), device_id_);
  thread_ = std::thread([this] { run(); });
}

void Receiver::run() noexcept {
  try {
    if (turns_) {
      serve_in_turns();
    } else {
      serve();
    }
  } catch (...) {
    fail();
  }
  if (turns_) turns_->close();  // an application reading the socket gives it back first
  link_.close();
  exited_ = true;
}

void Receiver::fail() noexcept {
  try {
    throw;
  } catch (const zmq::error_t& e) {
    if (is_term(e)) {
      queue_.end(EndReason::Closed);
    } else {
      log_->error("receiving failed: {}", e.what());
      queue_.end(EndReason::Failed, translated(std::current_exception()));
    }
  } catch (const std::exception& e) {
    if (queue_.stopping()) {
      queue_.end(EndReason::Closed);  // close() interrupted a re-bind
    } else {
      log_->error("receiving failed: {}", e.what());
      queue_.end(EndReason::Failed, translated(std::current_exception()));
    }
  } catch (...) {
    queue_.end(EndReason::Failed, translated(std::current_exception()));
  }
}

void Receiver::serve() {
  // Patterns 0/1 (pattern 2: serve_in_turns()). How long the socket may stay silent: Lazy Pirate.
  const Options& o = config_.options;
  const std::chrono::milliseconds silence = 3 * o.request_timeout;
  link::RetryBudget budget(o.max_retries);
  for (;;) {
    if (queue_.stopping()) return;
    if (!await_traffic(silence)) {
      if (queue_.stopping()) return;
      if (budget.miss()) {
        log_->warn("no traffic on {} for {} periods of {} ms: ending the stream", endpoints_.front(),
                   budget.misses(), silence.count());
        queue_.end(EndReason::RetriesExhausted);
        return;
      }
      log_->info("no traffic on {} for {} ms: re-binding ({} in a row)", endpoints_.front(), silence.count(),
                 budget.misses());
      if (!rebind(budget, silence)) return;
      continue;
    }
    budget.success();
    if (!read_one(parts_)) return;
  }
}

void Receiver::serve_in_turns() {
  for (;;) {
    if (queue_.stopping() || queue_.reason() != EndReason::None || silent_too_long()) return;
    if (!turns_->thread_takes(slice_left())) continue;
    const AtExit leave{[this] { turns_->thread_leaves(); }};
    // The application is away: keep the queue fresh (it keeps the newest frames) until the
    // application waits for a frame again, which means it keeps up with the stream.
    for (;;) {
      if (queue_.stopping() || silent_too_long()) return;
      if (link_.await(ZMQ_POLLIN, slice_left()) != link::Link::Wait::Ready) continue;
      const bool wanted = turns_->application_waiting();
      if (!read_one(parts_)) return;
      if (wanted) break;
    }
  }
}

bool Receiver::read_in_turn(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!turns_->application_takes()) return false;
  const AtExit leave{[this] { turns_->application_leaves(); }};
  try {
    for (;;) {
      if (queue_.stopping() || queue_.reason() != EndReason::None || !queue_.empty() || silent_too_long()) return true;
      std::chrono::milliseconds slice = slice_left();
      bool last = false;  // at least one look, even with no time left (recv(0ms) polls)
      if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
        if (left <= slice) {
          slice = std::max(std::chrono::milliseconds(0), left);
          last = true;
        }
      }
      if (link_.await(ZMQ_POLLIN, slice) == link::Link::Wait::Ready && !read_one(parts_)) return true;
      if (last) return true;
    }
  } catch (...) {
    fail();
  }
  return true;
}

bool Receiver::read_one(std::vector<zmq::message_t>& parts) {
  parts.clear();
  const bool got = zmq::recv_multipart(link_.socket(), std::back_inserter(parts), zmq::recv_flags::dontwait).has_value();
  if (buffer_) {
    std::size_t size = 0;
    for (const auto& p : parts) size += p.size();
    buffer_->saw(size);
    buffer_->apply(link_.connections());
  }
  if (!got) return true;
  if (turns_) last_traffic_ = std::chrono::steady_clock::now().time_since_epoch().count();
  return on_message(parts);
}

bool Receiver::silent_too_long() {
  const auto& limit = config_.options.subscriber_timeout;
  if (!limit) return false;
  const std::chrono::steady_clock::time_point last{std::chrono::steady_clock::duration(last_traffic_.load())};
  if (std::chrono::steady_clock::now() - last < *limit) return false;
  if (queue_.end(EndReason::SubscriberTimeout)) {
    log_->warn("no frame for {} ms (subscriber_timeout): ending the stream", limit->count());
  }
  return true;
}

std::chrono::milliseconds Receiver::slice_left() const {
  const auto& limit = config_.options.subscriber_timeout;
  if (!limit) return kStopSlice;
  const std::chrono::steady_clock::time_point last{std::chrono::steady_clock::duration(last_traffic_.load())};
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(last + *limit - std::chrono::steady_clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), kStopSlice);
}

bool Receiver::rebind(link::RetryBudget& budget, std::chrono::milliseconds silence) {
  // Our own closed socket lets go of the address within milliseconds; longer means someone else
  // holds it.
  constexpr std::chrono::milliseconds kBindPatience{500};
  for (;;) {
    try {
      link_.reopen(kBindPatience);
      ++reconnects_;
      return true;
    } catch (const net::AddressInUseError& e) {  // other errors (no such folder, ...) end the thread
      if (budget.miss()) {
        log_->warn("re-binding {} failed {} times in a row, ending the stream: {}", endpoints_.front(),
                   budget.misses(), e.what());
        queue_.end(EndReason::RetriesExhausted);
        return false;
      }
      log_->warn("re-binding {} failed ({} in a row), trying again in {} ms: {}", endpoints_.front(),
                 budget.misses(), silence.count(), e.what());
    }
    // No socket to wait on meanwhile: a back-off in slices, so that close() is seen.
    for (auto waited = std::chrono::milliseconds(0); waited < silence; waited += kStopSlice) {
      if (queue_.stopping()) return false;
      std::this_thread::sleep_for(kStopSlice);
    }
    if (queue_.stopping()) return false;
  }
}

bool Receiver::await_traffic(std::chrono::milliseconds silence) {
  // In slices, so that close() is seen within one slice without shutting the context down under
  // replies that are still leaving (a shut-down context drops them; a closed socket's linger
  // lets them go).
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::chrono::milliseconds slice = kStopSlice;
    if (silence.count() >= 0) {
      const auto left = silence - std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start);
      if (left.count() <= 0) return false;
      slice = std::min(slice, left);
    }
    if (link_.await(ZMQ_POLLIN, slice) == link::Link::Wait::Ready) return true;
    if (queue_.stopping()) return false;
  }
}

bool Receiver::on_message(std::vector<zmq::message_t>& parts) {
  wire::FrameHeader& header = header_;
  std::string problem;
  if (parts[0].size() > max_header_size_) {
    // Not even scanned: a parsed JSON document can take many times its text.
    problem = "a header of " + std::to_string(parts[0].size()) + " bytes is larger than max_header_size (" +
              std::to_string(max_header_size_) + ")";
  } else {
    try {
      wire::decode_header(parts[0].to_string_view(), header);
    } catch (const ProtocolError& e) {
      problem = e.what();
    }
  }

  if (problem.empty() && header.terminate) {
    bool ends = false;
    try {
      ends = senders_->terminated(header);
    } catch (const ProtocolError& e) {
      problem = e.what();
    }
    if (!problem.empty()) drop(problem);  // before the answer, as below
    if (traits_.answers_termination) {  // also to one it cannot place: a REP socket stays in step
      replies_.clear();
      replies_.emplace_back(senders_->termination_reply());
      send_reply(replies_);
    }
    if (!problem.empty()) return true;
    if (!ends) return true;
    log_->info("the sender ended the stream");
    queue_.end(EndReason::Terminated);
    return false;
  }
  std::string peer;
  if (problem.empty()) {
    try {
      peer = senders_->identify(header);
    } catch (const ProtocolError& e) {
      problem = e.what();
    }
  }
  // Sticky replies leave before decoding: the sender prepares its next frame while this one is
  // decoded. Malformed messages are answered too, so that a REP socket stays in step. Exact
  // pairing answers a good frame once the application has answered it (below).
  const bool valid = problem.empty() && parts.size() == 2;
  if (problem.empty() && parts.size() != 2) {
    problem = "expected 2 parts (header, payload), got " + std::to_string(parts.size());
  }
  // Counted before the answer leaves: a peer that has its answer finds the drop in stats().
  if (!problem.empty()) drop(problem);
  if (traits_.acknowledged && !(exact_ && valid)) reply(nullptr);
  if (!problem.empty()) return true;

  const std::size_t bytes = parts[0].size() + parts[1].size();
  Pending pending;
  std::size_t pixels = 0;  // bytes of the decoded frame
  try {
    if (lazy_ && header.compression) {
      pixels = decoder_.peek(*header.compression, parts[1]);  // checked now, decoded by recv()
      pending.jpeg = header.compression;
      pending.payload = std::move(parts[1]);
    } else {
      Frame& f = pending.frame;
      f.image = decoder_.decode(header.compression, header.dtype, header.shape, std::move(parts[1]));
      pixels = f.image.total() * f.image.elemSize();
    }
  } catch (const ProtocolError& e) {
    drop(e.what());
    if (exact_) reply(nullptr);  // exact_ implies patterns 0/1 (validate(): bidirectional)
    return true;
  }
  pending.frame.message = std::move(header.message);
  senders_->received(peer, bytes);
  pending.frame.peer = std::move(peer);
  bytes_ += bytes;
  // What the frame holds: its pixels (a raw frame: the message they are in; a JPEG waiting to be
  // decoded: what it will take) and its message, which as a parsed JSON value takes at most about
  // 16 bytes per byte of its text.
  const std::size_t cost = pixels + 16 * parts[0].size();
  const std::uint64_t id = queue_.push(std::move(pending), cost);
  if (exact_ && id != 0) {  // id 0: close() stopped the queue
    const std::optional<EncodedReply> answer = answers_->await(id);
    if (!answer) ++answers_late_;
    reply(answer ? &*answer : nullptr);
  }
  return true;
}

std::optional<Frame> Receiver::recv(std::optional<std::chrono::milliseconds> timeout) {
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout : std::chrono::steady_clock::time_point{};
  for (;;) {
    std::optional<std::chrono::milliseconds> left;
    if (timeout) {
      left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now()));
    }
    std::optional<Pending> p;
    if (!turns_) {
      p = queue_.pop(left);
    } else if (!(p = queue_.pop(std::chrono::milliseconds(0))) && queue_.reason() == EndReason::None) {
      // Pattern 2: read the socket here, unless the receiving thread holds it (the application
      // was away) or another recv() does; then wait for what they queue.
      if (read_in_turn(timeout ? std::optional(deadline) : std::nullopt)) {
        p = queue_.pop(std::chrono::milliseconds(0));
        if (!p && !queue_.stopping() && queue_.reason() == EndReason::None &&
            (!timeout || std::chrono::steady_clock::now() < deadline)) {
          continue;  // a malformed message, or another recv() took the frame
        }
      } else {
        turns_->application_waits();
        const AtExit waited{[this] { turns_->application_waited(); }};
        p = queue_.pop(left);
      }
    }
    if (!p) return std::nullopt;
    if (!p->jpeg) return std::move(p->frame);
    try {
      std::lock_guard lk(lazy_mu_);
      p->frame.image = lazy_decoder_.decode(p->jpeg, {}, {}, std::move(p->payload));
      return std::move(p->frame);
    } catch (const ProtocolError& e) {
      drop(e.what());  // the header was fine, the data was not; the next frame may be
    }
  }
}

void Receiver::reply(const EncodedReply* answer) {
  replies_.clear();
  if (answer) {
    answer->append_to(replies_);
  } else {
    policy_->reply_to(replies_);
  }
  send_reply(replies_);
}

void Receiver::send_reply(std::vector<zmq::message_t>& parts) {
  // Never block on a reply: a PAIR whose peer is gone would wait for ever.
  try {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto more = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!link_.socket().send(parts[i], more | zmq::send_flags::dontwait)) {
        log_->debug("reply not sent: the sender is gone");
        return;
      }
    }
  } catch (const zmq::error_t& e) {
    if (is_term(e)) throw;
    log_->debug("reply not sent: {}", e.what());
  }
}

void Receiver::drop(const std::string& why) {
  ++malformed_;
  log_->warn("dropped a malformed message: {}", why);
}

void Receiver::set_return_data(const json& value) {
  if (!return_data_) {
    throw ModeError("set_return_data() needs bidirectional_mode = true (or multiclient_mode) on the receiver");
  }
  return_data_->set(value);
}

void Receiver::set_return_data(const cv::Mat& frame) {
  if (!return_data_) {
    throw ModeError("set_return_data() needs bidirectional_mode = true (or multiclient_mode) on the receiver");
  }
  return_data_->set(frame);
}

bool Receiver::answer(std::uint64_t id, const ReturnData& data) {
  if (!answers_) {
    throw ModeError("answer() needs bidirectional_mode = true and return_pairing = exact on the receiver");
  }
  // Encoded now, in the caller's thread: a bad answer is the caller's error (whatever the id),
  // and the receiving thread only sends it.
  EncodedReply reply = return_data_->encode(data);
  // Only frames handed to the queue can be answered (an id from elsewhere would wait for ever).
  if (id == 0 || id > queue_.queued()) return false;
  return answers_->answer(id, std::move(reply));
}

void Receiver::close() noexcept {
  if (closing_.exchange(true)) return;
  // The receiving thread sees these within one slice of its wait (a push or an exact-pairing
  // wait wakes at once), sends what it is answering, and closes its socket, whose linger lets the
  // last replies leave. Only a thread that does not leave in time (a re-bind still retrying) is
  // woken by shutting the context down, which makes every ZeroMQ call in it fail with ETERM.
  queue_.stop();
  if (answers_) answers_->stop();
  const auto give_up = std::chrono::steady_clock::now() + 4 * kStopSlice;
  while (!exited_ && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!exited_) ctx_.shutdown();
  if (thread_.joinable()) thread_.join();
  queue_.end(EndReason::Closed);
  ctx_.close();
  // A context shut down while its ipc listener is open does not unlink the socket file; remove it
  // (only if it is a socket) so closed receivers leave nothing behind in the file system.
  for (const auto& e : endpoints_) net::remove_ipc_file(e);
}

Stats Receiver::stats() const {
  Stats s;
  s.frames = queue_.queued();
  s.bytes = bytes_;
  s.reconnects = reconnects_;
  s.dropped_malformed = malformed_;
  s.dropped_queue = queue_.dropped();
  s.queue_bytes_peak = queue_.peak_bytes();
  s.answers_late = answers_late_;
  return s;
}

}  // namespace netgear::engine
