#include "security/certificate.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include <zmq.h>

#include "netgear/error.hpp"

namespace netgear::security {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s, std::string_view chars) {
  const auto b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

bool valid_z85_key(std::string_view text) noexcept {
  if (text.size() != kZ85KeyLength) return false;
  char z[kZ85KeyLength + 1];
  std::memcpy(z, text.data(), kZ85KeyLength);
  z[kZ85KeyLength] = '\0';
  std::uint8_t bytes[kKeyBytes];
  return zmq_z85_decode(bytes, z) != nullptr;
}

std::string z85_to_bytes(std::string_view z85, const std::string& where) {
  if (!valid_z85_key(z85)) {
    throw KeyFileError(where, where + ": '" + std::string(z85) + "' is not a CURVE key (40 characters of Z85 text)");
  }
  char z[kZ85KeyLength + 1];
  std::memcpy(z, z85.data(), kZ85KeyLength);
  z[kZ85KeyLength] = '\0';
  std::string out(kKeyBytes, '\0');
  zmq_z85_decode(reinterpret_cast<std::uint8_t*>(out.data()), z);
  return out;
}

std::string bytes_to_z85(std::string_view bytes) {
  char z[kZ85KeyLength + 1] = {};
  if (bytes.size() != kKeyBytes ||
      zmq_z85_encode(z, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == nullptr) {
    return std::string();
  }
  return std::string(z, kZ85KeyLength);
}

Certificate generate_keypair() {
  char pub[kZ85KeyLength + 1] = {}, sec[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    throw Error(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()) +
                " (this libzmq was built without CURVE support)");
  }
  return {std::string(pub, kZ85KeyLength), std::string(sec, kZ85KeyLength)};
}

Certificate parse_certificate(std::string_view text, const std::string& where, bool want_secret) {
  Certificate c;
  bool have_public = false, have_secret = false;
  std::string_view public_text, secret_text;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl), " \t\r\n\v\f");
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const bool is_public = line.starts_with("public-key");
    const bool is_secret = line.starts_with("secret-key");
    if (!is_public && !is_secret) continue;
    const auto eq = line.find('=');
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(line.substr(eq + 1), " \t'\"");
    // pyzmq keeps the first of each.
    if (is_public && !have_public) {
      have_public = true;
      public_text = value;
    }
    if (is_secret && !have_secret) {
      have_secret = true;
      secret_text = value;
    }
  }
  if (!have_public) throw KeyFileError(where, where + ": no public key in it (not a CURVE certificate)");
  if (!valid_z85_key(public_text)) {
    throw KeyFileError(where, where + ": its public-key '" + std::string(public_text) +
                                  "' is not a CURVE key (40 characters of Z85 text): the file is corrupt");
  }
  c.public_key = std::string(public_text);
  if (want_secret && !have_secret) {
    throw KeyFileError(where, where + ": no secret-key in it (a public certificate where a secret one belongs)");
  }
  if (have_secret) {
    if (!valid_z85_key(secret_text)) {
      throw KeyFileError(where, where + ": its secret-key is not a CURVE key (40 characters of Z85 text): the "
                                        "file is corrupt");
    }
    char derived[kZ85KeyLength + 1] = {};
    const std::string secret(secret_text);
    if (zmq_curve_public(derived, secret.c_str()) == 0 && c.public_key != std::string(derived, kZ85KeyLength)) {
      throw KeyFileError(where, where + ": its public-key is not the one of its secret-key: the file is corrupt");
    }
    c.secret_key = secret;
  }
  return c;
}

std::string python_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%06lld", buf, static_cast<long long>(us));
  return out;
}

std::string certificate_text(const Certificate& cert, std::string_view generated_on) {
  std::ostringstream o;
  const std::string stamp = "#   ****  Generated on " + std::string(generated_on) + " by NetGear  ****\n";
  if (!cert.secret_key.empty()) {
    o << stamp << "#   ZeroMQ CURVE **Secret** Certificate\n"
      << "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n";
  } else {
    o << stamp << "#   ZeroMQ CURVE Public Certificate\n"
      << "#   Exchange securely, or use a secure mechanism to verify the contents\n"
      << "#   of this file after exchange. Store public certificates in your home\n"
      << "#   directory, in the .curve subdirectory.\n\n";
  }
  o << "metadata\n"
    << "curve\n"
    << "    public-key = \"" << cert.public_key << "\"\n";
  if (!cert.secret_key.empty()) o << "    secret-key = \"" << cert.secret_key << "\"\n";
  return o.str();
}

Certificate read_certificate(const fs::path& file, bool want_secret) {
  const std::string where = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int e = errno;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      throw KeyFileError(where, "key file " + where + " does not exist");
    }
    throw KeyFileError(where, "key file " + where + " cannot be read: " + errno_text(e));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw KeyFileError(where, "key file " + where + " cannot be read");
  const std::string s = text.str();
  if (s.size() > 64 * 1024) throw KeyFileError(where, where + ": too large for a CURVE certificate");
  return parse_certificate(s, where, want_secret);
}

void write_certificate(const fs::path& file, const Certificate& cert) {
  const std::string where = file.string();
  const bool secret = !cert.secret_key.empty();
  const std::string text = certificate_text(cert, python_now());
  std::random_device rd;
  const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp" + std::to_string(rd()));
  const mode_t mode = secret ? 0600 : 0644;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw KeyFileError(where, "cannot write key file " + where + ": " + errno_text(errno));
  bool ok = ::fchmod(fd, mode) == 0;  // whatever the umask
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const int e = errno;
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const int e2 = ok ? errno : e;
    ::unlink(tmp.c_str());
    throw KeyFileError(where, "cannot write key file " + where + ": " + errno_text(e2));
  }
}

}  // namespace netgear::security
