#include "netgear/version.hpp"

namespace netgear {

std::string_view version() noexcept { return NETGEAR_VERSION_STRING; }

}  // namespace netgear
