#include "wire/json_scan.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <locale.h>
#include <stdlib.h>

#include "netgear/error.hpp"

namespace netgear::wire {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr unsigned kReplacementCharacter = 0xFFFD;

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

void JsonScanner::fail() const {
  constexpr std::size_t kShown = 80;
  std::string shown(t_.substr(0, kShown));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  }
  throw ProtocolError("not JSON: '" + shown + (t_.size() > kShown ? "...'" : "'"));
}

void JsonScanner::skip_bom() {
  if (p_ == 0 && t_.substr(0, 3) == "\xEF\xBB\xBF") p_ = 3;
}

void JsonScanner::ws() {
  while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
}

bool JsonScanner::eat(char c) {
  ws();
  if (p_ < t_.size() && t_[p_] == c) {
    ++p_;
    return true;
  }
  return false;
}

void JsonScanner::expect(char c) {
  if (!eat(c)) fail();
}

bool JsonScanner::at_end() {
  ws();
  // nlohmann's lexer takes a NUL byte for the end of the input, and so ignores what follows it.
  return p_ == t_.size() || t_[p_] == '\0';
}

char JsonScanner::peek() {
  ws();
  return p_ < t_.size() ? t_[p_] : '\0';
}

void JsonScanner::too_deep(std::size_t depth) {
  if (depth > kMaxJsonDepth) {
    throw ProtocolError("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
}

std::string_view JsonScanner::value() {
  ws();
  const std::size_t start = p_;
  std::string open;  // '{' or '[' per nesting level; no heap below 16 levels
  for (;;) {
    // A value starts here.
    ws();
    if (eat('{')) {
      if (!eat('}')) {
        open += '{';
        too_deep(open.size());
        std::string unused;
        if (peek() != '"') fail();
        (void)string(unused);
        expect(':');
        continue;
      }
    } else if (eat('[')) {
      if (!eat(']')) {
        open += '[';
        too_deep(open.size());
        continue;
      }
    } else {
      scalar();
    }
    // A value ended: close what ends with it, or move on to the next member or element.
    for (;;) {
      if (open.empty()) return t_.substr(start, p_ - start);
      const char close = open.back() == '{' ? '}' : ']';
      if (eat(close)) {
        open.pop_back();
        continue;
      }
      expect(',');
      if (open.back() == '{') {
        std::string unused;
        if (peek() != '"') fail();
        (void)string(unused);
        expect(':');
      }
      break;
    }
  }
}

void JsonScanner::scalar() {
  switch (peek()) {
    case '"': {
      std::string unused;
      (void)string(unused);
      return;
    }
    case 't': return literal("true");
    case 'f': return literal("false");
    case 'n': return literal("null");
    case 'N': return literal("NaN");
    case 'I': return literal("Infinity");
    case '-':
      if (t_.substr(p_, 2) == "-I") return literal("-Infinity");
      return number();
    default:
      if (is_digit(peek())) return number();
      fail();
  }
}

void JsonScanner::literal(std::string_view word) {
  if (t_.substr(p_, word.size()) != word) fail();
  p_ += word.size();
}

void JsonScanner::number() {
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  const std::size_t start = p_;
  auto digits = [&] {
    const std::size_t from = p_;
    while (p_ < t_.size() && is_digit(t_[p_])) ++p_;
    if (p_ == from) fail();
  };
  if (p_ < t_.size() && t_[p_] == '-') ++p_;
  if (p_ < t_.size() && t_[p_] == '0') {
    ++p_;
  } else {
    digits();
  }
  if (p_ < t_.size() && t_[p_] == '.') {
    ++p_;
    digits();
  }
  if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
    ++p_;
    if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
    digits();
  }
  // A number that is not a 64-bit integer is read as a double; one too large for a double is an
  // error (nlohmann: "number overflow").
  const std::string_view token = t_.substr(start, p_ - start);
  if (is_integer_text(token)) {
    std::int64_t i = 0;
    std::uint64_t u = 0;
    const char* end = token.data() + token.size();
    if (std::from_chars(token.data(), end, i).ec == std::errc() ||
        std::from_chars(token.data(), end, u).ec == std::errc()) {
      return;
    }
  }
  // strtod_l needs a terminated string, and the "C" locale whatever the application's is.
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", nullptr);
  char small[64];
  std::string large;
  const char* terminated = small;
  if (token.size() < sizeof small) {
    token.copy(small, token.size());
    small[token.size()] = '\0';
  } else {
    large.assign(token);
    terminated = large.c_str();
  }
  if (std::isinf(strtod_l(terminated, nullptr, c_locale))) fail();
}

unsigned JsonScanner::hex4() {
  if (p_ + 4 > t_.size()) fail();
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = t_[p_++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
    else fail();
  }
  return v;
}

std::string_view JsonScanner::string(std::string& scratch) {
  expect('"');
  const std::size_t start = p_;
  bool escaped = false;
  for (;;) {
    if (p_ >= t_.size()) fail();
    const auto c = static_cast<unsigned char>(t_[p_]);
    if (c == '"') {
      if (!escaped) {
        const std::size_t end = p_++;
        return t_.substr(start, end - start);
      }
      ++p_;
      return scratch;
    }
    if (c < 0x20) fail();
    if (c == '\\') {
      if (!escaped) {
        escaped = true;
        scratch.assign(t_.substr(start, p_ - start));
      }
      ++p_;
      if (p_ >= t_.size()) fail();
      const char e = t_[p_++];
      switch (e) {
        case '"': scratch += '"'; break;
        case '\\': scratch += '\\'; break;
        case '/': scratch += '/'; break;
        case 'b': scratch += '\b'; break;
        case 'f': scratch += '\f'; break;
        case 'n': scratch += '\n'; break;
        case 'r': scratch += '\r'; break;
        case 't': scratch += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate followed by an escaped low one is one character. Alone (Python's
            // json.dumps writes a lone surrogate so, json.loads reads it) it is not Unicode and
            // becomes U+FFFD, the replacement character; what follows is read on its own.
            const std::size_t after = p_;
            unsigned low = 0;
            if (t_.substr(p_, 2) == "\\u") {
              p_ += 2;
              low = hex4();
            }
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              cp = kReplacementCharacter;
              p_ = after;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = kReplacementCharacter;  // a low surrogate alone
          }
          append_utf8(scratch, cp);
          break;
        }
        default: fail();
      }
      continue;
    }
    if (c < 0x80) {
      if (escaped) scratch += static_cast<char>(c);
      ++p_;
      continue;
    }
    const std::size_t n = utf8_sequence_length(t_, p_);
    if (n == 0) fail();
    if (escaped) scratch.append(t_.substr(p_, n));
    p_ += n;
  }
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto in = [&](std::size_t k, unsigned lo, unsigned hi) { return byte(k) >= lo && byte(k) <= hi; };
  const unsigned b0 = byte(0);
  if (b0 >= 0xC2 && b0 <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

bool is_integer_text(std::string_view number) noexcept {
  if (!number.empty() && number[0] == '-') number.remove_prefix(1);
  if (number.empty()) return false;
  for (char c : number) {
    if (!is_digit(c)) return false;
  }
  return true;
}

void JsonScanner::object_values(std::span<const std::string_view> keys, std::span<std::string_view> values) {
  expect('{');
  if (eat('}')) return;
  std::string key_scratch;
  do {
    if (peek() != '"') fail();
    const std::string_view key = string(key_scratch);
    expect(':');
    const std::string_view v = value();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (key == keys[i]) values[i] = v;
    }
  } while (eat(','));
  expect('}');
}

}  // namespace netgear::wire
