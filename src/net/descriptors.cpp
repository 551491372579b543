#include "net/descriptors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "netgear/error.hpp"

namespace netgear::net {

void require_descriptors(int n) {
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(n));
  int error = 0;
  for (int i = 0; i < n; ++i) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = errno;
      break;
    }
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  if (error != 0) {
    throw ConnectionError(std::string(std::strerror(error)) + ": NetGear needs " + std::to_string(n) +
                          " more file descriptors for its ZeroMQ sockets and found " + std::to_string(fds.size()) +
                          " (raise the limit, `ulimit -n`, or close files)");
  }
}

}  // namespace netgear::net
