// Restart markers as seams: one baseline JPEG made of strips encoded in parallel, and one decoded
// in parallel parts. docs/jpeg.md, "Threads".
//
// A restart marker (RSTn) resets the entropy coder's DC predictors, and the data before it ends
// on a byte boundary. A horizontal strip encoded on its own as a JPEG (rows a multiple of the MCU
// height) therefore has exactly the entropy-coded bytes of one restart interval of the whole
// image, and the reverse holds for decoding. Pure byte work here; the threads are JpegEncoder's
// and JpegDecoder's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace netgear::codec::restart {

/// Where the pieces of a sequential Huffman JPEG with a single scan are (offsets into its bytes).
struct Layout {
  int width = 0, height = 0;
  int mcu_height = 0;          ///< pixels
  int mcus_per_row = 0;
  int restart_interval = 0;    ///< MCUs per restart interval (DRI); 0: none
  /// Some component has fewer rows than another: a part decoded alone would upsample its edge
  /// rows differently from the whole image (4:2:0), so such a JPEG is not split.
  bool vertical_subsampling = false;
  std::size_t sof_height_at = 0;  ///< the SOF's two height bytes
  std::size_t sos_at = 0;         ///< the SOS marker
  std::size_t scan_at = 0;        ///< the first entropy-coded byte (after the SOS header)
  std::size_t eoi_at = 0;         ///< the EOI marker that ends the scan
  /// Where each restart interval's entropy-coded data starts; the first is scan_at, each later
  /// one follows its RSTn marker.
  std::vector<std::size_t> intervals;
};

/// Reads a baseline or extended sequential Huffman JPEG (SOF0/SOF1, 8-bit, one scan with all
/// components, restart markers in order, EOI). nullopt for anything else (progressive,
/// arithmetic, several scans, DNL, a damaged marker) or for more than `max_intervals` restart
/// intervals; such data is for an ordinary decoder, which reports what is wrong with it.
std::optional<Layout> read_layout(std::span<const std::uint8_t> jpeg, std::size_t max_intervals);
/// As above, into `layout` (its `intervals` keep their memory: a caller that reads one JPEG after
/// another allocates nothing in steady state). false, `layout` unspecified, where that is nullopt.
bool read_layout(std::span<const std::uint8_t> jpeg, std::size_t max_intervals, Layout& layout);

/// How the JPEGs of the horizontal strips of one image join into one (plan_splice()).
struct Joint {
  std::vector<Layout> layouts;  ///< one per strip
  int height = 0;               ///< of the whole image
  int interval = 0;             ///< MCUs per restart interval: one strip's; 0 for a single strip
  std::size_t size = 0;         ///< bytes of the joined JPEG
};

/// Plans joining the JPEGs of the horizontal strips of one image, top to bottom, into one JPEG
/// with a restart marker at each seam. The strips must come from one encoder's settings (the same
/// tables, checked), all but the last of the same height, a multiple of the MCU height, and carry
/// no restart markers of their own. false (joint unspecified) when they do not fit together: the
/// caller encodes the image whole instead.
bool plan_splice(std::span<const std::span<const std::uint8_t>> strips, Joint& joint);

/// Writes the JPEG that `joint` (plan_splice() of the same strips) describes into `out`, which
/// has exactly joint.size bytes.
void write_splice(std::span<const std::span<const std::uint8_t>> strips, const Joint& joint,
                  std::span<std::uint8_t> out);

/// Image rows of one restart interval, or 0 when intervals do not end at row boundaries, the JPEG
/// has no restart markers, or it is vertically subsampled: then it cannot be split into parts.
int rows_per_interval(const Layout& layout);

/// The JPEG of restart intervals [first, last) of `jpeg` (described by `layout`, whose
/// rows_per_interval() is not 0): the header with the part's height, the intervals' data with
/// their markers renumbered from RST0, and EOI. Decoding it gives exactly those rows of the image.
void extract_part(std::span<const std::uint8_t> jpeg, const Layout& layout, std::size_t first, std::size_t last,
                  std::vector<std::uint8_t>& out);

}  // namespace netgear::codec::restart
