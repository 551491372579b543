#include "wire/json_text.hpp"

#include <cmath>

#include "netgear/error.hpp"

namespace netgear::wire {

namespace {

// Stand-ins for the non-finite tokens while nlohmann parses the text. They start with U+0001,
// a control character a Python peer would have to send on purpose, escaped, to collide with them.
constexpr std::string_view kNaN = "\x01netgear:NaN";
constexpr std::string_view kInf = "\x01netgear:Infinity";
constexpr std::string_view kNegInf = "\x01netgear:-Infinity";

// Replaces the bare tokens outside strings with quoted stand-ins. Returns false (and leaves `out`
// untouched) when there are none, the common case.
bool replace_tokens(std::string_view text, std::string& out) {
  bool in_string = false;
  bool found = false;
  std::size_t copied = 0;
  auto emit = [&](std::size_t at, std::size_t len, std::string_view standin) {
    if (!found) out.reserve(text.size() + 32);
    found = true;
    out.append(text.substr(copied, at - copied));
    out += '"';
    out += "\\u0001";
    out.append(standin.substr(1));
    out += '"';
    copied = at + len;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character
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

void restore_tokens(nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!s.empty() && s[0] == '\x01') {
      if (s == kNaN) v = std::nan("");
      else if (s == kInf) v = HUGE_VAL;
      else if (s == kNegInf) v = -HUGE_VAL;
    }
  } else if (v.is_structured()) {
    for (auto& child : v) restore_tokens(child);
  }
}

}  // namespace

nlohmann::json parse_json(std::string_view text) {
  std::string replaced;
  const bool has_tokens = replace_tokens(text, replaced);
  std::string_view input = has_tokens ? std::string_view(replaced) : text;
  nlohmann::json v = nlohmann::json::parse(input.begin(), input.end(), nullptr, false);
  if (v.is_discarded()) {
    constexpr std::size_t kShown = 80;
    std::string shown(text.substr(0, kShown));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
    }
    throw ProtocolError("not JSON: '" + shown + (text.size() > kShown ? "...'" : "'"));
  }
  if (has_tokens) restore_tokens(v);
  return v;
}

void append_json(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_json(out, nlohmann::json(k));
        out += ": ";
        append_json(out, v);
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
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
    case nlohmann::json::value_t::number_float: {
      double d = value.get<double>();
      if (std::isnan(d)) {
        out += "NaN";
        return;
      }
      if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
        return;
      }
      break;
    }
    default:
      break;
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
