// The public key-folder functions (include/netgear/keys.hpp) on top of key_folder.hpp.
#include "netgear/keys.hpp"

#include <filesystem>

#include "netgear/error.hpp"
#include "security/certificate.hpp"
#include "security/key_folder.hpp"

namespace netgear {

namespace fs = std::filesystem;
using namespace security;

std::string key_folder(const std::string& custom_cert_location) {
  return security::key_folder(custom_cert_location).keys.string();
}

std::string generate_keys(const std::string& custom_cert_location, bool overwrite) {
  const KeyFolder f = security::key_folder(custom_cert_location);
  if (!overwrite && !key_set_absent(f)) {
    throw KeyFileError(f.keys.string(), "a key set is already in " + f.keys.string() +
                                            " (overwrite it to make a fresh one; the other machine then needs "
                                            "the new files)");
  }
  generate_key_set(f);
  return f.keys.string();
}

KeySetInfo read_keys(const std::string& custom_cert_location) {
  const KeyFolder f = security::key_folder(custom_cert_location);
  KeySetInfo info;
  info.folder = f.keys.string();
  std::error_code ec;
  if (fs::exists(f.server_public(), ec)) info.server_public = load_public(f.server_public()).public_key;
  if (fs::exists(f.client_public(), ec)) info.client_public = load_public(f.client_public()).public_key;
  info.server_secret = fs::exists(f.server_secret(), ec);
  info.client_secret = fs::exists(f.client_secret(), ec);
  if (fs::is_directory(f.public_keys, ec)) {
    for (const auto& k : allowed_keys(f.public_keys)) info.allowed.emplace_back(k.file.string(), k.public_key);
  }
  return info;
}

std::string allow_key(const std::string& public_key, const std::string& custom_cert_location, const std::string& name) {
  const KeyFolder f = security::key_folder(custom_cert_location);
  std::string key;
  std::string stem = name;
  std::error_code ec;
  if (!fs::exists(public_key, ec) && valid_z85_key(public_key)) {
    key = public_key;
    if (stem.empty()) throw KeyFileError(public_key, "allowing a key given as text needs a name for its file");
  } else {
    key = load_public(public_key).public_key;
    if (stem.empty()) stem = fs::path(public_key).stem().string();
  }
  if (stem.empty() || stem.find('/') != std::string::npos || stem.front() == '.') {
    throw KeyFileError(stem, "'" + stem + "' cannot name a key file (no '/', not starting with '.')");
  }
  for (const auto& k : fs::is_directory(f.public_keys, ec) ? allowed_keys(f.public_keys) : std::vector<AllowedKey>{}) {
    if (k.public_key == key) return k.file.string();  // already allowed
  }
  const fs::path target = f.public_keys / (stem + ".key");
  if (fs::exists(target, ec)) {
    throw KeyFileError(target.string(), target.string() + " already holds another key: give another name");
  }
  fs::create_directories(f.public_keys, ec);
  if (ec) throw KeyFileError(f.public_keys.string(), "cannot make " + f.public_keys.string() + ": " + ec.message());
  write_certificate(target, Certificate{key, {}});
  return target.string();
}

}  // namespace netgear
