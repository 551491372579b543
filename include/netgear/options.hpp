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

#include "netgear/export.hpp"
#include "netgear/types.hpp"

namespace netgear {

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

  /// Patterns 0/1 sender (not in vidgear): send() returns once the frame is on its way, and its
  /// acknowledgement is awaited by the next send(), after that one has encoded its frame (or by
  /// close()): encoding frame n+1 overlaps frame n's round trip. One frame is on the wire at a
  /// time, as always, so any receiver (vidgear's too) sees no difference; Lazy Pirate is the same
  /// per frame (request_timeout from when it left). The SendResult of a call is then the previous
  /// frame's (the first call's says delivered). Not with bidirectional_mode or multiclient_mode.
  /// Default false; measured effect in docs/benchmarks.md.
  bool pipelined_send = false;

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
  /// Threads that encode or decode one JPEG frame (not in vidgear). 0: one per core, at most 4,
  /// for a frame whose codec was idle since the last one at least as long as that took (a stream
  /// at full speed codes whole); 1: the sending or receiving thread alone; 2..16: for every frame. A frame of at least 2 x 131,072
  /// pixels is then encoded as horizontal strips at once, joined at restart markers into one
  /// baseline JPEG that any decoder reads; a JPEG with such markers (from a NetGear sender) is
  /// decoded in parts at once, to the same pixels. 0..16; measured effect in docs/jpeg.md.
  int jpeg_compression_threads = 0;

  // --- Exclusive modes ------------------------------------------------------------------------
  /// Patterns 0/1: the receiver hands data back with each acknowledgement (vidgear:
  /// bidirectional_mode): NetGear::set_return_data() on the receiver, SendResult::return_data on
  /// the sender. Replies are then JSON ({"return_type": "NoneType", "data": null} until data is
  /// set) instead of the text acknowledgement.
  bool bidirectional_mode = false;
  /// Bidirectional receiver (not in vidgear): Sticky (vidgear's) or Exact pairing of return data
  /// with frames; see docs/library.md, "Bidirectional mode".
  ReturnPairing return_pairing = ReturnPairing::Sticky;
  /// Exact pairing: how long the reply to a frame waits for NetGear::answer(); then it carries the
  /// sticky value (Stats::answers_late). Keep it below the sender's request_timeout. Unset:
  /// request_timeout / 2.
  std::optional<std::chrono::milliseconds> answer_timeout{};
  /// One peer, or many senders into one receiver, or one sender to many receivers (vidgear:
  /// multiserver_mode, multiclient_mode). The multi modes need pattern 1 or 2 and a list of ports.
  Topology topology = Topology::Single;
  /// CurveZMQ encryption and authentication (vidgear: secure_mode 0, 1, 2).
  SecureMode secure_mode = SecureMode::Off;
  /// Folder of the key set; empty: the home folder (keys under ~/.vidgear/keys).
  std::string custom_cert_location{};
  /// Sender, secure mode: generate a fresh key set.
  bool overwrite_cert = false;
  /// Sender: reach the receiver through an SSH server (vidgear: ssh_tunnel_mode, ssh_tunnel_pwd,
  /// ssh_tunnel_keyfile; the last three fields are not in vidgear). The sender's socket connects to
  /// a local port that is forwarded to `address:port` as seen from the SSH host; see
  /// docs/ssh-tunnel.md. Unset: no tunnel.
  struct SshTunnel {
    /// "[user@]host[:port]" of the SSH server (required): user defaults to the current user, port
    /// to 22; an IPv6 host in brackets ("user@[::1]:2222").
    std::string server{};
    /// With `keyfile`: the key file's passphrase; without: the password. Empty: none.
    std::string password{};
    /// Private key file ("~/" is the home folder). Empty: the password, or the ssh-agent
    /// (SSH_AUTH_SOCK) when there is no password either.
    std::string keyfile{};
    /// known_hosts file the server's host key is checked against ("~/" is the home folder).
    /// Empty: ~/.ssh/known_hosts (and the system's /etc/ssh/ssh_known_hosts).
    std::string known_hosts{};
    /// Accept a host key that is not in known_hosts yet and add it there (OpenSSH's
    /// StrictHostKeyChecking=accept-new). A key that differs from the recorded one is never
    /// accepted. Default false: an unknown host is a TunnelError that shows the key's fingerprint.
    bool accept_new = false;
    /// Bound on each step of reaching the SSH server: the TCP connection, the SSH handshake, each
    /// authentication and each forward opened. Minimum 10 ms. Default 10 s.
    std::chrono::milliseconds timeout{10000};
    /// Same settings.
    bool operator==(const SshTunnel&) const = default;
  };
  /// The SSH tunnel the sender goes through; unset: none.
  std::optional<SshTunnel> ssh_tunnel{};

