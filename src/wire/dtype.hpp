// numpy dtype names <-> OpenCV depths, for raw (uncompressed) payloads.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace netgear::wire {

struct DType {
  int depth;              ///< OpenCV depth (CV_8U, ...)
  std::size_t itemsize;   ///< bytes per element
};

/// Parses a numpy dtype string as Python peers send it: a name ("uint8", "float32", "bool") or an
/// array-protocol code with byte order ("<f4", "|u1", "=i2"). Big-endian multi-byte types and types
/// OpenCV has no depth for (uint32, int64, complex, ...) give nullopt. "bool" maps to CV_8U.
std::optional<DType> parse_dtype(std::string_view dtype) noexcept;

/// The numpy name of an OpenCV depth ("uint8", ..., "float16"); empty for an unknown depth.
std::string_view dtype_name(int depth) noexcept;

}  // namespace netgear::wire
