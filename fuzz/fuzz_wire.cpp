// libFuzzer target: whatever bytes a peer sends as a header, the wire decoders either return a
// value or throw netgear::ProtocolError; nothing else (no crash, no other exception, no UB). And
// the header scanner agrees with the reference decoder built on nlohmann's document parser.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DNETGEAR_FUZZ=ON && cmake --build build-fuzz --target fuzz_wire
//   build-fuzz/fuzz/fuzz_wire -max_total_time=60 fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "netgear/error.hpp"
#include "header_reference.hpp"
#include "wire/header.hpp"
#include "wire/json_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    std::string scanner_error, reference_error;
    netgear::wire::FrameHeader a, b;
    try {
      netgear::wire::decode_header(text, a);
    } catch (const netgear::ProtocolError& e) {
      scanner_error = e.what();
    }
    try {
      b = netgear::wire::reference::decode_header_dom(text);
    } catch (const netgear::ProtocolError& e) {
      reference_error = e.what();
    }
    if (scanner_error != reference_error) __builtin_trap();
    if (scanner_error.empty()) {
      auto text_of = [](const std::optional<nlohmann::json>& j) { return j ? j->dump() : std::string("-"); };
      if (a.terminate != b.terminate || text_of(a.port) != text_of(b.port)) __builtin_trap();
      if (!a.terminate && (a.compression != b.compression || a.message.dump() != b.message.dump() ||
                           a.pattern != b.pattern || a.dtype != b.dtype || a.shape != b.shape)) {
        __builtin_trap();
      }
    }
  }
  try {
    auto h = netgear::wire::decode_header(text);
    if (!h.terminate && !h.compression) (void)netgear::wire::raw_payload_size(h.dtype, h.shape);
    // Whatever decodes must encode again and decode to the same header.
    if (!h.terminate) {
      std::string again = netgear::wire::encode_frame_header(h);
      auto h2 = netgear::wire::decode_header(again);
      if (h2.dtype != h.dtype || h2.shape != h.shape || h2.compression != h.compression) __builtin_trap();
    }
  } catch (const netgear::ProtocolError&) {
  } catch (const netgear::Error&) {
    // encode_frame_header refuses strings that are not UTF-8; the decoder gives only UTF-8 (lone
    // surrogate escapes become U+FFFD), but a receiver never re-encodes peer data anyway.
  }
  return 0;
}
