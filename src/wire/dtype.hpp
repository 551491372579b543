// Raw (uncompressed) payloads: numpy dtype names <-> OpenCV depths, and how a dtype and shape lay
// out as bytes and as an OpenCV matrix. The one place that knows the raw layout; both directions
// of the frame codec use it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>
#include <string_view>

namespace netgear::wire {

struct DType {
  int depth;              ///< OpenCV depth (CV_8U, ...)
  std::size_t itemsize;   ///< bytes per element
  bool swap = false;      ///< the payload is big-endian: swap each element's bytes to native order
};

/// Parses a numpy dtype string as Python peers send it: a name ("uint8", "float32", "bool") or an
/// array-protocol code with byte order ("<f4", "|u1", "=i2", ">u2"). Big-endian multi-byte types
/// map to the same depth with `swap` set; "bool" ("|b1", "?") maps to CV_8U. Types OpenCV has no
/// depth for, so cannot hold without loss (uint32, int64, uint64, complex, float128, datetime,
/// object, ...), give nullopt.
std::optional<DType> parse_dtype(std::string_view dtype) noexcept;

/// The numpy name of an OpenCV depth ("uint8", ..., "float16"); empty for an unknown depth.
std::string_view dtype_name(int depth) noexcept;

/// Bytes a raw payload of this dtype and shape must have: product(shape) * itemsize. Throws
/// netgear::ProtocolError for an unknown dtype (the message names it), a negative dimension or an
/// overflowing size.
std::size_t raw_payload_size(std::string_view dtype, const std::vector<std::int64_t>& shape);

/// A raw payload's dtype and shape as an OpenCV matrix: numpy's last axis becomes the channels for
/// rank >= 3 when it fits (an HxWxC image), a 1-D array becomes one row.
struct RawLayout {
  int depth = 0;               ///< OpenCV depth
  std::size_t itemsize = 0;    ///< bytes per element
  bool swap = false;           ///< big-endian payload: each element's bytes must be reversed
  std::size_t bytes = 0;       ///< raw_payload_size()
  int dims = 0;                ///< OpenCV dimensions (2..32)
  std::array<int, 33> sizes{};  ///< their sizes
  int channels = 1;
};
/// Throws netgear::ProtocolError for what raw_payload_size refuses and for shapes OpenCV cannot
/// hold (empty, more than 32 dimensions, a dimension beyond INT_MAX).
RawLayout raw_layout(std::string_view dtype, const std::vector<std::int64_t>& shape);

}  // namespace netgear::wire
