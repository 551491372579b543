#include "net/context.hpp"

#include "net/descriptors.hpp"

namespace netgear::net {

namespace {

// Runs before ctx_ exists: libzmq aborts when its first socket cannot start the I/O threads.
int checked_io_threads() {
  require_descriptors(kContextDescriptors + kSocketDescriptors);
  return 1;
}

}  // namespace

Context::Context() : ctx_(checked_io_threads()) {}

void Context::add(std::unique_ptr<Service> service) {
  std::lock_guard lk(mu_);
  services_.push_back(std::move(service));
}

void Context::shutdown() noexcept {
  try {
    ctx_.shutdown();
  } catch (const zmq::error_t&) {
    // Already terminated.
  }
}

void Context::close() noexcept {
  std::vector<std::unique_ptr<Service>> services;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    services.swap(services_);
  }
  try {
    ctx_.close();
  } catch (const zmq::error_t&) {
  }
  for (auto it = services.rbegin(); it != services.rend(); ++it) (*it)->stop();
}

}  // namespace netgear::net
