// Replies (receiver -> sender, patterns 0 and 1): encoding and decoding as pure functions with no
// sockets in them, so that they can be unit-tested and fuzzed.
//
// A reply is one of
//   - plain text: the acknowledgement "Data received on device: <ID> !" (ack_text()), or a
//     termination answer (kTerminationReply, kTerminationReplyMultiServer);
//   - in bidirectional or multi-client mode, one JSON part
//       {"port": 5577, "return_type": "str", "data": "hello"}   ("port" only in multi-client mode)
//     with {"return_type": "NoneType", "data": null} when there is no return data;
//   - when the return data is an array (a frame), two parts: the JSON part
//       {"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [64, 64, 3], "data": null}
//     (JPEG: "compression": {"dct": .., "ups": .., "colorspace": ..}, "array_dtype": "", "array_shape": "")
//     then the JPEG or raw bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wire/header.hpp"

namespace netgear::wire {

/// Python type name a vidgear peer gives a JSON value in `return_type`: null "NoneType", boolean "bool",
/// integer (signed or unsigned) "int", float "float", string "str", array "list", object "dict", binary "bytes".
/// (A discarded value, which is no JSON value at all, gives "".)
std::string_view python_type(const nlohmann::json& value) noexcept;

/// Part 1 of a data reply (bidirectional or multi-client mode).
struct ReplyHeader {
  std::optional<nlohmann::json> port;      ///< multi-client: the receiver's port; first key
  std::string return_type = "NoneType";    ///< Python type name; "ndarray" for a frame
  nlohmann::json data;                     ///< the value; null for a frame
  // return_type "ndarray" only (part 2 holds the bytes):
  std::optional<Compression> compression;  ///< nullopt: raw bytes
  std::string array_dtype;                 ///< raw: numpy dtype; "" when compressed
  std::vector<std::int64_t> array_shape;   ///< raw: shape; empty when compressed
};

/// Writes part 1 exactly in vidgear's key order and Python's JSON spacing:
///   {["port": p, ]"return_type": t, "data": d}
/// or, for return_type "ndarray",
///   {["port": p, ]"return_type": "ndarray", "compression": false or {..}, "array_dtype": .., "array_shape": .., "data": d}
/// where a compressed frame gets "array_dtype": "" and "array_shape": "" whatever h holds (as vidgear
/// writes them). The compression and array fields are not written for other return types. Throws
/// netgear::Error for strings that are not UTF-8 (as append_json).
void encode_reply(std::string& out, const ReplyHeader& h);
std::string encode_reply(const ReplyHeader& h);

/// A reply as the sender reads it.
struct Reply {
  enum class Kind { Text, Data, Frame };
  Kind kind = Kind::Text;
  std::string_view text;     ///< Text: the whole part (an ack, a termination answer, or other text)
  ReplyHeader header;        ///< Data and Frame
  std::string_view payload;  ///< Frame: part 2 (JPEG or raw bytes)
};

/// Classifies and decodes the parts of one reply (views into the caller's message buffers, which
/// must outlive `out`):
/// - one part that is not a JSON object (does not start, after JSON white space / a UTF-8 BOM,
///   with '{') -> Text;
/// - one part that is a JSON object with "return_type" (a string) and "data" -> Data (a
///   "return_type" of "ndarray" in one part is an error: its bytes are missing);
/// - two parts whose first is such an object with return_type "ndarray" and valid "compression",
///   "array_dtype", "array_shape" -> Frame; for a raw payload the part-2 size must equal
///   raw_payload_size(array_dtype, array_shape);
/// - anything else (zero parts, more than two, invalid JSON, missing/mistyped keys, a JSON object
///   without return_type, two parts where part 1 is not an ndarray reply, a wrong raw size, a JPEG
///   payload shorter than 4 bytes) throws netgear::ProtocolError saying what is wrong.
/// Unknown extra keys are ignored; when a key repeats, the last one counts (as in a parsed
/// document). Never recurses on peer data (the scanner does not; parse_json is only used on the
/// `data` and `port` values, as decode_header does for `message`). `out` is reset first and its
/// buffers reused.
void decode_reply(std::span<const std::string_view> parts, Reply& out);
Reply decode_reply(std::span<const std::string_view> parts);

}  // namespace netgear::wire
