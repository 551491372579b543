// The library's promise that every exception derives from netgear::Error is kept here: the
// public calls and the receiving thread translate what the libraries below throw.
#pragma once

#include <exception>

namespace netgear::engine {

/// Inside a catch block: rethrows the current exception as a netgear::Error subclass (as it is
/// when it already is one; std::bad_alloc stays itself). zmq::error_t becomes ConnectionError,
/// cv::Exception FrameError, anything else Error; the message keeps the original text.
[[noreturn]] void rethrow_translated();

/// The same for a stored exception.
std::exception_ptr translated(std::exception_ptr e) noexcept;

/// Runs `f`, translating what escapes it.
template <typename F>
decltype(auto) translating(F&& f) {
  try {
    return f();
  } catch (...) {
    rethrow_translated();
  }
}

}  // namespace netgear::engine
