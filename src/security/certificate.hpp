// CURVE certificates: the Z85 text files that pyzmq (zmq.auth.create_certificates) and czmq write,
// and the key pairs in them (docs/protocol.md, "Key files"). Pure file and text handling; the
// key folder's layout is key_folder.hpp's.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace netgear::security {

/// A CURVE key as text: 40 Z85 characters for 32 bytes.
inline constexpr std::size_t kZ85KeyLength = 40;
/// A CURVE key as bytes.
inline constexpr std::size_t kKeyBytes = 32;

/// What one certificate file holds: a public key, and in a secret file the secret key too.
struct Certificate {
  std::string public_key;  ///< Z85
  std::string secret_key;  ///< Z85; empty in a public certificate
};

/// true when `text` is 40 characters of the Z85 alphabet that decode to 32 bytes.
bool valid_z85_key(std::string_view text) noexcept;
/// The 32 bytes of a Z85 key (throws KeyFileError naming `where` when it is not one).
std::string z85_to_bytes(std::string_view z85, const std::string& where);
/// The Z85 text of 32 key bytes.
std::string bytes_to_z85(std::string_view bytes);

/// A fresh key pair (libzmq's zmq_curve_keypair, from libsodium).
Certificate generate_keypair();

/// Parses certificate text the way pyzmq's load_certificate does: each line with its leading and
/// trailing whitespace removed; '#' lines are comments; a line starting with `public-key` or
/// `secret-key` gives its key, the text after the first '=' with spaces, tabs and quotes stripped
/// from both ends. Stricter than pyzmq: a key that is not valid Z85, a missing public key, a secret
/// key whose public key is not the one written next to it, are errors (KeyFileError naming
/// `where`). `want_secret`: a secret key is required.
Certificate parse_certificate(std::string_view text, const std::string& where, bool want_secret);

/// The text pyzmq writes for `cert` (its layout and banner; the banner names NetGear as the
/// generator where pyzmq names itself, as czmq does) (a secret certificate when cert.secret_key is set), with its
/// banner's time stamp `generated_on` (pyzmq writes Python's str(datetime.now())).
std::string certificate_text(const Certificate& cert, std::string_view generated_on);
/// The local time now, as Python's str(datetime.datetime.now()): "2024-05-02 10:41:07.512345".
std::string python_now();

/// Reads and parses one certificate file (KeyFileError naming the file when it is missing,
/// unreadable or not a certificate).
Certificate read_certificate(const std::filesystem::path& file, bool want_secret);

/// Writes `cert` to `file` atomically (a temporary file in the same folder, then renamed over it),
/// mode 0600 for a secret certificate and 0644 for a public one, whatever the umask. Throws
/// KeyFileError naming the file.
void write_certificate(const std::filesystem::path& file, const Certificate& cert);

}  // namespace netgear::security
