// Restart markers as seams (jpeg_restart.hpp). Marker codes: ITU T.81, table B.1.
#include "codec/jpeg_restart.hpp"

#include <algorithm>
#include <cstring>

namespace netgear::codec::restart {

namespace {

constexpr std::uint8_t kSOI = 0xD8, kEOI = 0xD9, kSOS = 0xDA, kDRI = 0xDD;
constexpr std::uint8_t kSOF0 = 0xC0, kSOF1 = 0xC1, kDHT = 0xC4, kDQT = 0xDB, kCOM = 0xFE;
constexpr std::uint8_t kRST0 = 0xD0, kRST7 = 0xD7;

int be16(const std::uint8_t* p) { return (p[0] << 8) | p[1]; }

void put_be16(std::uint8_t* p, int v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xFF);
}

bool is_app(std::uint8_t m) { return m >= 0xE0 && m <= 0xEF; }

// The scan's entropy-coded data from `at`: records where each restart interval starts and
// returns the offset of the EOI, or 0 for another marker, markers out of order, no EOI, or more
// than max_intervals intervals.
std::size_t scan_intervals(std::span<const std::uint8_t> d, std::size_t at, std::size_t max_intervals,
                           std::vector<std::size_t>& intervals) {
  intervals.assign(1, at);
  std::size_t i = at;
  while (i < d.size()) {
    const void* ff = std::memchr(d.data() + i, 0xFF, d.size() - i);
    if (ff == nullptr) return 0;
    i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - d.data());
    if (i + 1 >= d.size()) return 0;
    const std::uint8_t m = d[i + 1];
    if (m == 0x00 || m == 0xFF) {  // a stuffed 0xFF, or fill before a marker
      i += 1 + (m == 0x00);
      continue;
    }
    if (m == kEOI) return i;
    if (m < kRST0 || m > kRST7) return 0;
    if (m - kRST0 != static_cast<int>((intervals.size() - 1) % 8) || intervals.size() >= max_intervals) return 0;
    i += 2;
    intervals.push_back(i);
  }
  return 0;
}

}  // namespace

std::optional<Layout> read_layout(std::span<const std::uint8_t> d, std::size_t max_intervals) {
  Layout l;
  if (!read_layout(d, max_intervals, l)) return std::nullopt;
  return l;
}

bool read_layout(std::span<const std::uint8_t> d, std::size_t max_intervals, Layout& l) {
  if (d.size() < 4 || d[0] != 0xFF || d[1] != kSOI) return false;
  l = Layout{.intervals = std::move(l.intervals)};
  bool have_sof = false;
  int components = 0, hmax = 0, vmax = 0, vmin = 4;
  std::size_t i = 2;
  for (;;) {
    if (i + 4 > d.size() || d[i] != 0xFF) return false;
    const std::uint8_t m = d[i + 1];
    const int len = be16(&d[i + 2]);
    if (len < 2 || i + 2 + static_cast<std::size_t>(len) > d.size()) return false;
    const std::uint8_t* p = &d[i + 4];  // the segment's payload, len - 2 bytes
    if (m == kSOF0 || m == kSOF1) {
      if (have_sof || len < 8) return false;
      components = p[5];
      if (p[0] != 8 || components < 1 || components > 4 || len != 8 + 3 * components) return false;
      l.height = be16(p + 1);
      l.width = be16(p + 3);
      if (l.height == 0 || l.width == 0) return false;  // 0: the height follows in a DNL
      l.sof_height_at = i + 5;
      for (int c = 0; c < components; ++c) {
        const int h = p[7 + 3 * c] >> 4, v = p[7 + 3 * c] & 0x0F;
        if (h < 1 || h > 4 || v < 1 || v > 4) return false;
        hmax = std::max(hmax, h);
        vmax = std::max(vmax, v);
        vmin = std::min(vmin, v);
      }
      have_sof = true;
    } else if (m == kDRI) {
      if (len != 4) return false;
      l.restart_interval = be16(p);
    } else if (m == kSOS) {
      // One scan with every component: then its MCUs cover the image and nothing follows it.
      if (!have_sof || len < 3 || p[0] != components) return false;
      l.sos_at = i;
      l.scan_at = i + 2 + static_cast<std::size_t>(len);
      break;
    } else if (m != kDHT && m != kDQT && m != kCOM && !is_app(m)) {
      return false;  // another coding process, DNL, arithmetic tables, a stray marker
    }
    i += 2 + static_cast<std::size_t>(len);
  }
  // A single-component scan's MCU is one block whatever the sampling factors say (T.81 A.2.2).
  const int mcu_w = components == 1 ? 8 : 8 * hmax;
  l.mcu_height = components == 1 ? 8 : 8 * vmax;
  l.mcus_per_row = (l.width + mcu_w - 1) / mcu_w;
  l.vertical_subsampling = components > 1 && vmin != vmax;
  l.eoi_at = scan_intervals(d, l.scan_at, max_intervals, l.intervals);
  if (l.eoi_at == 0) return false;
  if (l.restart_interval == 0 && l.intervals.size() > 1) return false;  // RSTn without a DRI
  return true;
}

