#include "security/zap.hpp"

#include <array>
#include <vector>

#include <zmq_addon.hpp>

#include "netgear/error.hpp"
#include "security/certificate.hpp"
#include "security/key_folder.hpp"

namespace netgear::security {

ZapHandler::ZapHandler(net::Context& ctx, std::optional<std::filesystem::path> allowed_folder,
                       std::shared_ptr<spdlog::logger> log)
    : folder_(std::move(allowed_folder)), log_(std::move(log)), socket_(ctx.zmq(), zmq::socket_type::rep) {
  if (folder_) {
    std::error_code ec;
    folder_time_ = std::filesystem::last_write_time(*folder_, ec);
    for (const auto& k : allowed_keys(*folder_)) keys_.insert(k.public_key);
    log_->info("IronHouse: {} allowed client key(s) from {}", keys_.size(), folder_->string());
  }
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kEndpoint);
  thread_ = std::thread([this] { run(); });
}

void ZapHandler::start(net::Context& ctx, std::optional<std::filesystem::path> allowed_folder,
                       std::shared_ptr<spdlog::logger> log) {
  ctx.add(std::make_unique<ZapHandler>(ctx, std::move(allowed_folder), std::move(log)));
}

void ZapHandler::stop() noexcept {
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::reload_if_changed() {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(*folder_, ec);
  if (ec || t == folder_time_) return;
  try {
    std::set<std::string> fresh;
    for (const auto& k : allowed_keys(*folder_)) fresh.insert(k.public_key);
    keys_.swap(fresh);
    folder_time_ = t;
    log_->info("IronHouse: {} changed, now {} allowed client key(s)", folder_->string(), keys_.size());
  } catch (const Error& e) {
    folder_time_ = t;  // one line per change
    log_->warn("IronHouse: keeping the {} allowed keys read before: {}", keys_.size(), e.what());
  }
}

bool ZapHandler::allowed(const std::string& mechanism, const std::string& key_bytes, const std::string& address) {
  if (mechanism != "CURVE" || key_bytes.size() != kKeyBytes) {
    log_->warn("secure mode: refused a connection from {} that does not use CURVE (mechanism '{}')", address,
               mechanism);
    return false;
  }
  const std::string z85 = bytes_to_z85(key_bytes);
  if (!folder_) {
    log_->debug("StoneHouse: accepted client key {} from {}", z85, address);
    return true;
  }
  reload_if_changed();
  if (keys_.count(z85) != 0) {
    log_->debug("IronHouse: accepted client key {} from {}", z85, address);
    return true;
  }
  std::uint64_t skipped = 0;
  if (throttle_.allow(z85, skipped)) {
    log_->warn("IronHouse: authentication failed: refused the sender at {} with public key \"{}\": it is not in {} "
               "(add it with `netgear keys allow FILE`, FILE its client.key){}",
               address, z85, folder_->string(),
               skipped > 0 ? " (" + std::to_string(skipped) + " more refusals of this key since the last line)" : "");
  }
  return false;
}

void ZapHandler::run() noexcept {
  std::vector<zmq::message_t> request;
  try {
    for (;;) {
      request.clear();
      // Blocks until a request comes or the context terminates (ETERM, caught below).
      if (!zmq::recv_multipart(socket_, std::back_inserter(request))) continue;
      // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
      // A REP socket answers every request, a malformed one too (libzmq never sends those).
      bool ok = false;
      if (request.size() >= 6 && request[0].to_string_view() == "1.0") {
        ok = allowed(request[5].to_string(), request.size() > 6 ? request[6].to_string() : std::string(),
                     request[3].to_string());
      } else {
        log_->warn("ZAP: refused a malformed request ({} parts)", request.size());
      }
      zmq::message_t id;
      if (request.size() > 1) id = std::move(request[1]);
      // The user id (part 5) stays empty on purpose: with a non-empty one (pyzmq's authenticator
      // sends one), a SUB with RCVHWM 1 as CURVE server delivers nothing on libzmq 4.3.4, which
      // is vidgear's secure PUB/SUB failure (docs/security.md, "How it is built").
      // Nothing of the reply goes on the wire, so this changes nothing for a vidgear peer.
      std::array<zmq::message_t, 6> reply = {zmq::message_t(std::string_view("1.0")), std::move(id),
                                             zmq::message_t(std::string_view(ok ? "200" : "400")),
                                             zmq::message_t(std::string_view(ok ? "OK" : "key not allowed")),
                                             zmq::message_t(), zmq::message_t()};
      (void)zmq::send_multipart(socket_, reply);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) log_->error("ZAP handler stopped: {}", e.what());
  } catch (const std::exception& e) {
    log_->error("ZAP handler stopped: {}", e.what());
  }
  socket_.close();  // lets the context terminate
}

}  // namespace netgear::security
