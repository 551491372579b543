#include "engine/senders.hpp"

namespace netgear::engine {

std::string OneSender::identify(const wire::FrameHeader& header) const {
  // A multi-server sender talking to a plain receiver still names itself.
  return header.port ? wire::port_name(*header.port, "frame header") : std::string();
}

std::string ManySenders::identify(const wire::FrameHeader& header) const {
  if (!header.port) throw ProtocolError("multi-server mode: the frame header has no 'port' to tell its server by");
  return wire::port_name(*header.port, "frame header");
}

void ManySenders::received(const std::string& peer, std::size_t bytes) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(mu_);
  auto [it, fresh] = index_.try_emplace(peer, peers_.size());
  if (fresh) {
    PeerStats p;
    p.peer = peer;
    p.first_seen = now;
    peers_.push_back(std::move(p));
    ++active_;
    log_->info("server {} joined the stream ({} streaming)", peer, active_);
  }
  PeerStats& p = peers_[it->second];
  if (p.terminated) {
    p.terminated = false;
    ++active_;
    log_->info("server {} is streaming again ({} streaming)", peer, active_);
  }
  ++p.frames;
  p.bytes += bytes;
  p.last_seen = now;
}

bool ManySenders::terminated(const wire::FrameHeader& header) {
  if (!header.port) throw ProtocolError("multi-server mode: a termination message has no 'port' to tell its server by");
  const std::string peer = wire::port_name(*header.port, "termination message");
  std::lock_guard lk(mu_);
  const auto it = index_.find(peer);
  if (it == index_.end()) {
    log_->info("termination from server {}, which sent no frame: ignored", peer);
    return false;
  }
  PeerStats& p = peers_[it->second];
  if (p.terminated) return false;
  p.terminated = true;
  --active_;
  log_->info("server {} ended its stream ({} still streaming)", peer, active_);
  return active_ == 0;
}

std::vector<PeerStats> ManySenders::stats() const {
  std::lock_guard lk(mu_);
  return peers_;
}

std::unique_ptr<Senders> make_senders(const Config& config, std::shared_ptr<spdlog::logger> log) {
  if (config.options.topology == Topology::MultiServer) return std::make_unique<ManySenders>(std::move(log));
  return std::make_unique<OneSender>();
}

}  // namespace netgear::engine
