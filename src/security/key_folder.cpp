#include "security/key_folder.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "netgear/error.hpp"

namespace netgear::security {

namespace fs = std::filesystem;

namespace {

fs::path home_folder() {
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  throw KeyFileError("~", "secure mode: no home folder for the key set ($HOME is not set); give custom_cert_location");
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

// Makes `dir` (and its parents) when missing; a folder made here gets `mode`.
void make_folder(const fs::path& dir, mode_t mode) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (fs::exists(dir, ec)) throw KeyFileError(dir.string(), "key folder " + dir.string() + " exists but is not a folder");
  if (dir.has_parent_path() && dir.parent_path() != dir) make_folder(dir.parent_path(), 0755);
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    throw KeyFileError(dir.string(), "cannot make key folder " + dir.string() + ": " + std::strerror(errno));
  }
  (void)::chmod(dir.c_str(), mode);  // whatever the umask
}

}  // namespace

KeyFolder key_folder(const std::string& custom_cert_location) {
  KeyFolder f;
  if (custom_cert_location.empty()) {
    f.base = home_folder() / ".vidgear";
  } else {
    fs::path p = fs::path(custom_cert_location).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();  // "dir/" -> "dir"
    f.base = p.filename() == ".vidgear" ? p : p / ".vidgear";
  }
  f.keys = f.base / "keys";
  f.public_keys = f.keys / "public_keys";
  f.private_keys = f.keys / "private_keys";
  return f;
}

bool key_set_absent(const KeyFolder& f) {
  std::error_code ec;
  for (const auto& p : {f.server_public(), f.client_public(), f.server_secret(), f.client_secret()}) {
    if (fs::exists(fs::symlink_status(p, ec))) return false;
  }
  return true;
}

void generate_key_set(const KeyFolder& f) {
  make_folder(f.keys, 0700);
  make_folder(f.public_keys, 0755);
  make_folder(f.private_keys, 0700);
  for (const auto& [pub, sec] : {std::pair{f.server_public(), f.server_secret()}, std::pair{f.client_public(), f.client_secret()}}) {
    const Certificate c = generate_keypair();
    write_certificate(sec, c);  // the secret first: a public key without its secret is of no use
    write_certificate(pub, Certificate{c.public_key, {}});
  }
}

bool prepare_key_folder(const KeyFolder& f, bool overwrite, spdlog::logger& log) {
  if (!overwrite && !key_set_absent(f)) return false;
  generate_key_set(f);
  log.info("secure mode: {} key set in {} (copy it to the other machine: docs/security.md)",
           overwrite ? "generated a fresh" : "no keys yet, generated a", f.keys.string());
  return true;
}

unsigned exposed_mode_bits(const fs::path& file) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return static_cast<unsigned>(st.st_mode) & 077u;
}

Certificate load_secret(const fs::path& file, spdlog::logger& log) {
  Certificate c = read_certificate(file, /*want_secret=*/true);
  if (const unsigned bits = exposed_mode_bits(file); bits != 0) {
    static std::mutex mu;
    static std::set<std::string> warned;
    std::lock_guard lk(mu);
    if (warned.insert(fs::absolute(file).string()).second) {
      struct stat st{};
      (void)::stat(file.c_str(), &st);
      log.warn("secure mode: secret key file {} can be read by others than its owner (mode {}); fix it with: "
               "chmod 600 '{}'",
               file.string(), octal(st.st_mode), file.string());
    }
  }
  return c;
}

Certificate load_public(const fs::path& file) { return read_certificate(file, /*want_secret=*/false); }

std::vector<AllowedKey> allowed_keys(const fs::path& public_keys) {
  std::error_code ec;
  if (!fs::is_directory(public_keys, ec)) {
    throw KeyFileError(public_keys.string(), "IronHouse: the folder of allowed client keys " + public_keys.string() +
                                                 " does not exist");
  }
  std::vector<AllowedKey> out;
  for (const auto& entry : fs::directory_iterator(public_keys, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".key" || p.filename().string().front() == '.') continue;
    if (!entry.is_regular_file(ec)) continue;
    out.push_back({p, load_public(p).public_key});
  }
  if (ec) throw KeyFileError(public_keys.string(), "cannot read " + public_keys.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const AllowedKey& a, const AllowedKey& b) { return a.file < b.file; });
  return out;
}

}  // namespace netgear::security
