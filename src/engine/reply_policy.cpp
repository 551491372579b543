#include "engine/reply_policy.hpp"

#include "wire/reply.hpp"

namespace netgear::engine {

void EncodedReply::append_to(std::vector<zmq::message_t>& parts) const {
  parts.emplace_back(header.data(), header.size());  // copied: the header may be replaced meanwhile
  if (payload) {
    parts.emplace_back();
    parts.back().copy(const_cast<zmq::message_t&>(*payload));  // shares the bytes
  }
}

ReturnDataReply::ReturnDataReply(const Options& options, net::BufferPool& pool, std::shared_ptr<spdlog::logger> log,
                                 std::optional<json> port)
    : port_(std::move(port)),
      encoder_(options, /*lend_raw=*/false, pool, std::move(log)),
      sticky_(encode_locked(ReturnData{})) {}

EncodedReply ReturnDataReply::encode_locked(const ReturnData& data) {
  wire::ReplyHeader h;
  h.port = port_;
  EncodedReply out;
  if (data.has_frame()) {
    h.return_type = "ndarray";
    zmq::message_t payload;
    // A frame reply always carries its bytes, even a raw one lent by the caller: copy it (the
    // application may write into its matrix while the reply is still being sent).
    encoder_.encode(data.frame, {h.compression, h.array_dtype, h.array_shape}, payload);
    out.payload = std::move(payload);
  } else {
    h.return_type = wire::python_type(data.value);
    h.data = data.value;
  }
  try {
    wire::encode_reply(out.header, h);
  } catch (const ProtocolError&) {
    throw;
  } catch (const Error& e) {
    throw FrameError(std::string("the return data cannot be sent: ") + e.what());
  }
  return out;
}

void ReturnDataReply::set(const json& value) {
  ReturnData d;
  d.value = value;
  std::lock_guard lk(mu_);
  sticky_ = encode_locked(d);
}

void ReturnDataReply::set(const cv::Mat& frame) {
  if (frame.empty()) throw FrameError("cannot return an empty frame (set null for no return data)");
  ReturnData d;
  d.frame = frame;
  std::lock_guard lk(mu_);
  sticky_ = encode_locked(d);
}

void ReturnDataReply::reply_to(std::vector<zmq::message_t>& parts) {
  std::lock_guard lk(mu_);
  sticky_.append_to(parts);
}

EncodedReply ReturnDataReply::encode(const ReturnData& data) {
  std::lock_guard lk(mu_);
  return encode_locked(data);
}

}  // namespace netgear::engine