  // --- Receiver queue (not in vidgear) --------------------------------------------------------
  /// Frames the receiver holds for recv(). When full, patterns 0/1 stop acknowledging until the
  /// application catches up (the sender slows down, no frame is lost) unless keep_newest is set;
  /// pattern 2 always drops the oldest frame. Unset: 32 where the queue holds the sender back
  /// (patterns 0/1), 1 where it drops (pattern 2, keep_newest), so that an application slower than
  /// the stream is always handed the newest frame (see docs/library.md, "PUB/SUB freshness").
  std::optional<std::size_t> queue_size{};
  /// Keep only the newest frames: when the queue is full, drop the oldest (lowest latency).
  bool keep_newest = false;

  // --- Memory limits against a hostile peer (not in vidgear) ---------------------------------
  // What a peer can make the receiver (or a sender reading replies) hold is bounded by these; the
  // defaults fit 8K video (7680x4320, 16-bit, 4 channels is 265 MB: raise max_frame_bytes and
  // max_message_size for more). docs/library.md, "Memory limits", gives the bound they make.
  /// Receiver: bytes the queue holds for recv(): each frame counts its pixels plus 16 bytes per byte
  /// of its header text (what a parsed JSON message can take). When a frame does not fit, the queue
  /// is full (as with queue_size). At least one frame is always held, whatever its size.
  std::size_t queue_bytes = std::size_t{512} << 20;
  /// Largest decoded frame a peer may send (rows x cols x channels x bytes per element): a JPEG
  /// whose header claims more is dropped before it is decoded, a raw frame before it is queued.
  std::size_t max_frame_bytes = std::size_t{256} << 20;
  /// Largest message part a peer may send (ZeroMQ's ZMQ_MAXMSGSIZE, on every socket): a peer that
  /// sends a bigger one is disconnected by ZeroMQ before it is read (its frame is lost; Lazy Pirate
  /// reconnects it). 0: no limit.
  std::size_t max_message_size = std::size_t{256} << 20;
  /// Largest frame header (its JSON text, the message included) a peer may send: a larger one is
  /// dropped unread, with a log line.
  std::size_t max_header_size = std::size_t{4} << 20;

  // --- PUB/SUB freshness (not in vidgear) -----------------------------------------------------
  /// Pattern 2: kernel socket buffer (SO_SNDBUF on the PUB socket, SO_RCVBUF on the SUB socket), in
  /// bytes. The high-water mark of 1 keeps ZeroMQ's own queues short, but the kernel's TCP buffers
  /// (megabytes with autotuning) can still hold dozens of stale JPEG frames: 128 KiB keeps the lag to
  /// a frame or two. 0 leaves the OS default (autotuning): use it, or a larger value, on links with a
  /// long round trip, where a small buffer caps the throughput (buffer / round-trip time).
  std::size_t pubsub_socket_buffer = 128 * 1024;
  /// Pattern 2 sender: when no subscriber can take a frame yet (each is a frame behind: SNDHWM 1),
  /// send() waits up to this long for one to catch up before it drops the frame, instead of
  /// returning at once. A sender that produces frames faster than they can leave (a file read as
  /// fast as possible, a raw stream on a slow link) is then paced by its subscribers instead of
  /// spinning on frames it drops, which leaves the CPU to the ZeroMQ threads that move them. A
  /// frame that waited leaves as soon as there is room, so it is not staler than one sent at once.
  /// A camera never waits longer than this per frame, even with a subscriber that stopped reading.
  /// 0: never wait (vidgear's PUB). Default 10 ms; measured effect in docs/library.md.
  std::chrono::milliseconds pubsub_send_wait{10};
};

// vidgear's pyzmq knobs `flag`, `copy` and `track` are accepted by the parser (and checked for
// type) but change nothing, so they are not fields.

/// The vidgear names parse_options() accepts, in documentation order.
NETGEAR_EXPORT const std::vector<std::string>& option_names();

/// Applies one option by its vidgear name to `opts`. `value` is JSON: a bool, number, string or
/// array as vidgear takes it. Throws OptionError naming the option and the value when the value
/// has the wrong type or is out of range (the ranges are those validate() checks).
NETGEAR_EXPORT void apply_option(Options& opts, std::string_view name, const nlohmann::json& value);
/// Same, from text as typed on a command line ("true", "80", "0.5", "BGR", ...).
NETGEAR_EXPORT void apply_option_text(Options& opts, std::string_view name, std::string_view text);

/// Builds Options from a JSON object of vidgear names, e.g. {"jpeg_compression_quality": 80}.
NETGEAR_EXPORT Options parse_options(const nlohmann::json& object);
/// Builds Options from name/text pairs, e.g. {{"max_retries", "5"}}.
NETGEAR_EXPORT Options parse_options(const std::map<std::string, std::string>& values);

/// Checks every field's range (the one place ranges are checked: the parser and NetGear's
/// constructor both call it). Throws OptionError naming the first bad field by its vidgear name.
NETGEAR_EXPORT void validate(const Options& opts);

}  // namespace netgear
