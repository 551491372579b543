// NetGear C++ — settings.
//
// Options is a plain struct: set its fields in C++. The same settings are also accepted by their
// vidgear names (parse_options), so that a vidgear configuration carries over unchanged; unknown
// names and bad values are errors that name the option (vidgear ignores them silently).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace netgear {

/// ZeroMQ messaging pattern, numbered as in vidgear.
enum class Pattern : int {
  Pair = 0,    ///< zmq PAIR <-> PAIR, synchronous (each frame is acknowledged)
  ReqRep = 1,  ///< zmq REQ (sender) <-> REP (receiver), synchronous
  PubSub = 2,  ///< zmq PUB (sender) -> SUB (receiver), asynchronous, no acknowledgement
};

/// Transport of the endpoint `<protocol>://<address>:<port>`.
enum class Protocol { Tcp, Ipc };

/// Pixel order of a JPEG-compressed frame (the frame as handed to send(), and as recv() returns it).
enum class Colorspace { BGR, RGB, GRAY, BGRA, RGBA, BGRX, RGBX, XBGR, XRGB, ABGR, ARGB };

/// Number of channels of a frame in this colorspace (GRAY 1, BGR/RGB 3, the others 4).
int channels(Colorspace cs) noexcept;
/// Upper-case name as on the wire ("BGR", ...).
std::string_view to_string(Colorspace cs) noexcept;
/// Parses a colorspace name (case-insensitive); nullopt when unknown.
std::optional<Colorspace> parse_colorspace(std::string_view name) noexcept;

std::string_view to_string(Pattern p) noexcept;
std::string_view to_string(Protocol p) noexcept;

/// All settings of a NetGear instance except its endpoint and mode. Defaults are vidgear's unless
/// noted.
struct Options {
  // --- Lazy Pirate (patterns 0 and 1) ---------------------------------------------------------
  /// Time-outs in a row before giving up: the sender's send() throws RetriesExhaustedError, the
  /// receiver ends the stream (EndReason::RetriesExhausted). Any success resets the count.
  /// 0 retries for ever.
  int max_retries = 3;
  /// How long a sender waits for each acknowledgement; a receiver waits 3x this for traffic before
  /// it re-binds. Minimum 10 ms (vidgear: minimum 4 s).
  std::chrono::milliseconds request_timeout{4000};

  // --- PUB/SUB --------------------------------------------------------------------------------
  /// Pattern 2 receiver: end the stream (EndReason::SubscriberTimeout) after this long without a
  /// frame. Unset: wait for ever.
  std::optional<std::chrono::milliseconds> subscriber_timeout{};

  // --- JPEG compression -----------------------------------------------------------------------
  /// Compress 8-bit frames as JPEG before sending (libjpeg-turbo). Frames JPEG cannot carry (not
  /// 8-bit, or 2 or more than 4 channels) travel raw instead; see docs/jpeg.md.
  bool jpeg_compression = true;
  /// Pixel order of the frames given to send(). Unset: by channel count (1 GRAY, 3 BGR, 4 BGRA).
  /// A colorspace that does not match a frame's channel count makes send() throw FrameError.
  std::optional<Colorspace> jpeg_compression_colorspace{};
  /// JPEG quality, 10..100.
  int jpeg_compression_quality = 90;
  /// Fast (less accurate) DCT, for encoding and decoding.
  bool jpeg_compression_fastdct = true;
  /// Fast (less accurate) chroma upsampling when decoding.
  bool jpeg_compression_fastupsample = false;

  // --- Exclusive modes ------------------------------------------------------------------------
  bool bidirectional_mode = false;  ///< patterns 0/1: the receiver hands data back with each ack
  bool multiserver_mode = false;    ///< patterns 1/2: many senders, one receiver
  bool multiclient_mode = false;    ///< patterns 1/2: one sender, many receivers
  int secure_mode = 0;              ///< 0 none, 1 StoneHouse, 2 IronHouse (CurveZMQ)
  std::string custom_cert_location{};  ///< folder of the key set; empty: the home folder
  bool overwrite_cert = false;       ///< sender: generate a fresh key set
  std::string ssh_tunnel_mode{};       ///< sender: "[user@]host[:port]" of an SSH server; empty: off
  std::string ssh_tunnel_pwd{};        ///< SSH password
  std::string ssh_tunnel_keyfile{};    ///< SSH private key file

  // --- Receiver queue (not in vidgear) --------------------------------------------------------
  /// Frames the receiver holds for recv(). When full, patterns 0/1 stop acknowledging until the
  /// application catches up (the sender slows down, no frame is lost) unless keep_newest is set;
  /// pattern 2 always drops the oldest frame.
  std::size_t queue_size = 32;
  /// Keep only the newest frames: when the queue is full, drop the oldest (lowest latency).
  bool keep_newest = false;

  // --- PUB/SUB freshness (not in vidgear) -----------------------------------------------------
  /// Pattern 2: kernel socket buffer (SO_SNDBUF on the PUB socket, SO_RCVBUF on the SUB socket), in
  /// bytes. The high-water mark of 1 keeps ZeroMQ's own queues short, but the kernel's TCP buffers
  /// (megabytes with autotuning) can still hold dozens of stale JPEG frames: 128 KiB keeps the lag to
  /// a frame or two. 0 leaves the OS default (autotuning): use it, or a larger value, on links with a
  /// long round trip, where a small buffer caps the throughput (buffer / round-trip time).
  std::size_t pubsub_socket_buffer = 128 * 1024;

  // --- pyzmq tuning knobs: accepted for compatibility, they change nothing ---------------------
  int flag = 0;
  bool copy = false;
  bool track = false;
};

/// The vidgear names parse_options() accepts, in documentation order.
const std::vector<std::string>& option_names();

/// Applies one option by its vidgear name to `opts`. `value` is JSON: a bool, number, string or
/// array as vidgear takes it. Throws OptionError naming the option and the value.
void apply_option(Options& opts, std::string_view name, const nlohmann::json& value);
/// Same, from text as typed on a command line ("true", "80", "0.5", "BGR", ...).
void apply_option_text(Options& opts, std::string_view name, std::string_view text);

/// Builds Options from a JSON object of vidgear names, e.g. {"jpeg_compression_quality": 80}.
Options parse_options(const nlohmann::json& object);
/// Builds Options from name/text pairs, e.g. {{"max_retries", "5"}}.
Options parse_options(const std::map<std::string, std::string>& values);

}  // namespace netgear
