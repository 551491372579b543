#include "wire/json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "netgear/error.hpp"
#include "wire/json_scan.hpp"

namespace netgear::wire {

namespace {

// Stand-ins for the non-finite tokens while nlohmann parses the text. They start with U+0001,
// a control character a Python peer would have to send on purpose, escaped, to collide with them.
constexpr std::string_view kNaN = "\x01netgear:NaN";
constexpr std::string_view kInf = "\x01netgear:Infinity";
constexpr std::string_view kNegInf = "\x01netgear:-Infinity";

// The surrogate a \uXXXX escape at text[i] names: 1 high, 2 low, 0 neither (or not an escape).
int surrogate_at(std::string_view text, std::size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return 0;
  const char d = text[i + 2], e = text[i + 3];
  if (d != 'd' && d != 'D') return 0;
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (!hex(text[i + 4]) || !hex(text[i + 5])) return 0;
  if (e == '8' || e == '9' || e == 'a' || e == 'A' || e == 'b' || e == 'B') return 1;
  if ((e >= 'c' && e <= 'f') || (e >= 'C' && e <= 'F')) return 2;
  return 0;
}

// Replaces the bare tokens outside strings with quoted stand-ins, and a lone surrogate escape
// (which Python's json reads, nlohmann refuses) with \ufffd, the replacement character, as
// JsonScanner decodes it. Returns false (and leaves `out` untouched) when there are none, the
// common case.
bool replace_tokens(std::string_view text, std::string& out) {
  bool in_string = false;
  bool found = false;
  std::size_t copied = 0;
  auto replace = [&](std::size_t at, std::size_t len, std::string_view with) {
    if (!found) out.reserve(text.size() + 32);
    found = true;
    out.append(text.substr(copied, at - copied));
    out.append(with);
    copied = at + len;
  };
  auto emit = [&](std::size_t at, std::size_t len, std::string_view standin) {
    replace(at, len, "\"\\u0001");
    out.append(standin.substr(1));
    out += '"';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        const int s = surrogate_at(text, i);
        if (s == 1 && surrogate_at(text, i + 6) == 2) {
          i += 11;  // a pair: one character
        } else if (s != 0) {
          replace(i, 6, "\\ufffd");
          i += 5;
        } else {
          ++i;  // skip the escaped character
        }
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == 'N' && text.substr(i, 3) == "NaN") {
      emit(i, 3, kNaN);
      i += 2;
    } else if (c == 'I' && text.substr(i, 8) == "Infinity") {
      emit(i, 8, kInf);
      i += 7;
    } else if (c == '-' && text.substr(i, 9) == "-Infinity") {
      emit(i, 9, kNegInf);
      i += 8;
    }
  }
  if (found) out.append(text.substr(copied));
  return found;
}

bool is_standin(const std::string& s) { return !s.empty() && s[0] == '\x01' && (s == kNaN || s == kInf || s == kNegInf); }

// Iterative, not recursive: the document comes from a peer and may be nested a million deep.
// Returns false when a bare token stood where an object key must be ({NaN: 1}): nlohmann saw the
// quoted stand-in there, but the text was not JSON.
bool restore_tokens(nlohmann::json& root) {
  std::vector<nlohmann::json*> todo{&root};
  while (!todo.empty()) {
    nlohmann::json& v = *todo.back();
    todo.pop_back();
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (is_standin(s)) {
        if (s == kNaN) v = std::nan("");
        else if (s == kInf) v = HUGE_VAL;
        else v = -HUGE_VAL;
      }
    } else if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (is_standin(it.key())) return false;
        todo.push_back(&it.value());
      }
    } else if (v.is_array()) {
      for (auto& child : v) todo.push_back(&child);
    }
  }
  return true;
}

}  // namespace

nlohmann::json parse_json(std::string_view text) {
  std::string replaced;
  const bool has_tokens = replace_tokens(text, replaced);
  std::string_view input = has_tokens ? std::string_view(replaced) : text;
  nlohmann::json v = nlohmann::json::parse(input.begin(), input.end(), nullptr, false);
  if (v.is_discarded() || (has_tokens && !restore_tokens(v))) {
    constexpr std::size_t kShown = 80;
    std::string shown(text.substr(0, kShown));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
    }
    throw ProtocolError("not JSON: '" + shown + (text.size() > kShown ? "...'" : "'"));
  }
  return v;
}

// Writes `s` as a JSON string the way nlohmann's dump() does (UTF-8 kept as is; quote, backslash,
// backspace, form feed, newline, return and tab escaped; other control characters as \u00xx),
// checking that it is well-formed UTF-8.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%02X", static_cast<unsigned>(c));
        throw Error("message cannot be written as JSON: invalid UTF-8 sequence at index " + std::to_string(i) +
                    " (starting 0x" + hex + ")");
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static constexpr char digits[] = "0123456789abcdef";
          out += "\\u00";
          out += digits[c >> 4];
          out += digits[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

namespace {

template <typename Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

void append_json(std::string& out, const nlohmann::json& value) {
  using value_t = nlohmann::json::value_t;
  switch (value.type()) {
    case value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_json_string(out, k);
        out += ": ";
        append_json(out, v);
      }
      out += '}';
      return;
    }
    case value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& v : value) {
        if (!first) out += ", ";
        first = false;
        append_json(out, v);
      }
      out += ']';
      return;
    }
    case value_t::null: out += "null"; return;
    case value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case value_t::string: append_json_string(out, value.get_ref<const std::string&>()); return;
    case value_t::number_integer: append_integer(out, value.get<std::int64_t>()); return;
    case value_t::number_unsigned: append_integer(out, value.get<std::uint64_t>()); return;
    case value_t::number_float: {
      const double d = value.get<double>();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        // nlohmann's own shortest round-trip formatting (what dump() writes: 1.0, 0.1, 1e+100).
        char buf[64];
        char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, d);
        out.append(buf, static_cast<std::size_t>(end - buf));
      }
      return;
    }
    default:
      break;  // binary values: not produced from JSON text; let nlohmann write them
  }
  try {
    out += value.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("message cannot be written as JSON: ") + e.what());
  }
}

std::string to_json_text(const nlohmann::json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace netgear::wire
