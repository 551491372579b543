// NetGear C++ — error types.
//
// Every exception the library throws derives from netgear::Error, so `catch (const netgear::Error&)`
// catches them all. Time-outs and "no frame yet" are not errors: recv() returns an empty optional.
#pragma once

#include <stdexcept>
#include <string>

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

/// A mode that is valid but not (yet) implemented by this build.
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
