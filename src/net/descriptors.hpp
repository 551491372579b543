// libzmq 4.3 aborts the whole process (an internal assertion) when it runs out of file
// descriptors in some places (creating its I/O threads' epoll, resolving a bind address), instead
// of returning EMFILE. Before it gets there, check that a few descriptors are free and throw a
// ConnectionError that says so.
#pragma once

namespace netgear::net {

/// Descriptors a context needs (its reaper and I/O thread: epoll + mailbox each, with room).
inline constexpr int kContextDescriptors = 8;
/// Descriptors opening one socket needs (its mailbox, the monitor's pair, a connection, the
/// address resolver's probe socket, with room).
inline constexpr int kSocketDescriptors = 8;

/// Throws ConnectionError ("Too many open files: ...") unless `n` more descriptors can be opened
/// now (opens and closes them). A check, not a reservation: another thread may take them.
void require_descriptors(int n);

}  // namespace netgear::net
