// Objects for the ndp/ functions with libraries, for the topology test
// (tests/ndp_topology_test.sh), which has no image tools:
//   nearfaas_ndp_testdata png|jpeg W H CHANNELS FILE   noisy image
//   nearfaas_ndp_testdata jsonl LINES FILE             JSON lines
//   nearfaas_ndp_testdata matrix ROWS COLUMNS FILE     rows around 3 centres
// Deterministic: the same arguments give the same bytes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "stb_image_write.h"
#pragma GCC diagnostic pop

namespace {

uint32_t nextRandom(uint32_t* s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

int usage() {
  std::fprintf(stderr,
               "usage: nearfaas_ndp_testdata png|jpeg W H CHANNELS FILE\n"
               "       nearfaas_ndp_testdata jsonl LINES FILE\n"
               "       nearfaas_ndp_testdata matrix ROWS COLUMNS FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string kind = argv[1], out;
  const char* file = argv[argc - 1];
  uint32_t seed = 12345;
  if ((kind == "png" || kind == "jpeg") && argc == 6) {
    int w = std::atoi(argv[2]), h = std::atoi(argv[3]), c = std::atoi(argv[4]);
    if (w < 1 || h < 1 || c < 1 || c > 4 || w > 20000 || h > 20000) return usage();
    std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * c);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k)
          pixels[(static_cast<size_t>(y) * w + x) * c + k] =
              static_cast<uint8_t>((x + y * 2 + k * 60) % 256 / 2 + nextRandom(&seed) % 128);
    int ok = kind == "png" ? stbi_write_png_to_func(append, &out, w, h, c, pixels.data(), w * c)
                           : stbi_write_jpg_to_func(append, &out, w, h, c, pixels.data(), 90);
    if (!ok) return 1;
  } else if (kind == "jsonl" && argc == 4) {
    long n = std::atol(argv[2]);
    const char* colors[] = {"red", "green", "blue"};
    char line[256];
    for (long i = 0; i < n; ++i) {
      std::snprintf(line, sizeof line,
                    "{\"id\":%ld,\"color\":\"%s\",\"size\":%.2f,\"tags\":[\"t%ld\",\"x\"],"
                    "\"nested\":{\"ok\":%s,\"score\":%u}}\n",
                    i, colors[i % 3], (nextRandom(&seed) % 10000) / 100.0, i % 4,
                    i % 5 == 0 ? "true" : "false", nextRandom(&seed) % 1000);
      out += line;
    }
  } else if (kind == "matrix" && argc == 5) {
    long rows = std::atol(argv[2]), cols = std::atol(argv[3]);
    if (rows < 1 || cols < 1 || cols > 1024) return usage();
    char value[32];
    for (long r = 0; r < rows; ++r) {
      long centre = r % 3;
      for (long c = 0; c < cols; ++c) {
        double v = (c % 3 == centre ? 10.0 * (centre + 1) : 0.0) +
                   (nextRandom(&seed) % 2000) / 1000.0 - 1.0;
        std::snprintf(value, sizeof value, "%.3f", v);
        out += value;
        out += c + 1 == cols ? '\n' : ' ';
      }
    }
  } else {
    return usage();
  }
  FILE* f = std::fopen(file, "wb");
  if (!f) return 1;
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok ? 0 : 1;
}
