#include "wire/reply.hpp"

#include "netgear/error.hpp"
#include "wire/json_scan.hpp"
#include "wire/json_text.hpp"

namespace netgear::wire {

namespace {

constexpr std::string_view kNdarray = "ndarray";
// The smallest JPEG: a start-of-image and an end-of-image marker.
constexpr std::size_t kMinJpegSize = 4;

[[noreturn]] void missing(const char* key) {
  throw ProtocolError(std::string("reply has no '") + key + "'");
}

}  // namespace

std::string_view python_type(const nlohmann::json& value) noexcept {
  using value_t = nlohmann::json::value_t;
  switch (value.type()) {
    case value_t::null: return "NoneType";
    case value_t::boolean: return "bool";
    case value_t::number_integer:
    case value_t::number_unsigned: return "int";
    case value_t::number_float: return "float";
    case value_t::string: return "str";
    case value_t::array: return "list";
    case value_t::object: return "dict";
    case value_t::binary: return "bytes";
    case value_t::discarded: break;
  }
  return "";
}

void encode_reply(std::string& out, const ReplyHeader& h) {
  out.clear();
  out += '{';
  if (h.port) {
    out += "\"port\": ";
    append_json(out, *h.port);
    out += ", ";
  }
  out += "\"return_type\": ";
  append_json_string(out, h.return_type);
  if (h.return_type == kNdarray) {
    out += ", \"compression\": ";
    append_compression(out, h.compression);
    if (h.compression) {
      out += ", \"array_dtype\": \"\", \"array_shape\": \"\"";
    } else {
      out += ", \"array_dtype\": ";
      append_json_string(out, h.array_dtype);
      out += ", \"array_shape\": ";
      append_shape(out, h.array_shape);
    }
  }
  out += ", \"data\": ";
  append_json(out, h.data);
  out += '}';
}

std::string encode_reply(const ReplyHeader& h) {
  std::string out;
  encode_reply(out, h);
  return out;
}

Reply decode_reply(std::span<const std::string_view> parts) {
  Reply r;
  decode_reply(parts, r);
  return r;
}

void decode_reply(std::span<const std::string_view> parts, Reply& out) {
  out.kind = Reply::Kind::Text;
  out.text = {};
  out.payload = {};
  ReplyHeader& h = out.header;
  h.port.reset();
  h.return_type.assign("NoneType");
  h.data = nullptr;
  h.compression.reset();
  h.array_dtype.clear();
  h.array_shape.clear();

  if (parts.empty()) throw ProtocolError("reply has no parts");
  if (parts.size() > 2) {
    throw ProtocolError("reply has " + std::to_string(parts.size()) + " parts, expected 1 or 2");
  }
  const std::string_view text = parts[0];
  JsonScanner s(text);
  s.skip_bom();
  if (s.peek() != '{') {
    if (parts.size() == 2) throw ProtocolError("reply: part 1 of two is not a JSON object");
    out.text = text;  // an acknowledgement, a termination answer or other text
    return;
  }

  // One pass checks the whole text and notes where each known key's value is (the last one wins
  // when a key repeats); then each value is read from its text, as decode_header does.
  static constexpr std::string_view kKeys[] = {"port",        "return_type", "data",
                                               "compression", "array_dtype", "array_shape"};
  std::string_view values[std::size(kKeys)];
  s.object_values(kKeys, values);
  const auto [port, return_type, data, compression, array_dtype, array_shape] = values;
  if (!s.at_end()) s.fail();

  if (return_type.empty()) missing("return_type");
  if (return_type[0] != '"') throw ProtocolError("reply: 'return_type' is not a string");
  std::string scratch;
  const std::string_view type = JsonScanner(return_type).string(scratch);
  h.return_type.assign(type.data(), type.size());
  if (data.empty()) missing("data");
  if (!port.empty()) h.port = parse_json(port);
  if (data != "null") h.data = parse_json(data);

  if (h.return_type != kNdarray) {
    if (parts.size() == 2) {
      throw ProtocolError("reply: two parts, but 'return_type' is '" + h.return_type + "', not 'ndarray'");
    }
    out.kind = Reply::Kind::Data;
    return;
  }
  if (parts.size() == 1) throw ProtocolError("reply: 'ndarray' reply without its second part (the bytes)");

  if (compression.empty()) missing("compression");
  if (array_dtype.empty()) missing("array_dtype");
  if (array_shape.empty()) missing("array_shape");
  const std::string_view payload = parts[1];
  if (compression == "true") {
    throw ProtocolError("reply: 'compression' is true, expected false or an object");
  }
  if (compression != "false") {
    h.compression = decode_compression(compression, "reply");
    // array_dtype and array_shape are "" for a JPEG payload; not needed.
    if (payload.size() < kMinJpegSize) {
      throw ProtocolError("reply: JPEG payload of " + std::to_string(payload.size()) + " bytes is too short");
    }
  } else {
    if (array_dtype[0] != '"') throw ProtocolError("reply: 'array_dtype' is not a string");
    const std::string_view name = JsonScanner(array_dtype).string(scratch);
    h.array_dtype.assign(name.data(), name.size());
    decode_shape(array_shape, "reply", "array_shape", h.array_shape);
    const std::size_t expected = raw_payload_size(h.array_dtype, h.array_shape);
    if (payload.size() != expected) {
      throw ProtocolError("reply: raw payload has " + std::to_string(payload.size()) + " bytes, expected " +
                          std::to_string(expected) + " for " + h.array_dtype + " of that shape");
    }
  }
  out.kind = Reply::Kind::Frame;
  out.payload = payload;
}

}  // namespace netgear::wire
