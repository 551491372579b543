// append_json as it was first written: walks the value, and has nlohmann's dump() write each
// scalar. The library's writer (src/wire/json_text.cpp) writes scalars itself, without temporary
// strings; tests/wire/wire_test.cpp checks both write the same text for many random values.
#pragma once

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "netgear/error.hpp"

namespace netgear::wire::reference {

inline void append_json_dump(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_json_dump(out, nlohmann::json(k));
        out += ": ";
        append_json_dump(out, v);
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
        append_json_dump(out, v);
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

}  // namespace netgear::wire::reference
