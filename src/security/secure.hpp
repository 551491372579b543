// Secure mode (CurveZMQ) for one side, composed onto the transport: the CURVE keys become options
// of the side's SocketSpec (so every re-opened socket has them), the receiver's ZAP handler is a
// service of its net::Context, and failed handshakes come from the link's monitor. docs/security.md.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "link/link.hpp"
#include "net/context.hpp"
#include "net/monitor.hpp"
#include "net/socket_spec.hpp"
#include "netgear/netgear.hpp"

namespace netgear::security {

/// Returns `spec` with secure mode applied (unchanged when c.options.secure_mode is Off): prepares
/// the key folder (a key set is generated when none is there, or with overwrite_cert on a sender),
/// loads the keys this side needs and adds them as CURVE options; on a receiver it also starts the
/// ZAP handler in `ctx` (before any socket of `ctx` binds). Throws KeyFileError naming a missing or
/// corrupt key file.
///
/// Receiver: the CURVE server, its key pair from private_keys/server.key_secret. Sender: the CURVE
/// client, its key pair from private_keys/client.key_secret and the server's public key from
/// public_keys/server.key.
net::SocketSpec secure(net::Context& ctx, const Config& c, net::SocketSpec spec,
                       const std::shared_ptr<spdlog::logger>& log);

/// Logs the failed handshakes of `link` (throttled: the first at once, then one line per 10 s per
/// reason), naming `side` ("receiver", "sender").
void report_handshake_failures(link::Link& link, std::shared_ptr<spdlog::logger> log, std::string side);

/// Handshakes in a row that the receiver closed (none succeeding in between) that mean the keys do
/// not match. A refusal by the receiver's ZAP handler or a protocol error is certain at once; a
/// closed handshake is what a wrong server key looks like from the sender, and also what a
/// receiver killed in the middle of one leaves behind, so one alone is not taken as an
/// authentication failure.
inline constexpr int kClosedHandshakes = 2;

/// A frame was lost while the link saw the events from `before` to `after`: true when they show an
/// authentication failure (no handshake succeeded, and one was refused or failed with a protocol
/// error, or kClosedHandshakes in a row were closed, the last of them in this window).
bool authentication_failed(const net::Monitor::Events& before, const net::Monitor::Events& after);

/// The message of the sender's AuthenticationError for a frame to `endpoint` that met failed
/// handshakes (`after` as in authentication_failed).
std::string authentication_failure(const Config& c, const std::string& endpoint, const net::Monitor::Events& before,
                                   const net::Monitor::Events& after);

}  // namespace netgear::security
