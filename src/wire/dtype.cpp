#include "wire/dtype.hpp"

#include <array>
#include <limits>
#include <string>

#include <opencv2/core/hal/interface.h>

#include "netgear/error.hpp"

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
    // Our payloads are in the machine's (little-endian) order; a numpy peer may send an array
    // of a big-endian dtype as it holds it (np.frombuffer on the other side reads it right), so
    // its elements are byte-swapped to native order on the way in.
    const bool swap = order == '>' && itemsize > 1;
    for (const auto& e : kTypes) {
      if (e.kind == kind && e.itemsize == itemsize) return DType{e.depth, e.itemsize, swap};
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

std::size_t raw_payload_size(std::string_view dtype, const std::vector<std::int64_t>& shape) {
  auto t = parse_dtype(dtype);
  if (!t) {
    throw ProtocolError("unsupported dtype '" + std::string(dtype) +
                        "': no OpenCV type holds it without loss (supported: uint8, int8, uint16, int16, int32, "
                        "float16, float32, float64, bool, in either byte order)");
  }
  std::size_t n = t->itemsize;
  for (auto d : shape) {
    if (d < 0) throw ProtocolError("negative dimension in shape");
    const auto ud = static_cast<std::size_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::size_t>::max() / ud) {
      throw ProtocolError("shape is too large");
    }
    n *= ud;
  }
  return n;
}

RawLayout raw_layout(std::string_view dtype, const std::vector<std::int64_t>& shape) {
  RawLayout out;
  out.bytes = raw_payload_size(dtype, shape);
  const auto t = parse_dtype(dtype);  // known good: raw_payload_size checked it
  out.depth = t->depth;
  out.itemsize = t->itemsize;
  out.swap = t->swap;
  if (shape.empty()) throw ProtocolError("empty shape");
  // At most 32 OpenCV dimensions, plus numpy's channel axis.
  if (shape.size() > 33) throw ProtocolError("shape has too many dimensions");
  std::array<int, 34> sizes{};
  std::size_t n = 0;
  for (auto d : shape) {
    if (d > std::numeric_limits<int>::max()) throw ProtocolError("shape dimension out of range");
    sizes[n++] = static_cast<int>(d);
  }
  if (n >= 3 && sizes[n - 1] >= 1 && sizes[n - 1] <= CV_CN_MAX) out.channels = sizes[--n];
  if (n == 1) {  // a 1-D array is one row
    sizes[1] = sizes[0];
    sizes[0] = 1;
    n = 2;
  }
  if (n > 32) throw ProtocolError("shape has too many dimensions");
  out.dims = static_cast<int>(n);
  for (std::size_t i = 0; i < n; ++i) out.sizes[i] = sizes[i];
  return out;
}

}  // namespace netgear::wire
