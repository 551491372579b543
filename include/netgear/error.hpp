// NetGear C++ — error types.
//
// Every exception the library throws derives from netgear::Error, so `catch (const netgear::Error&)`
// catches them all. Time-outs and "no frame yet" are not errors: recv() returns an empty optional.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "netgear/export.hpp"

namespace netgear {

/// Root of every exception thrown by NetGear.
class NETGEAR_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bad option name or value, or two settings that cannot be used together. option() names the
/// (first) offending option by its vidgear name, e.g. "jpeg_compression_quality".
class NETGEAR_EXPORT OptionError : public Error {
 public:
  /// `option`: the vidgear name of the offending option; `what`: the whole message.
  OptionError(std::string option, const std::string& what) : Error(what), option_(std::move(option)) {}
  /// The vidgear name of the offending option.
  const std::string& option() const noexcept { return option_; }

 private:
  std::string option_;
};

/// A call that the instance's mode does not allow, e.g. send() on a receiver or recv() on a sender.
/// The instance stays usable for its own mode.
class NETGEAR_EXPORT ModeError : public Error {
 public:
  using Error::Error;
};

/// A mode that is valid but not implemented by this build (this version implements every mode).
class NETGEAR_EXPORT UnsupportedError : public Error {
 public:
  using Error::Error;
};

/// A socket could not be bound or connected. The message says which side binds and which address
/// it needs.
class NETGEAR_EXPORT ConnectionError : public Error {
 public:
  using Error::Error;
};

/// The peer did not answer `max_retries` times in a row (Lazy Pirate gave up).
class NETGEAR_EXPORT RetriesExhaustedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

/// The SSH tunnel (Options::ssh_tunnel) could not be set up at construction: the SSH server is
/// unreachable or refused the connection, its host key is unknown or changed, authentication
/// failed, the server refused the forward, or nothing listens on the target port as seen from the
/// SSH host. reason() says which; the message says what to check. A ConnectionError, so that code
/// catching those catches this too.
class NETGEAR_EXPORT TunnelError : public ConnectionError {
 public:
  /// What failed.
  enum class Reason {
    Unreachable,     ///< no answer from the SSH server (or its name does not resolve) in time
    Refused,         ///< the SSH server's host refused the TCP connection (no sshd on that port)
    HostKeyUnknown,  ///< the server's host key is not in known_hosts (the message has its fingerprint)
    HostKeyChanged,  ///< the server's host key differs from the one in known_hosts (never accepted)
    AuthFailed,      ///< every authentication method tried was refused (the message lists them)
    ForwardRefused,  ///< the server does not allow the forward (e.g. AllowTcpForwarding no)
    TargetClosed,    ///< nothing listens on the target address:port as seen from the SSH host
    Other,           ///< anything else (SSH protocol errors, a key file that cannot be read, ...)
  };
  /// `reason`: what failed; `what`: the whole message.
  TunnelError(Reason reason, const std::string& what) : ConnectionError(what), reason_(reason) {}
  /// What failed.
  Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

/// Secure mode, patterns 0/1: the CURVE handshake with the receiver failed, so the frame could
/// not be delivered: the receiver refused this sender's public key (IronHouse: the key is not in
/// its public_keys/ folder), or it closed every handshake because the sender holds another server
/// public key than the receiver's own (public_keys/server.key does not match the receiver's
/// private_keys/server.key_secret). Thrown by send() for the frame that met it, instead of a
/// silent time-out; the connection is retried with the next frame. The message says which.
class NETGEAR_EXPORT AuthenticationError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

/// Secure mode: a key file that is missing, unreadable or not a CURVE certificate (a corrupt Z85
/// text), or a key folder that cannot be made or written. Thrown by the constructor; file() names
/// the file or folder.
class NETGEAR_EXPORT KeyFileError : public Error {
 public:
  /// `file`: the file or folder at fault; `what`: the whole message.
  KeyFileError(std::string file, const std::string& what) : Error(what), file_(std::move(file)) {}
  /// The file or folder at fault.
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

/// A frame that cannot be sent as asked, e.g. an explicit JPEG colorspace that does not match the
/// frame's channel count, or an element type that has no numpy equivalent.
class NETGEAR_EXPORT FrameError : public Error {
 public:
  using Error::Error;
};

/// A message from a peer that does not follow the wire protocol. The receiver drops such messages
/// (with a log line) and keeps running; the pure decoding functions throw this.
class NETGEAR_EXPORT ProtocolError : public Error {
 public:
  using Error::Error;
};

/// The instance was closed, or used after close().
class NETGEAR_EXPORT ClosedError : public Error {
 public:
  using Error::Error;
};

}  // namespace netgear
