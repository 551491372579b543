// The one place where settings are checked: every field's range, the ports, and the
// compatibility chart of the modes (docs/protocol.md, "Compatibility chart").
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "netgear/netgear.hpp"

namespace netgear::config {

/// Every field's range. Throws OptionError naming the first bad field by its vidgear name.
void validate_options(const Options& o);

/// For the parser: after option `name` was set to `value` in `o`, throws the OptionError for that
/// option's range, quoting `value` as it was given; problems of other fields are left to
/// validate_options.
void check_option(const Options& o, std::string_view name, const nlohmann::json& value);

/// A whole Config before any socket exists: pattern, ports, options, the compatibility chart, and
/// modes this build does not provide. Throws OptionError (naming both settings for a forbidden
/// pair) or UnsupportedError.
void validate(const Config& c);

}  // namespace netgear::config
