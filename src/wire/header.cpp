#include "wire/header.hpp"

#include <limits>
#include <random>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"
#include "wire/json_text.hpp"

namespace netgear::wire {

namespace {

const char* boolean(bool b) { return b ? "true" : "false"; }

void append_quoted(std::string& out, std::string_view s) { append_json(out, nlohmann::json(std::string(s))); }

const nlohmann::json& require(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) throw ProtocolError(std::string("frame header has no '") + key + "'");
  return *it;
}

Compression decode_compression(const nlohmann::json& c) {
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

}  // namespace

void encode_frame_header(std::string& out, const FrameHeader& h) {
  out.clear();
  out += '{';
  if (h.port) {
    out += "\"port\": ";
    append_json(out, *h.port);
    out += ", ";
  }
  out += "\"terminate_flag\": ";
  out += boolean(h.terminate);
  out += ", \"compression\": ";
  if (h.compression) {
    out += "{\"dct\": ";
    out += boolean(h.compression->dct);
    out += ", \"ups\": ";
    out += boolean(h.compression->ups);
    out += ", \"colorspace\": \"";
    out += to_string(h.compression->colorspace);
    out += "\"}";
  } else {
    out += "false";
  }
  out += ", \"message\": ";
  append_json(out, h.message);
  out += ", \"pattern\": ";
  append_quoted(out, h.pattern);
  out += ", \"dtype\": ";
  append_quoted(out, h.dtype);
  out += ", \"shape\": ";
  if (h.compression) {
    out += "\"\"";
  } else {
    out += '[';
    for (std::size_t i = 0; i < h.shape.size(); ++i) {
      if (i) out += ", ";
      out += std::to_string(h.shape[i]);
    }
    out += ']';
  }
  out += '}';
}

std::string encode_frame_header(const FrameHeader& h) {
  std::string out;
  encode_frame_header(out, h);
  return out;
}

std::string encode_termination(const std::optional<nlohmann::json>& port) {
  std::string out = "{\"terminate_flag\": true";
  if (port) {
    out += ", \"port\": ";
    append_json(out, *port);
  }
  out += '}';
  return out;
}

FrameHeader decode_header(std::string_view text) {
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
    h.pattern = it->is_string() ? it->get<std::string>() : it->dump();
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

std::size_t raw_payload_size(std::string_view dtype, const std::vector<std::int64_t>& shape) {
  auto t = parse_dtype(dtype);
  if (!t) throw ProtocolError("unsupported dtype '" + std::string(dtype) + "'");
  std::size_t n = t->itemsize;
  for (auto d : shape) {
    if (d < 0) throw ProtocolError("negative dimension in shape");
    const auto ud = static_cast<std::size_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::size_t>::max() / ud) {
      throw ProtocolError("shape is too large");
    }
    n *= ud;
  }
  return n;
}

std::string ack_text(std::string_view device_id) {
  std::string s = "Data received on device: ";
  s += device_id;
  s += " !";
  return s;
}

bool is_ack_text(std::string_view reply) noexcept {
  constexpr std::string_view prefix = "Data received on device: ";
  constexpr std::string_view suffix = " !";
  return reply.size() >= prefix.size() + suffix.size() && reply.substr(0, prefix.size()) == prefix &&
         reply.substr(reply.size() - suffix.size()) == suffix;
}

std::string make_device_id() {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string id(8, ' ');
  for (char& c : id) c = alphabet[pick(gen)];
  return id;
}

}  // namespace netgear::wire
