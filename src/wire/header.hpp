// Frame headers, termination messages and replies: encoding and decoding as pure functions with no
// sockets in them (docs/protocol.md), so that they can be unit-tested and fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netgear/types.hpp"
#include "wire/dtype.hpp"  // raw_payload_size

namespace netgear::wire {

/// The `compression` header object: JPEG settings of a payload.
struct Compression {
  bool dct = true;
  bool ups = false;
  Colorspace colorspace = Colorspace::BGR;
  bool operator==(const Compression&) const = default;
};

/// Part 1 of a frame message, or a whole termination message.
struct FrameHeader {
  std::optional<nlohmann::json> port;      ///< multi-server: the sender's port; first key
  bool terminate = false;                  ///< terminate_flag
  std::optional<Compression> compression;  ///< nullopt: raw payload (`"compression": false`)
  nlohmann::json message;                  ///< user data, null when none
  std::string pattern;                     ///< "0", "1" or "2" (informational)
  std::string dtype;                       ///< numpy dtype of a raw payload; "" when compressed
  std::vector<std::int64_t> shape;         ///< shape of a raw payload; empty when compressed
};

/// Writes a frame header exactly in vidgear's key order and Python's JSON spacing, e.g.
/// {"terminate_flag": false, "compression": false, "message": null, "pattern": "0", "dtype": "uint8", "shape": [480, 640, 3]}
void encode_frame_header(std::string& out, const FrameHeader& h);
/// The same with `message` written in place of h.message (the sender's message is not copied).
void encode_frame_header(std::string& out, const FrameHeader& h, const nlohmann::json& message);
std::string encode_frame_header(const FrameHeader& h);

/// The one-part termination message: {"terminate_flag": true} (multi-server: with "port").
std::string encode_termination(const std::optional<nlohmann::json>& port = std::nullopt);

/// A `port` value (frame header, termination or reply) as a peer's name: a string as it is, an
/// integer as its digits. Throws netgear::ProtocolError naming `where` for any other JSON type
/// or an empty string.
std::string port_name(const nlohmann::json& port, std::string_view where);

/// Parses part 1 of a message. A termination message needs only `terminate_flag`; a frame header
/// needs every key with the right type. Throws netgear::ProtocolError saying what is wrong.
FrameHeader decode_header(std::string_view text);
/// The same into an existing header, reusing its buffers (the receiver keeps one for every frame).
void decode_header(std::string_view text, FrameHeader& out);

/// Appends the `compression` value: false for a raw payload (nullopt), else
/// {"dct": true, "ups": false, "colorspace": "BGR"}.
void append_compression(std::string& out, const std::optional<Compression>& c);
/// Appends a raw payload's shape as a JSON array of integers, e.g. [480, 640, 3].
void append_shape(std::string& out, const std::vector<std::int64_t>& shape);
/// Reads the text of a `compression` object (already checked, e.g. returned by JsonScanner::value()),
/// as frame headers and replies carry it: missing or non-bool dct/ups keep their defaults, unknown
/// keys are ignored. Throws netgear::ProtocolError, its message starting with `where` ("frame
/// header", "reply"), when the text is not an object or has no known colorspace.
Compression decode_compression(std::string_view text, std::string_view where);
/// Reads the text of a shape (already checked JSON) into `shape`: a non-empty array of integers.
/// Throws netgear::ProtocolError naming `where` and `key` otherwise.
void decode_shape(std::string_view text, std::string_view where, std::string_view key,
                  std::vector<std::int64_t>& shape);

/// The receiver's text acknowledgement: "Data received on device: <ID> !".
std::string ack_text(std::string_view device_id);
/// true when `reply` is a plain acknowledgement as ack_text() writes it (any device ID).
bool is_ack_text(std::string_view reply) noexcept;

/// Pattern 1 answer to a termination message.
inline constexpr std::string_view kTerminationReply =
    "Termination signal successfully received at Client's end!";
/// Pattern 1 answer to a termination message in multi-server mode.
inline constexpr std::string_view kTerminationReplyMultiServer =
    "Termination signal successfully received at client!";

/// A fresh random device ID: 8 characters of [A-Z0-9].
std::string make_device_id();

}  // namespace netgear::wire
