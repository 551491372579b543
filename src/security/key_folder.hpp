// The key folder in vidgear's layout, `<base>/keys/{public_keys,private_keys}` (docs/protocol.md,
// 5.4; docs/security.md): where it is, generating a key set into it, loading what one side needs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "security/certificate.hpp"

namespace netgear::security {

struct KeyFolder {
  std::filesystem::path base;          ///< `.vidgear` folder
  std::filesystem::path keys;          ///< base/keys
  std::filesystem::path public_keys;   ///< keys/public_keys: server.key, client.key (+ allowed clients)
  std::filesystem::path private_keys;  ///< keys/private_keys: server.key_secret, client.key_secret

  std::filesystem::path server_public() const { return public_keys / "server.key"; }
  std::filesystem::path client_public() const { return public_keys / "client.key"; }
  std::filesystem::path server_secret() const { return private_keys / "server.key_secret"; }
  std::filesystem::path client_secret() const { return private_keys / "client.key_secret"; }
};

/// vidgear's choice of folder: `custom_cert_location` with `.vidgear` appended unless its last
/// component already is `.vidgear`; empty: `~/.vidgear` ($HOME, else the password database).
KeyFolder key_folder(const std::string& custom_cert_location);

/// true when the folder holds none of the four files of a key set (nothing to keep).
bool key_set_absent(const KeyFolder& f);

/// Writes a fresh key set (server and client, public and secret files), replacing the four files
/// and leaving any other (allowed client keys) in place. Folders are made as needed: keys/ and
/// private_keys/ mode 0700, public_keys/ 0755; secret files 0600, public files 0644. Throws
/// KeyFileError naming the folder or file that could not be made.
void generate_key_set(const KeyFolder& f);

/// vidgear's "generate when missing": when `overwrite` is set, or the folder holds no file of a key
/// set, generates one (and says so in `log`); returns true then. A folder that holds some files is
/// left as it is: the loaders name the file that is missing.
bool prepare_key_folder(const KeyFolder& f, bool overwrite, spdlog::logger& log);

/// Loads a secret certificate (KeyFileError naming the file when it is missing or corrupt). A file
/// that its group or others can read is loaded, with one warning per file and process that names
/// the `chmod` that fixes it (vidgear writes such files).
Certificate load_secret(const std::filesystem::path& file, spdlog::logger& log);
/// Loads a public certificate (a secret one is accepted too: its public key is used).
Certificate load_public(const std::filesystem::path& file);

/// An IronHouse client key found in public_keys/.
struct AllowedKey {
  std::filesystem::path file;
  std::string public_key;  ///< Z85
};
/// The `*.key` files in `public_keys`, in name order, as pyzmq's load_certificates reads them
/// (KeyFileError naming a file that is not a certificate, or the folder when it is missing).
std::vector<AllowedKey> allowed_keys(const std::filesystem::path& public_keys);

/// Mode bits of a secret file or folder that others than its owner may use (0 when none).
unsigned exposed_mode_bits(const std::filesystem::path& file);

}  // namespace netgear::security
