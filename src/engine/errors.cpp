#include "engine/errors.hpp"

#include <new>
#include <string>

#include <opencv2/core.hpp>
#include <zmq.hpp>

#include "netgear/error.hpp"

namespace netgear::engine {

void rethrow_translated() {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const zmq::error_t& e) {
    throw ConnectionError(std::string("ZeroMQ: ") + e.what() + " (errno " + std::to_string(e.num()) + ")");
  } catch (const cv::Exception& e) {
    throw FrameError(std::string("OpenCV: ") + e.what());
  } catch (const std::exception& e) {
    throw Error(e.what());
  } catch (...) {
    throw Error("unknown error");
  }
}

std::exception_ptr translated(std::exception_ptr e) noexcept {
  if (!e) return e;
  try {
    try {
      std::rethrow_exception(e);
    } catch (...) {
      rethrow_translated();
    }
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace netgear::engine
