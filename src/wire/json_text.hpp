// JSON text as Python peers read and write it.
//
// Python's json module writes the bare tokens NaN, Infinity and -Infinity for non-finite floats,
// which strict JSON parsers (nlohmann included) reject. These helpers accept them on input and
// write them on output, so a NaN sent from either side comes back as a NaN.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace netgear::wire {

/// Parses JSON text, also accepting NaN, Infinity and -Infinity outside strings, and lone surrogate
/// escapes ("\ud800", as Python's json.dumps writes a lone surrogate), decoded to U+FFFD.
/// Throws netgear::ProtocolError for text that is not JSON.
nlohmann::json parse_json(std::string_view text);

/// Appends `value` as JSON text the way Python's json.dumps writes it: ", " and ": " separators,
/// NaN/Infinity/-Infinity tokens for non-finite floats (UTF-8 is written as is). Throws
/// netgear::Error for strings that are not valid UTF-8.
void append_json(std::string& out, const nlohmann::json& value);
std::string to_json_text(const nlohmann::json& value);

/// Appends `s` as a JSON string (quoted and escaped as append_json does); throws netgear::Error
/// when it is not valid UTF-8.
void append_json_string(std::string& out, std::string_view s);

}  // namespace netgear::wire
