#include "net/ipc.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace netgear::net {

namespace {

constexpr std::string_view kIpc = "ipc://";

std::string ipc_path(const std::string& endpoint) { return endpoint.substr(kIpc.size()); }

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

bool is_ipc(const std::string& endpoint) noexcept { return endpoint.rfind(kIpc, 0) == 0; }

void wait_ipc_released(const std::string& endpoint) {
  if (!is_ipc(endpoint)) return;
  // ZeroMQ unlinks a bound ipc file when its listener closes, in its I/O thread, some time after
  // close(). Wait for that (bounded) before binding the same path again.
  const std::string path = ipc_path(endpoint);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (file_exists(path) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void remove_ipc_file(const std::string& endpoint) noexcept {
  if (!is_ipc(endpoint)) return;
  const std::string path = ipc_path(endpoint);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

}  // namespace netgear::net
