// NetGear C++ — secure mode's key folder, for applications and tools (`netgear keys`).
//
// The keys live in vidgear's layout, `<base>/keys/{public_keys,private_keys}`, base `~/.vidgear`
// or `custom_cert_location` (`.vidgear` appended unless already there); see docs/security.md. The
// NetGear constructor prepares the folder by itself; these functions are for making a key set
// ahead of time, showing the public keys to copy to the other machine, and allowing a client key
// (IronHouse).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "netgear/export.hpp"

namespace netgear {

/// What a key folder holds.
struct KeySetInfo {
  std::string folder;         ///< the `keys` folder
  std::string server_public;  ///< Z85 key of public_keys/server.key; empty when missing
  std::string client_public;  ///< Z85 key of public_keys/client.key; empty when missing
  bool server_secret = false; ///< private_keys/server.key_secret is there (a receiver needs it)
  bool client_secret = false; ///< private_keys/client.key_secret is there (a sender needs it)
  /// IronHouse: every `*.key` file in public_keys/ (file, Z85 key), in name order.
  std::vector<std::pair<std::string, std::string>> allowed;
};

/// The `keys` folder secure mode uses for `custom_cert_location` (empty: the home folder).
NETGEAR_EXPORT std::string key_folder(const std::string& custom_cert_location = {});

/// Writes a fresh key set (server and client key pairs) and returns the `keys` folder. Secret
/// files get mode 0600, their folder 0700. Throws KeyFileError when a key set is already there and
/// `overwrite` is false, or when a file cannot be written.
NETGEAR_EXPORT std::string generate_keys(const std::string& custom_cert_location = {}, bool overwrite = false);

/// Reads the folder's public keys (KeyFileError naming a corrupt file).
NETGEAR_EXPORT KeySetInfo read_keys(const std::string& custom_cert_location = {});

/// IronHouse: allows a client's public key by copying it into public_keys/ as `<name>.key` (name
/// default: the file's name without its extension). `public_key` is a certificate file (a client's
/// client.key) or the 40-character Z85 key itself. Returns the file written, or the one that
/// already held this key. Throws KeyFileError for a file that is not a certificate, or a name
/// already taken by another key.
NETGEAR_EXPORT std::string allow_key(const std::string& public_key, const std::string& custom_cert_location = {},
                                     const std::string& name = {});

}  // namespace netgear
