#include "net/ipc.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netgear::net {

namespace {

constexpr std::string_view kIpc = "ipc://";

std::string ipc_path(const std::string& endpoint) { return endpoint.substr(kIpc.size()); }

// true when a connect(2) to the socket at `path` is accepted: something listens there. The probe
// connection is closed at once (a libzmq listener sees a peer that came and went).
bool someone_listens(const std::string& path, std::string* detail) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;  // bind() reports the long path itself
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;  // cannot tell: let bind() try (and fail with its own error)
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  // ECONNREFUSED: a socket file without a listener. A full backlog (EAGAIN) still means a listener.
  if (rc != 0 && err != EAGAIN) return false;
  if (detail != nullptr) *detail = "another process is listening on it";
  return true;
}

}  // namespace

bool is_ipc(const std::string& endpoint) noexcept { return endpoint.rfind(kIpc, 0) == 0; }

IpcPath probe_ipc_path(const std::string& endpoint, std::string* detail) {
  if (!is_ipc(endpoint)) return IpcPath::Free;
  const std::string path = ipc_path(endpoint);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return IpcPath::Free;
  if (!S_ISSOCK(st.st_mode)) {
    if (detail != nullptr) {
      *detail = std::string("it is not a socket but ") +
                (S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode) ? "a folder" : "some other file") +
                ", which binding would delete";
    }
    return IpcPath::NotSocket;
  }
  return someone_listens(path, detail) ? IpcPath::Listening : IpcPath::Stale;
}

void remove_ipc_file(const std::string& endpoint) noexcept {
  if (!is_ipc(endpoint)) return;
  const std::string path = ipc_path(endpoint);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

}  // namespace netgear::net