int rows_per_interval(const Layout& l) {
  if (l.restart_interval == 0 || l.vertical_subsampling || l.mcus_per_row == 0 ||
      l.restart_interval % l.mcus_per_row != 0) {
    return 0;
  }
  return l.restart_interval / l.mcus_per_row * l.mcu_height;
}

bool plan_splice(std::span<const std::span<const std::uint8_t>> strips, Joint& joint) {
  if (strips.empty()) return false;
  std::vector<Layout>& layouts = joint.layouts;
  layouts.resize(strips.size());  // kept from the last frame's strips, with their memory
  for (std::size_t k = 0; k < strips.size(); ++k) {
    if (!read_layout(strips[k], 1, layouts[k]) || layouts[k].restart_interval != 0) return false;
  }
  const Layout& first = layouts.front();
  const std::span<const std::uint8_t> head = strips.front().first(first.scan_at);
  int height = 0;
  for (std::size_t k = 0; k < strips.size(); ++k) {
    const Layout& l = layouts[k];
    // The same header as the first strip but for the height: the same tables and sampling.
    if (l.scan_at != first.scan_at || l.sof_height_at != first.sof_height_at || l.width != first.width ||
        std::memcmp(strips[k].data(), head.data(), first.sof_height_at) != 0 ||
        std::memcmp(strips[k].data() + first.sof_height_at + 2, head.data() + first.sof_height_at + 2,
                    first.scan_at - first.sof_height_at - 2) != 0) {
      return false;
    }
    const bool last = k + 1 == strips.size();
    if (!last && (l.height != first.height || l.height % l.mcu_height != 0)) return false;
    if (last && l.height > first.height) return false;
    height += l.height;
  }
  const long interval = static_cast<long>(first.height / first.mcu_height) * first.mcus_per_row;
  if (height > 0xFFFF || (strips.size() > 1 && (first.vertical_subsampling || interval > 0xFFFF))) return false;

  joint.height = height;
  joint.interval = strips.size() > 1 ? static_cast<int>(interval) : 0;
  // The header, a DRI segment when there are seams, each strip's entropy-coded data and its
  // RSTn or the final EOI.
  joint.size = first.scan_at + (joint.interval != 0 ? 6 : 0);
  for (const Layout& l : layouts) joint.size += l.eoi_at - l.scan_at + 2;
  return true;
}

void write_splice(std::span<const std::span<const std::uint8_t>> strips, const Joint& joint,
                  std::span<std::uint8_t> out) {
  const Layout& first = joint.layouts.front();
  const std::uint8_t* head = strips.front().data();
  std::uint8_t* o = out.data();
  std::memcpy(o, head, first.sos_at);
  put_be16(o + first.sof_height_at, joint.height);
  o += first.sos_at;
  if (joint.interval != 0) {
    const std::uint8_t dri[6] = {0xFF, kDRI, 0, 4, static_cast<std::uint8_t>(joint.interval >> 8),
                                 static_cast<std::uint8_t>(joint.interval & 0xFF)};
    std::memcpy(o, dri, sizeof dri);
    o += sizeof dri;
  }
  std::memcpy(o, head + first.sos_at, first.scan_at - first.sos_at);
  o += first.scan_at - first.sos_at;
  for (std::size_t k = 0; k < strips.size(); ++k) {
    const Layout& l = joint.layouts[k];
    const std::size_t n = l.eoi_at - l.scan_at;
    std::memcpy(o, strips[k].data() + l.scan_at, n);
    o += n;
    *o++ = 0xFF;
    *o++ = k + 1 == strips.size() ? kEOI : static_cast<std::uint8_t>(kRST0 + k % 8);
  }
}

void extract_part(std::span<const std::uint8_t> d, const Layout& l, std::size_t first, std::size_t last,
                  std::vector<std::uint8_t>& out) {
  const int rows = rows_per_interval(l);
  const int top = static_cast<int>(first) * rows;
  const int height = std::min(l.height, static_cast<int>(last) * rows) - top;
  const std::size_t begin = l.intervals[first];
  // The data of interval last - 1 ends at its successor's RSTn marker, or at the EOI.
  const std::size_t end = last < l.intervals.size() ? l.intervals[last] - 2 : l.eoi_at;
  out.resize(l.scan_at + (end - begin) + 2);
  std::uint8_t* o = out.data();
  std::memcpy(o, d.data(), l.scan_at);
  put_be16(o + l.sof_height_at, height);
  o += l.scan_at;
  std::memcpy(o, d.data() + begin, end - begin);
  // Interval j's marker precedes its data; in the part, the first one inside is RST0 again.
  for (std::size_t j = first + 1; j < last; ++j) {
    o[l.intervals[j] - 1 - begin] = static_cast<std::uint8_t>(kRST0 + (j - first - 1) % 8);
  }
  o += end - begin;
  *o++ = 0xFF;
  *o++ = kEOI;
}

}  // namespace netgear::codec::restart
