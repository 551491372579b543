// A second reply decoder, written the plain way: nlohmann::json's document parser (parse_json on the
// whole part), then checks on the document. The library scans replies without building a document
// (src/wire/reply.cpp); tests/wire/reply_test.cpp and fuzz/fuzz_reply.cpp check that both accept
// the same parts with the same result and reject the same parts with the same message.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "netgear/error.hpp"
#include "wire/header.hpp"
#include "wire/json_text.hpp"
#include "wire/reply.hpp"

namespace netgear::wire::reference {

inline const nlohmann::json& require_reply_key(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) throw ProtocolError(std::string("reply has no '") + key + "'");
  return *it;
}

inline Reply decode_reply_dom(std::span<const std::string_view> parts) {
  Reply r;
  if (parts.empty()) throw ProtocolError("reply has no parts");
  if (parts.size() > 2) throw ProtocolError("reply has " + std::to_string(parts.size()) + " parts, expected 1 or 2");
  std::string_view text = parts[0];
  std::string_view rest = text.substr(text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0);
  const auto first = rest.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || rest[first] != '{') {
    if (parts.size() == 2) throw ProtocolError("reply: part 1 of two is not a JSON object");
    r.text = text;
    return r;
  }
  const nlohmann::json j = parse_json(text);  // an object: the text starts with '{'
  const auto& type = require_reply_key(j, "return_type");
  if (!type.is_string()) throw ProtocolError("reply: 'return_type' is not a string");
  ReplyHeader& h = r.header;
  h.return_type = type.get<std::string>();
  h.data = require_reply_key(j, "data");
  if (auto it = j.find("port"); it != j.end()) h.port = *it;
  if (h.return_type != "ndarray") {
    if (parts.size() == 2) {
      throw ProtocolError("reply: two parts, but 'return_type' is '" + h.return_type + "', not 'ndarray'");
    }
    r.kind = Reply::Kind::Data;
    return r;
  }
  if (parts.size() == 1) throw ProtocolError("reply: 'ndarray' reply without its second part (the bytes)");
  const auto& comp = require_reply_key(j, "compression");
  const auto& dtype = require_reply_key(j, "array_dtype");
  const auto& shape = require_reply_key(j, "array_shape");
  const std::string_view payload = parts[1];
  if (comp.is_boolean() && comp.get<bool>()) {
    throw ProtocolError("reply: 'compression' is true, expected false or an object");
  }
  if (!comp.is_boolean()) {
    if (!comp.is_object()) throw ProtocolError("reply: 'compression' is neither false nor an object");
    Compression c;
    if (auto it = comp.find("dct"); it != comp.end() && it->is_boolean()) c.dct = it->get<bool>();
    if (auto it = comp.find("ups"); it != comp.end() && it->is_boolean()) c.ups = it->get<bool>();
    auto cs = comp.find("colorspace");
    if (cs == comp.end() || !cs->is_string()) throw ProtocolError("reply: compression has no 'colorspace'");
    auto parsed = parse_colorspace(cs->get<std::string>());
    if (!parsed) throw ProtocolError("reply: unknown colorspace '" + cs->get<std::string>() + "'");
    c.colorspace = *parsed;
    h.compression = c;
    if (payload.size() < 4) {
      throw ProtocolError("reply: JPEG payload of " + std::to_string(payload.size()) + " bytes is too short");
    }
  } else {
    if (!dtype.is_string()) throw ProtocolError("reply: 'array_dtype' is not a string");
    h.array_dtype = dtype.get<std::string>();
    if (!shape.is_array() || shape.empty()) throw ProtocolError("reply: 'array_shape' is not a non-empty array");
    for (const auto& d : shape) {
      if (!d.is_number_integer()) throw ProtocolError("reply: 'array_shape' holds a non-integer");
      h.array_shape.push_back(d.get<std::int64_t>());
    }
    const std::size_t expected = raw_payload_size(h.array_dtype, h.array_shape);
    if (payload.size() != expected) {
      throw ProtocolError("reply: raw payload has " + std::to_string(payload.size()) + " bytes, expected " +
                          std::to_string(expected) + " for " + h.array_dtype + " of that shape");
    }
  }
  r.kind = Reply::Kind::Frame;
  r.payload = payload;
  return r;
}

}  // namespace netgear::wire::reference
