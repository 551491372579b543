// libFuzzer target: whatever parts a peer sends as a reply, decode_reply either returns a reply or
// throws netgear::ProtocolError; nothing else (no crash, no other exception, no UB). It agrees with
// the reference decoder built on nlohmann's document parser, and what it decodes encodes again and
// decodes to the same reply.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DNETGEAR_FUZZ=ON && cmake --build build-fuzz --target fuzz_reply
//   build-fuzz/fuzz/fuzz_reply -max_total_time=60 fuzz/corpus_reply
//
// Input: the first byte's low two bits give the number of parts (0 to 3); the rest of the input is
// cut into that many parts at the first (and second) 0xFF byte, a byte that cannot occur in valid
// UTF-8 text. With one part, the whole rest is the part; the last part takes whatever remains.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netgear/error.hpp"
#include "reply_reference.hpp"
#include "wire/header.hpp"
#include "wire/reply.hpp"

namespace {

using netgear::wire::Reply;

std::string dump(const std::optional<nlohmann::json>& j) { return j ? j->dump() : std::string("-"); }

bool same(const Reply& a, const Reply& b) {
  return a.kind == b.kind && a.text == b.text && a.payload == b.payload && a.header.return_type == b.header.return_type &&
         a.header.data.dump() == b.header.data.dump() && dump(a.header.port) == dump(b.header.port) &&
         a.header.compression == b.header.compression && a.header.array_dtype == b.header.array_dtype &&
         a.header.array_shape == b.header.array_shape;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t count = data[0] & 3u;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> parts;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t cut = i + 1 < count ? rest.find('\xFF') : std::string_view::npos;
    parts.push_back(rest.substr(0, cut));
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }

  Reply a, b;
  std::string error, reference_error;
  try {
    netgear::wire::decode_reply(parts, a);
  } catch (const netgear::ProtocolError& e) {
    error = e.what();
  }
  try {
    b = netgear::wire::reference::decode_reply_dom(parts);
  } catch (const netgear::ProtocolError& e) {
    reference_error = e.what();
  }
  if (error != reference_error) __builtin_trap();
  if (!error.empty()) return 0;
  if (!same(a, b)) __builtin_trap();

  if (a.kind == Reply::Kind::Text) {
    if (parts.size() != 1 || a.text.data() != parts[0].data() || a.text.size() != parts[0].size()) __builtin_trap();
    return 0;
  }
  if (a.kind == Reply::Kind::Frame && !a.header.compression &&
      a.payload.size() != netgear::wire::raw_payload_size(a.header.array_dtype, a.header.array_shape)) {
    __builtin_trap();
  }
  // Whatever decodes must encode again and decode to the same reply.
  std::string again;
  try {
    netgear::wire::encode_reply(again, a.header);
  } catch (const netgear::ProtocolError&) {
    __builtin_trap();  // the encoder throws only netgear::Error
  } catch (const netgear::Error&) {
    return 0;  // not expected (the decoder accepts only well-formed UTF-8), but not a decoding bug
  }
  std::vector<std::string_view> parts2{again};
  if (a.kind == Reply::Kind::Frame) parts2.push_back(a.payload);
  Reply c;
  try {
    netgear::wire::decode_reply(parts2, c);
  } catch (const netgear::ProtocolError&) {
    __builtin_trap();
  }
  if (!same(a, c)) __builtin_trap();
  return 0;
}
