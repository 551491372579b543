// The receiver's in-process ZAP handler (ZeroMQ RFC 27): the CURVE server asks it, over
// inproc://zeromq.zap.01 in the receiver's own context, whether a client's public key may connect.
// StoneHouse accepts any key; IronHouse the `*.key` files in public_keys/ (read again when the folder
// changes, so `netgear keys allow` takes effect without a restart). A net::Service of the context
// that owns the receiver's socket: one per context, so two secure receivers in one process each
// have their own.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "net/context.hpp"
#include "security/throttle.hpp"

namespace netgear::security {

class ZapHandler : public net::Service {
 public:
  /// IronHouse when `allowed_folder` is set (its *.key files), else StoneHouse. Binds at once, in
  /// the calling thread (so a CURVE server socket made after this returns is always checked), then
  /// serves in a thread of its own. Throws KeyFileError for a folder whose keys cannot be read.
  ZapHandler(net::Context& ctx, std::optional<std::filesystem::path> allowed_folder,
             std::shared_ptr<spdlog::logger> log);
  ~ZapHandler() override { stop(); }

  /// Starts a handler and hands it to `ctx` (Context::close() stops it).
  static void start(net::Context& ctx, std::optional<std::filesystem::path> allowed_folder,
                    std::shared_ptr<spdlog::logger> log);

  /// Joins the thread. Its socket closed when the context terminated (ETERM), which
  /// Context::close() does first; bounded.
  void stop() noexcept override;

  /// The ZAP endpoint (RFC 27).
  static constexpr const char* kEndpoint = "inproc://zeromq.zap.01";

 private:
  void run() noexcept;
  /// Whether a request's client may connect; logs refusals (throttled).
  bool allowed(const std::string& mechanism, const std::string& key_bytes, const std::string& address);
  void reload_if_changed();

  std::optional<std::filesystem::path> folder_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::socket_t socket_;
  std::set<std::string> keys_;  // IronHouse: Z85 public keys
  std::filesystem::file_time_type folder_time_{};
  Throttle throttle_;
  std::thread thread_;
};

}  // namespace netgear::security
