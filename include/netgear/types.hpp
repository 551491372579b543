// NetGear C++ — the enumerations of the public API and their names.
#pragma once

#include <optional>
#include <string_view>

#include "netgear/export.hpp"

namespace netgear {

/// ZeroMQ messaging pattern, numbered as in vidgear.
enum class Pattern : int {
  Pair = 0,    ///< zmq PAIR <-> PAIR, synchronous (each frame is acknowledged)
  ReqRep = 1,  ///< zmq REQ (sender) <-> REP (receiver), synchronous
  PubSub = 2,  ///< zmq PUB (sender) -> SUB (receiver), asynchronous, no acknowledgement
};

/// Transport of the endpoint `<protocol>://<address>:<port>`.
enum class Protocol {
  Tcp,  ///< tcp://address:port
  Ipc,  ///< ipc://address:port, a socket file on this machine
};

/// Pixel order of a JPEG-compressed frame (the frame as handed to send(), and as recv() returns it).
enum class Colorspace {
  BGR,   ///< 3 channels, blue first (OpenCV's order)
  RGB,   ///< 3 channels, red first
  GRAY,  ///< 1 channel
  BGRA,  ///< 4 channels: blue, green, red, alpha
  RGBA,  ///< 4 channels: red, green, blue, alpha
  BGRX,  ///< 4 channels: blue, green, red, unused
  RGBX,  ///< 4 channels: red, green, blue, unused
  XBGR,  ///< 4 channels: unused, blue, green, red
  XRGB,  ///< 4 channels: unused, red, green, blue
  ABGR,  ///< 4 channels: alpha, blue, green, red
  ARGB,  ///< 4 channels: alpha, red, green, blue
  CMYK,  ///< 4 channels: cyan, magenta, yellow, black; travels as a CMYK (YCCK-coded) JPEG, as simplejpeg's
};

/// How many peers one instance talks to (vidgear's multiserver_mode / multiclient_mode, which
/// cannot both be on).
enum class Topology {
  Single,       ///< one sender, one receiver (the primary modes)
  MultiServer,  ///< patterns 1/2: many senders into one receiver, which binds a list of ports
  MultiClient,  ///< patterns 1/2: one sender to many receivers; the sender connects to a list of ports
};

/// CurveZMQ security (vidgear's secure_mode 0, 1, 2).
enum class SecureMode : int {
  Off = 0,         ///< plain text
  StoneHouse = 1,  ///< encrypted; the receiver is authenticated, any sender key is accepted
  IronHouse = 2,   ///< also a whitelist of sender keys
};

/// Bidirectional mode: which frame a reply's return data belongs to (not in vidgear).
enum class ReturnPairing {
  Sticky,  ///< vidgear's: each reply carries the value set last, so it lags the frame it answers
  Exact,   ///< the reply to each frame waits (at most answer_timeout) for answer() to that frame
};

/// Number of channels of a frame in this colorspace (GRAY 1, BGR/RGB 3, the others, CMYK too, 4).
NETGEAR_EXPORT int channels(Colorspace cs) noexcept;
/// Upper-case name as on the wire ("BGR", ...).
NETGEAR_EXPORT std::string_view to_string(Colorspace cs) noexcept;
/// Parses a colorspace name (case-insensitive); nullopt when unknown.
NETGEAR_EXPORT std::optional<Colorspace> parse_colorspace(std::string_view name) noexcept;

/// "0", "1" or "2", as in frame headers.
NETGEAR_EXPORT std::string_view to_string(Pattern p) noexcept;
/// "tcp" or "ipc".
NETGEAR_EXPORT std::string_view to_string(Protocol p) noexcept;
/// "single", "multi-server" or "multi-client".
NETGEAR_EXPORT std::string_view to_string(Topology t) noexcept;
/// "off", "StoneHouse" or "IronHouse".
NETGEAR_EXPORT std::string_view to_string(SecureMode m) noexcept;
/// "sticky" or "exact".
NETGEAR_EXPORT std::string_view to_string(ReturnPairing p) noexcept;

}  // namespace netgear
