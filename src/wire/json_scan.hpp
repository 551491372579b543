// A strict JSON scanner that checks and walks text without building a document.
//
// Frame headers arrive with every frame; reading them into an nlohmann::json document costs some
// thirty heap allocations per frame (nodes, keys, strings) for seven keys of which only `message`
// is handed to the application. JsonScanner validates the text as nlohmann's parser does (RFC
// 8259, well-formed UTF-8, a leading UTF-8 byte order mark skipped, plus Python's NaN, Infinity
// and -Infinity, and lone surrogate escapes as Python's json module reads them, decoded to U+FFFD) and returns the text of each value, so that the caller
// parses only what it keeps. It allocates only for escaped strings longer than std::string's
// small buffer and for nesting deeper than 15 levels.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace netgear::wire {

/// Deepest nesting of arrays and objects accepted (deeper text is refused as not ours): Python's
/// json module cannot write more than about 1000 levels (its recursion limit), and a parsed
/// document of deeply nested text takes some 64 bytes per byte of it.
inline constexpr std::size_t kMaxJsonDepth = 1000;

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : t_(text) {}

  /// Skips a UTF-8 byte order mark at the very start, as nlohmann's parser does.
  void skip_bom();
  /// Skips JSON white space.
  void ws();
  /// After white space: consumes `c` and returns true if it is next.
  bool eat(char c);
  /// After white space: consumes `c`, or throws ProtocolError.
  void expect(char c);
  /// After white space: true when the text is used up (or a NUL byte comes, as for nlohmann).
  bool at_end();
  /// After white space: the next character, or '\0' at the end.
  char peek();

  /// Checks one value (of any kind, nested up to kMaxJsonDepth levels) and returns its text.
  std::string_view value();
  /// Checks a string and returns its decoded contents: a view into the text when it has no
  /// escapes, else into `scratch`, which receives the decoded bytes.
  std::string_view string(std::string& scratch);

  /// Checks the object whose '{' comes next and notes, for each of `keys`, the text of its value
  /// in the same place of `values` (the last one wins when a key repeats, as in a parsed
  /// document; a key that is absent leaves its value empty). Other keys are checked and skipped.
  void object_values(std::span<const std::string_view> keys, std::span<std::string_view> values);

  /// Throws the ProtocolError for text that is not JSON (quoting the start of the text).
  [[noreturn]] void fail() const;

 private:
  void scalar();
  static void too_deep(std::size_t depth);
  void number();
  void literal(std::string_view word);
  unsigned hex4();

  std::string_view t_;
  std::size_t p_ = 0;
};

/// Length of the well-formed UTF-8 sequence that starts at s[i] (a byte >= 0x80), per the Unicode
/// standard's table 3-7 (what nlohmann's decoder accepts); 0 when it is ill-formed or cut short.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

/// True for the text of a JSON integer (no fraction, no exponent), as nlohmann classifies numbers.
bool is_integer_text(std::string_view number) noexcept;

}  // namespace netgear::wire
