// The frame header decoder as it was first written: nlohmann::json's document parser, then checks
// on the document. The library now scans headers without building a document (src/wire/header.cpp);
// tests/wire/header_diff_test.cpp checks both agree on many thousands of well-formed and mangled
// headers, so this copy is the reference for that scanner.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"
#include "wire/header.hpp"
#include "wire/json_text.hpp"

namespace netgear::wire::reference {

inline const nlohmann::json& require(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) throw ProtocolError(std::string("frame header has no '") + key + "'");
  return *it;
}

inline Compression decode_compression(const nlohmann::json& c) {
  if (!c.is_object()) throw ProtocolError("frame header: 'compression' is neither false nor an object");
  Compression out;
  if (auto it = c.find("dct"); it != c.end() && it->is_boolean()) out.dct = it->get<bool>();
  if (auto it = c.find("ups"); it != c.end() && it->is_boolean()) out.ups = it->get<bool>();
  auto cs = c.find("colorspace");
  if (cs == c.end() || !cs->is_string()) throw ProtocolError("frame header: compression has no 'colorspace'");
  auto parsed = parse_colorspace(cs->get<std::string>());
  if (!parsed) throw ProtocolError("frame header: unknown colorspace '" + cs->get<std::string>() + "'");
  out.colorspace = *parsed;
  return out;
}


inline FrameHeader decode_header_dom(std::string_view text) {
  const nlohmann::json j = parse_json(text);
  if (!j.is_object()) throw ProtocolError("frame header is not a JSON object");
  FrameHeader h;
  const auto& flag = require(j, "terminate_flag");
  if (!flag.is_boolean()) throw ProtocolError("frame header: 'terminate_flag' is not a bool");
  h.terminate = flag.get<bool>();
  if (auto it = j.find("port"); it != j.end()) h.port = *it;
  if (h.terminate) return h;  // a termination message carries nothing else

  const auto& comp = require(j, "compression");
  if (comp.is_boolean()) {
    if (comp.get<bool>()) throw ProtocolError("frame header: 'compression' is true, expected false or an object");
  } else {
    h.compression = decode_compression(comp);
  }
  h.message = require(j, "message");
  if (auto it = j.find("pattern"); it != j.end()) {
    h.pattern = it->is_string() ? it->get<std::string>() : std::string();  // changed in session 2: was dump()
  }
  const auto& dtype = require(j, "dtype");
  const auto& shape = require(j, "shape");
  if (h.compression) return h;  // dtype and shape are "" for JPEG payloads; not needed

  if (!dtype.is_string()) throw ProtocolError("frame header: 'dtype' is not a string");
  h.dtype = dtype.get<std::string>();
  if (!shape.is_array() || shape.empty()) throw ProtocolError("frame header: 'shape' is not a non-empty array");
  h.shape.reserve(shape.size());
  for (const auto& d : shape) {
    if (!d.is_number_integer()) throw ProtocolError("frame header: 'shape' holds a non-integer");
    h.shape.push_back(d.get<std::int64_t>());
  }
  return h;
}

}  // namespace netgear::wire::reference
