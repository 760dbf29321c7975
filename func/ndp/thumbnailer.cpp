/*
 * ndp/thumbnailer: shrinks a PNG or JPEG image object into a bounding box and
 * stores the result as a new PNG object. The decoding and shrinking run next
 * to the data if the runtime offloads them; only the small image comes back.
 *
 * Input:  "<key> <W>x<H>" or "<key> <W>x<H> <thumbnail key>" (single spaces,
 *         no other spaces): the image object, the box (W and H decimal,
 *         1..4096) and the key of the new object (default "<key>.thumb.png").
 * Output: "<thumbnail key> <w>x<h> <n> bytes": the new object, its size in
 *         pixels and its length. Returns 0. The object <thumbnail key> then
 *         holds a PNG of w x h pixels with the image's channels (grey, grey +
 *         alpha, RGB or RGBA, 8 bits each; 16-bit PNGs are reduced to 8).
 * Size:   an image that fits the box keeps its size (it is only re-encoded);
 *         otherwise the side that limits gets the box's length and the other
 *         keeps the aspect ratio, rounded to the nearest pixel (at least 1):
 *         w x h in a box W x H with w * H >= h * W becomes
 *         W x max(1, (2 * h * W + w) / (2 * w)) (integer division), the other
 *         case alike with the roles swapped.
 * Pixels: decoded by stb_image (any channel count as stored), shrunk by
 *         stbir_resize_uint8 of stb_image_resize (its default filter, every
 *         channel alike: alpha is not premultiplied), encoded by
 *         stb_image_write's PNG writer (its default compression level 8).
 * Errors: anything else as input -> output "FAILED - usage: thumbnailer with
 *           input 'key WIDTHxHEIGHT [thumbnail key]'", returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1;
 *         not a PNG or JPEG image, or a corrupt one -> output
 *           "FAILED - the object is not a PNG or JPEG image (<stb's reason>)",
 *           returns 3;
 *         more than kMaxPixels pixels -> output "FAILED - the image has more
 *           than 33554432 pixels", returns 3;
 *         encoding or storing the thumbnail fails -> output
 *           "FAILED - could not store the thumbnail", returns 4.
 *
 * NDP: decodeAndShrink runs through __faasmndp_storageCallAndAwait (no
 * arguments; globals in and out). It maps the whole object and leaves the
 * small image in a global; stb allocates through ndp::scratchMalloc, which
 * zeroes what it frees, so that the full-size pixels and the decoder's
 * buffers do not travel back. The encoding and the __faasmndp_put of the
 * new object run in main, on the caller.
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <stdint.h>
#include <stdio.h>

#include <string>
#include <string_view>
#include <vector>

// stb's single-file libraries (Debian libstb-dev, headers of /usr/include/stb
// added with their own -I): implementations compiled here, without stdio,
// without SIMD (the SDK builds with -mno-simd128; the same code natively).
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_MALLOC(n) ndp::scratchMalloc(n)
#define STBI_REALLOC(p, n) ndp::scratchRealloc(p, n)
#define STBI_FREE(p) ndp::scratchFree(p)
#define STBI_NO_STDIO
#define STBI_NO_SIMD
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include "stb_image.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBIR_MALLOC(n, context) ((void)(context), ndp::scratchMalloc(n))
#define STBIR_FREE(p, context) ((void)(context), ndp::scratchFree(p))
#include "stb_image_resize.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image_write.h"
#pragma clang diagnostic pop

namespace {

using ndp::setOutput;

constexpr long kMaxBox = 4096;
constexpr uint64_t kMaxPixels = uint64_t{1} << 25;  // 128 MiB of RGBA

// In: set by main for decodeAndShrink.
std::string_view imageKey;
int boxWidth = 0, boxHeight = 0;
// Out: the shrunk image.
std::vector<uint8_t> thumbPixels;
int thumbWidth = 0, thumbHeight = 0, thumbChannels = 0;

// The size of a w x h image shrunk into the box (see the header).
void fitIntoBox(int w, int h, int* outW, int* outH) {
  uint64_t W = static_cast<uint64_t>(boxWidth), H = static_cast<uint64_t>(boxHeight);
  uint64_t uw = static_cast<uint64_t>(w), uh = static_cast<uint64_t>(h);
  if (uw <= W && uh <= H) {
    *outW = w;
    *outH = h;
  } else if (uw * H >= uh * W) {
    *outW = boxWidth;
    uint64_t nh = (2 * uh * W + uw) / (2 * uw);
    *outH = static_cast<int>(nh < 1 ? 1 : nh);
  } else {
    *outH = boxHeight;
    uint64_t nw = (2 * uw * H + uh) / (2 * uh);
    *outW = static_cast<int>(nw < 1 ? 1 : nw);
  }
}

void appendBytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

// Runs near the object: decodes it and leaves the shrunk image in thumbPixels.
int decodeAndShrink() {
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(imageKey, &len);
  if (data == nullptr) return 1;
  int w = 0, h = 0, channels = 0;
  int rc = 0;
  uint8_t* pixels = nullptr;
  if (!stbi_info_from_memory(data, static_cast<int>(len), &w, &h, &channels)) {
    rc = 3;
  } else if (static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > kMaxPixels) {
    setOutput("FAILED - the image has more than " + std::to_string(kMaxPixels) + " pixels");
    rc = 5;
  } else {
    pixels = stbi_load_from_memory(data, static_cast<int>(len), &w, &h, &channels, 0);
    if (pixels == nullptr) rc = 3;
  }
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  if (rc == 3)
    setOutput(std::string("FAILED - the object is not a PNG or JPEG image (") +
              stbi_failure_reason() + ")");
  if (rc != 0) return rc == 5 ? 3 : rc;

  fitIntoBox(w, h, &thumbWidth, &thumbHeight);
  thumbChannels = channels;
  thumbPixels.resize(static_cast<size_t>(thumbWidth) * static_cast<size_t>(thumbHeight) *
                     static_cast<size_t>(channels));
  int ok =
      stbir_resize_uint8(pixels, w, h, 0, thumbPixels.data(), thumbWidth, thumbHeight, 0, channels);
  stbi_image_free(pixels);
  if (!ok) {
    setOutput("FAILED - could not store the thumbnail");
    return 4;
  }
  return 0;
}

int main(int, char*[]) {
  std::string input = ndp::readInput();
  // "<key> <W>x<H> [<thumbnail key>]"
  std::vector<std::string_view> parts = ndp::splitSpaces(input);
  long w = -1, h = -1;
  if (parts.size() == 2 || parts.size() == 3) {
    size_t x = parts[1].find('x');
    if (x != std::string_view::npos) {
      w = ndp::parseNumber(parts[1].substr(0, x), 1, kMaxBox);
      h = ndp::parseNumber(parts[1].substr(x + 1), 1, kMaxBox);
    }
  }
  if (w < 0 || h < 0 || parts[0].empty() || (parts.size() == 3 && parts[2].empty())) {
    setOutput("FAILED - usage: thumbnailer with input 'key WIDTHxHEIGHT [thumbnail key]'");
    return 0;
  }
  imageKey = parts[0];
  boxWidth = static_cast<int>(w);
  boxHeight = static_cast<int>(h);
  std::string thumbKey =
      parts.size() == 3 ? std::string(parts[2]) : std::string(imageKey) + ".thumb.png";

  thumbPixels.clear();
  int rc = __faasmndp_storageCallAndAwait(imageKey.data(), static_cast<uint32_t>(imageKey.size()),
                                          decodeAndShrink);
  if (rc != 0) return rc;

  std::vector<uint8_t> png;
  if (!stbi_write_png_to_func(appendBytes, &png, thumbWidth, thumbHeight, thumbChannels,
                              thumbPixels.data(), thumbWidth * thumbChannels) ||
      png.empty() ||
      __faasmndp_put(thumbKey.data(), static_cast<uint32_t>(thumbKey.size()), png.data(),
                     static_cast<uint32_t>(png.size())) != 0) {
    setOutput("FAILED - could not store the thumbnail");
    return 4;
  }
  setOutput(thumbKey + " " + std::to_string(thumbWidth) + "x" + std::to_string(thumbHeight) + " " +
            std::to_string(png.size()) + " bytes");
  return 0;
}
