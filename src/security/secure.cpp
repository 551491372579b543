#include "security/secure.hpp"

#include "security/certificate.hpp"
#include "security/key_folder.hpp"
#include "security/throttle.hpp"
#include "security/zap.hpp"

namespace netgear::security {

net::SocketSpec secure(net::Context& ctx, const Config& c, net::SocketSpec spec,
                       const std::shared_ptr<spdlog::logger>& log) {
  const Options& o = c.options;
  if (o.secure_mode == SecureMode::Off) return spec;
  const KeyFolder f = key_folder(o.custom_cert_location);
  if (o.overwrite_cert && c.receive_mode) {
    log->warn("secure mode: overwrite_cert is for the sender; this receiver keeps the key set in {}", f.keys.string());
  }
  prepare_key_folder(f, o.overwrite_cert && !c.receive_mode, *log);
  if (c.receive_mode) {
    const Certificate server = load_secret(f.server_secret(), *log);
    // The ZAP handler binds before the CURVE server socket exists, so no handshake skips it.
    std::optional<std::filesystem::path> allowed;
    if (o.secure_mode == SecureMode::IronHouse) allowed = f.public_keys;
    ZapHandler::start(ctx, allowed, log);
    spec.set(ZMQ_CURVE_SECRETKEY, z85_to_bytes(server.secret_key, f.server_secret().string()));
    spec.set(ZMQ_CURVE_PUBLICKEY, z85_to_bytes(server.public_key, f.server_secret().string()));
    spec.set(ZMQ_CURVE_SERVER, 1);
    log->info("secure mode {} ({}): CURVE server, key \"{}\" from {}", static_cast<int>(o.secure_mode),
              to_string(o.secure_mode), server.public_key, f.server_secret().string());
  } else {
    const Certificate client = load_secret(f.client_secret(), *log);
    const Certificate server = load_public(f.server_public());
    spec.set(ZMQ_CURVE_SERVERKEY, z85_to_bytes(server.public_key, f.server_public().string()));
    spec.set(ZMQ_CURVE_PUBLICKEY, z85_to_bytes(client.public_key, f.client_secret().string()));
    spec.set(ZMQ_CURVE_SECRETKEY, z85_to_bytes(client.secret_key, f.client_secret().string()));
    log->info("secure mode {} ({}): CURVE client, key \"{}\"; receiver's key \"{}\" from {}",
              static_cast<int>(o.secure_mode), to_string(o.secure_mode), client.public_key, server.public_key,
              f.server_public().string());
  }
  return spec;
}

void report_handshake_failures(link::Link& link, std::shared_ptr<spdlog::logger> log, std::string side) {
  auto throttle = std::make_shared<Throttle>();
  link.on_handshake_failure([log = std::move(log), side = std::move(side), throttle](const net::Monitor::Events& e) {
    std::uint64_t skipped = 0;
    // One line per reason (the text without the address).
    const auto colon = e.failure.find(": ");
    const std::string reason = colon == std::string::npos ? e.failure : e.failure.substr(colon + 2);
    if (!throttle->allow(reason, skipped)) return;
    log->warn("secure mode: a handshake with the {} failed: {}{}", side == "receiver" ? "sender" : "receiver", e.failure,
              skipped > 0 ? " (" + std::to_string(skipped) + " more since the last line)" : "");
  });
}

bool authentication_failed(const net::Monitor::Events& before, const net::Monitor::Events& after) {
  if (after.handshake_succeeded != before.handshake_succeeded) return false;
  // A refusal or a protocol error (CURVE against plain, keys that do not decrypt) is certain.
  const int certain = (after.handshake_failed - after.handshake_closed) - (before.handshake_failed - before.handshake_closed);
  if (certain > 0) return true;
  return after.handshake_closed > before.handshake_closed && after.handshake_closed_in_a_row >= kClosedHandshakes;
}

std::string authentication_failure(const Config& c, const std::string& endpoint, const net::Monitor::Events& before,
                                   const net::Monitor::Events& after) {
  const KeyFolder f = key_folder(c.options.custom_cert_location);
  const int failed = after.handshake_failed - before.handshake_failed;
  std::string text = "authentication failed: the CURVE handshake with the receiver at " + endpoint + " failed (" +
                     std::to_string(failed) + (failed == 1 ? " time" : " times") + ", no frame delivered): ";
  if (after.auth_failed > before.auth_failed) {
    text += "the receiver refused this sender's public key (IronHouse: the key of " + f.client_secret().string() +
            " is not among the receiver's allowed keys; run `netgear keys allow` there with this machine's " +
            f.client_public().string() + ", or copy the key folder)";
  } else {
    text += "the receiver closed every handshake, so this sender's copy of the receiver's public key (" +
            f.server_public().string() +
            ") is not the receiver's own (its private_keys/server.key_secret), or the receiver does not run in "
            "secure mode; copy the key folder from one machine to the other (docs/security.md)";
  }
  if (!after.failure.empty()) text += ". Last event: " + after.failure;
  return text;
}

}  // namespace netgear::security
