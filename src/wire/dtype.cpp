#include "wire/dtype.hpp"

#include <array>

#include <opencv2/core/hal/interface.h>

namespace netgear::wire {

namespace {

struct Entry {
  std::string_view name;  // numpy name
  char kind;              // array-protocol kind character
  std::size_t itemsize;
  int depth;
};

constexpr std::array<Entry, 9> kTypes{{
    {"uint8", 'u', 1, CV_8U},
    {"int8", 'i', 1, CV_8S},
    {"uint16", 'u', 2, CV_16U},
    {"int16", 'i', 2, CV_16S},
    {"int32", 'i', 4, CV_32S},
    {"float32", 'f', 4, CV_32F},
    {"float64", 'f', 8, CV_64F},
    {"float16", 'f', 2, CV_16F},
    {"bool", 'b', 1, CV_8U},
}};

}  // namespace

std::optional<DType> parse_dtype(std::string_view s) noexcept {
  for (const auto& e : kTypes) {
    if (s == e.name) return DType{e.depth, e.itemsize};
  }
  // Array-protocol form: byte order, kind, item size, e.g. "<f4".
  if (s.size() == 3 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    const char order = s[0];
    const char kind = s[1];
    const char size = s[2];
    if (size < '1' || size > '9') return std::nullopt;
    const std::size_t itemsize = static_cast<std::size_t>(size - '0');
    // Payloads are in the machine's (little-endian) order; a big-endian multi-byte type would
    // need swapping, which vidgear never does either, so it is refused.
    if (order == '>' && itemsize > 1) return std::nullopt;
    for (const auto& e : kTypes) {
      if (e.kind == kind && e.itemsize == itemsize) return DType{e.depth, e.itemsize};
    }
  }
  if (s == "?" || s == "|b1") return DType{CV_8U, 1};
  return std::nullopt;
}

std::string_view dtype_name(int depth) noexcept {
  for (const auto& e : kTypes) {
    if (e.depth == depth && e.name != "bool") return e.name;
  }
  return {};
}

}  // namespace netgear::wire
