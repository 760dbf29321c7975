// The ndp/ functions with libraries (thumbnailer, json_query, pcakmm) and
// substrrepl, run as wasm in a Node on the directory store (every storage
// call runs in place; offloaded runs: ndp_offloader_test.cpp and the
// topology test) and compared with a native build of the same source
// (ndp_native.h): the same output and return value, the same objects
// written. Each is also checked against an independent computation in the
// test: the thumbnail decoded with stb and compared with stb's own resize of
// the original, JSON-lines counts from the generator of the lines, cluster
// sizes of generated clusters, replacements done with std::string. Error
// paths: a missing object, a corrupt image, a bad JSON line, a bad query, a
// matrix of the wrong shape, bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "base/bytes.h"
#include "ndp_native.h"
#include "sched/node.h"
#include "test_env.h"

// stb is compiled into the native thumbnailer (ndp/thumbnailer.cpp); its
// functions are declared here only.
#include "stb_image.h"
#include "stb_image_resize.h"
#include "stb_image_write.h"

namespace nearfaas {
namespace {

using host::CallOutcome;
using host::CallRequest;
namespace native = test::ndpnative;

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

class NdpFunctions : public ::testing::Test {
 public:
  void SetUp() override {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = test::testCacheDir();
    c.scheduler.slots = 1;
    c.scheduler.callTimeout = std::chrono::seconds(60);
    c.faaslet.maxMemoryPages = 8192;  // 512 MiB
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
    for (const char* f : {"thumbnailer", "json_query", "pcakmm", "substrrepl"}) {
      auto wasm =
          readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "ndp" / (f + std::string(".wasm")));
      ASSERT_TRUE(wasm) << wasm.error().message;
      ASSERT_TRUE(node_->functions().add("ndp", f, *wasm));
    }
    native::objects().clear();
  }

  // The object in both worlds.
  void put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(node_->objects().put("ndp", key, Bytes(value.begin(), value.end())));
    native::objects()[key] = value;
  }
  // The object as the wasm function left it; the native build must have
  // left the same.
  std::string object(const std::string& key) {
    auto b = node_->objects().get("ndp", key);
    auto it = native::objects().find(key);
    EXPECT_TRUE(b) << key << ": " << b.error().message;
    EXPECT_TRUE(it != native::objects().end()) << key << " missing in the native run";
    if (!b || it == native::objects().end()) return "";
    EXPECT_EQ(text(*b), it->second) << key << ": the wasm and native builds wrote different bytes";
    return text(*b);
  }

  // Runs function `name` as wasm and natively with `input`: both must give
  // the same. The native outcome (its output even on failure, where the
  // runtime replaces the wasm call's with "Call failed (return value=N)").
  native::Outcome both(const std::string& name, native::MainFn mainFn, const std::string& input) {
    CallRequest r;
    r.user = "ndp";
    r.function = name;
    r.input.assign(input.begin(), input.end());
    CallOutcome wasm = node_->scheduler().call(std::move(r));
    native::Outcome nat = native::run(mainFn, input);
    EXPECT_EQ(wasm.error, "") << name << " '" << input << "'";
    EXPECT_EQ(wasm.returnValue, nat.returnValue) << name << " '" << input << "'";
    if (nat.returnValue == 0)
      EXPECT_EQ(text(wasm.output), nat.output) << name << " '" << input << "'";
    else
      EXPECT_EQ(text(wasm.output),
                "Call failed (return value=" + std::to_string(nat.returnValue) + ")")
          << name << " '" << input << "'";
    return nat;
  }

  test::TempDir dir_;
  std::unique_ptr<sched::Node> node_;
};

// ---- thumbnailer ---------------------------------------------------------------

struct Image {
  int w = 0, h = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

Image pattern(int w, int h, int channels) {
  Image im{w, h, channels, std::vector<uint8_t>(static_cast<size_t>(w * h * channels))};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        im.pixels[static_cast<size_t>((y * w + x) * channels + c)] =
            static_cast<uint8_t>((x * 7 + y * 3 + c * 50 + ((x / 8 + y / 8) % 2) * 90) % 256);
  return im;
}

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::string*>(context);
  out->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::string encodePng(const Image& im) {
  std::string out;
  EXPECT_TRUE(stbi_write_png_to_func(append, &out, im.w, im.h, im.channels, im.pixels.data(),
                                     im.w * im.channels));
  return out;
}

std::string encodeJpeg(const Image& im) {
  std::string out;
  EXPECT_TRUE(stbi_write_jpg_to_func(append, &out, im.w, im.h, im.channels, im.pixels.data(), 90));
  return out;
}

Image decode(const std::string& file) {
  Image im;
  uint8_t* p = stbi_load_from_memory(reinterpret_cast<const uint8_t*>(file.data()),
                                     static_cast<int>(file.size()), &im.w, &im.h, &im.channels, 0);
  EXPECT_NE(p, nullptr) << stbi_failure_reason();
  if (p) im.pixels.assign(p, p + im.w * im.h * im.channels);
  stbi_image_free(p);
  return im;
}

// Shrinks `file` into the box with thumbnailer (wasm and native) and checks
// the thumbnail: named in the output, of `w` x `h` pixels, holding stb's
// resize of the decoded original.
void checkThumbnail(NdpFunctions* t, const std::string& key, const std::string& file,
                    const std::string& box, int w, int h, const std::string& thumbKey = "") {
  SCOPED_TRACE(key + " into " + box);
  t->put(key, file);
  std::string input = key + " " + box + (thumbKey.empty() ? "" : " " + thumbKey);
  std::string stored = thumbKey.empty() ? key + ".thumb.png" : thumbKey;
  auto out = t->both("thumbnailer", ndp_thumbnailer_main, input);
  ASSERT_EQ(out.returnValue, 0) << out.output;
  std::string png = t->object(stored);
  EXPECT_EQ(out.output, stored + " " + std::to_string(w) + "x" + std::to_string(h) + " " +
                            std::to_string(png.size()) + " bytes");
  Image original = decode(file), thumb = decode(png);
  EXPECT_EQ(thumb.w, w);
  EXPECT_EQ(thumb.h, h);
  EXPECT_EQ(thumb.channels, original.channels);
  std::vector<uint8_t> expected(static_cast<size_t>(w * h * original.channels));
  ASSERT_TRUE(stbir_resize_uint8(original.pixels.data(), original.w, original.h, 0, expected.data(),
                                 w, h, 0, original.channels));
  EXPECT_TRUE(thumb.pixels == expected) << "the thumbnail's pixels are not stb's resize";
}

TEST_F(NdpFunctions, ThumbnailerShrinksPngAndJpegIntoTheBox) {
  // Width limits: 120 x 80 into 48 x 48 is 48 x 32 (80 * 48 / 120).
  checkThumbnail(this, "rgba.png", encodePng(pattern(120, 80, 4)), "48x48", 48, 32);
  // Height limits: 64 x 96 into 32 x 32 is 21 x 32 (64 * 32 / 96 = 21.3).
  checkThumbnail(this, "rgb.jpg", encodeJpeg(pattern(64, 96, 3)), "32x32", 21, 32);
  // A grey JPEG into a box its own shape, under another key.
  checkThumbnail(this, "grey.jpg", encodeJpeg(pattern(90, 30, 1)), "30x10", 30, 10, "small");
  // Grey + alpha that fits the box keeps its size.
  checkThumbnail(this, "ga.png", encodePng(pattern(10, 7, 2)), "20x20", 10, 7);
  // Rounding to the nearest pixel, and never below one: 300 x 2 into 100 x
  // 100 is 100 x 1 (0.67 rounds up), 1000 x 1 into 10 x 10 is 10 x 1.
  checkThumbnail(this, "wide.png", encodePng(pattern(300, 2, 3)), "100x100", 100, 1);
  checkThumbnail(this, "line.png", encodePng(pattern(1000, 1, 3)), "10x10", 10, 1);
}

TEST_F(NdpFunctions, ThumbnailerErrors) {
  const std::string usage =
      "FAILED - usage: thumbnailer with input 'key WIDTHxHEIGHT [thumbnail key]'";
  std::string png = encodePng(pattern(40, 40, 3));
  put("img", png);
  for (const char* input : {"", "img", "img 10", "img 0x5", "img 10x", "img x10", "img 5000x5",
                            "img 10x10 a b", "img 10x10 ", " 10x10", "img 1e1x5", "img -3x5"}) {
    auto out = both("thumbnailer", ndp_thumbnailer_main, input);
    EXPECT_EQ(out.returnValue, 0) << input;
    EXPECT_EQ(out.output, usage) << input;
  }
  auto missing = both("thumbnailer", ndp_thumbnailer_main, "nothing 10x10");
  EXPECT_EQ(missing.returnValue, 1);
  EXPECT_EQ(missing.output, "FAILED - no object found with the given key");
  // Not an image; a PNG cut short; a GIF (neither PNG nor JPEG).
  put("text", "just some text, not an image");
  put("cut.png", png.substr(0, png.size() / 2));
  put("anim.gif", std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13));
  for (const char* key : {"text", "cut.png", "anim.gif"}) {
    auto out = both("thumbnailer", ndp_thumbnailer_main, std::string(key) + " 10x10");
    EXPECT_EQ(out.returnValue, 3) << key;
    EXPECT_TRUE(out.output.starts_with("FAILED - the object is not a PNG or JPEG image ("))
        << key << ": " << out.output;
    EXPECT_FALSE(node_->objects().stat("ndp", std::string(key) + ".thumb.png")) << key;
  }
}

// ---- json_query --------------------------------------------------------------------

struct Record {
  int id;
  const char* color;
  bool hasSize;
  double size;
  int tag;
  bool ok;
};

std::vector<Record> records() {
  const char* colors[] = {"red", "green", "blue"};
  std::vector<Record> r;
  for (int i = 0; i < 100; ++i)
    r.push_back({i, colors[i % 3], i % 7 != 0, i * 0.5, i % 4, i % 5 == 0});
  return r;
}

std::string jsonLines(const std::vector<Record>& rs) {
  std::string out;
  char line[256];
  for (const Record& r : rs) {
    if (r.hasSize)
      std::snprintf(line, sizeof line,
                    "{\"id\":%d,\"color\":\"%s\",\"size\":%.1f,\"tags\":[\"t%d\",\"x\"],"
                    "\"nested\":{\"ok\":%s}}\n",
                    r.id, r.color, r.size, r.tag, r.ok ? "true" : "false");
    else
      std::snprintf(
          line, sizeof line,
          "{\"id\":%d,\"color\":\"%s\",\"tags\":[\"t%d\",\"x\"],\"nested\":{\"ok\":%s}}\n", r.id,
          r.color, r.tag, r.ok ? "true" : "false");
    out += line;
    if (r.id % 10 == 0) out += "  \r\n";  // blank lines: skipped, not counted
  }
  return out;
}

TEST_F(NdpFunctions, JsonQueryCountsWhatPasses) {
  auto rs = records();
  std::string lines = jsonLines(rs);
  lines.pop_back();  // the last line without its newline
  put("data", lines);
  auto expect = [&](const std::string& query, const std::function<bool(const Record&)>& passes) {
    size_t m = std::count_if(rs.begin(), rs.end(), passes);
    auto out = both("json_query", ndp_json_query_main, "data " + query);
    EXPECT_EQ(out.returnValue, 0) << query;
    EXPECT_EQ(out.output,
              "matched " + std::to_string(m) + " of " + std::to_string(rs.size()) + " lines")
        << query;
  };
  expect("color==\"red\"", [](const Record& r) { return std::string(r.color) == "red"; });
  expect("color != \"red\"", [](const Record& r) { return std::string(r.color) != "red"; });
  expect("color<\"green\"", [](const Record& r) { return std::string(r.color) < "green"; });
  expect("size>=20", [](const Record& r) { return r.hasSize && r.size >= 20; });
  expect("size<10.5", [](const Record& r) { return r.hasSize && r.size < 10.5; });
  expect("size>7", [](const Record& r) { return r.hasSize && r.size > 7; });
  expect("size<=7", [](const Record& r) { return r.hasSize && r.size <= 7; });
  expect("size", [](const Record& r) { return r.hasSize; });
  expect("size!=3", [](const Record& r) { return !r.hasSize || r.size != 3; });
  expect("id==5.0", [](const Record& r) { return r.id == 5; });
  expect("nested.ok==true", [](const Record& r) { return r.ok; });
  expect("tags.0==\"t1\"", [](const Record& r) { return r.tag == 1; });
  expect("tags.2", [](const Record&) { return false; });
  expect("tags==[\"t3\",\"x\"]", [](const Record& r) { return r.tag == 3; });
  expect("color>3", [](const Record&) { return false; });  // a string against a number
  expect("nosuch==1", [](const Record&) { return false; });
}

TEST_F(NdpFunctions, JsonQueryErrors) {
  const std::string usage = "FAILED - bad query. Usage: json_query with input 'key path[op value]'";
  put("data", "{\"a\":1}\n");
  for (const char* input :
       {"", "data", "data ", " a", "data .a", "data a.", "data a..b", "data a=1",
        "data a==", "data a==nope", "data a==1 2", "data a b", "data a~1", "data a==\"x"}) {
    auto out = both("json_query", ndp_json_query_main, input);
    EXPECT_EQ(out.returnValue, 0) << input;
    EXPECT_EQ(out.output, usage) << input;
  }
  auto missing = both("json_query", ndp_json_query_main, "nothing a");
  EXPECT_EQ(missing.returnValue, 1);
  EXPECT_EQ(missing.output, "FAILED - no object found with the given key");
  // Line 4 (counting the blank one) is not JSON; nor is a line with two values.
  put("bad", "{\"a\":1}\n\n{\"a\":2}\n{\"a\":3\n{\"a\":4}\n");
  auto bad = both("json_query", ndp_json_query_main, "bad a");
  EXPECT_EQ(bad.returnValue, 3);
  EXPECT_EQ(bad.output, "FAILED - line 4 is not JSON");
  put("two", "{\"a\":1} {\"a\":2}\n");
  auto two = both("json_query", ndp_json_query_main, "two a");
  EXPECT_EQ(two.returnValue, 3);
  EXPECT_EQ(two.output, "FAILED - line 1 is not JSON");
}

// ---- pcakmm ----------------------------------------------------------------------------

// Rows around three centres in 4 dimensions (30, 20 and 10 rows, interleaved),
// each value off its centre by less than 1.
std::string clusteredMatrix() {
  const double centres[3][4] = {{0, 0, 0, 0}, {20, 20, 0, 0}, {0, 20, 20, 10}};
  std::string out;
  unsigned s = 12345;
  char value[32];
  for (int i = 0; i < 60; ++i) {
    int c = i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2;
    for (int d = 0; d < 4; ++d) {
      s = s * 1103515245u + 12345u;
      std::snprintf(value, sizeof value, "%.3f", centres[c][d] + ((s >> 16) % 1000) / 1000.0 - 0.5);
      out += value;
      out += d == 3 ? "\n" : (i % 2 ? ", " : " ");
    }
  }
  return out;
}

TEST_F(NdpFunctions, PcakmmFindsTheClusters) {
  put("m", clusteredMatrix());
  auto out = both("pcakmm", ndp_pcakmm_main, "m 2 3");
  ASSERT_EQ(out.returnValue, 0) << out.output;
  // The header, then one "size c1 c2" line per cluster; the sizes are the
  // generated clusters', the first the cluster of row 1.
  std::vector<std::string> lines;
  for (size_t at = 0; at < out.output.size();) {
    size_t end = out.output.find('\n', at);
    ASSERT_NE(end, std::string::npos) << out.output;
    lines.push_back(out.output.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << out.output;
  EXPECT_TRUE(lines[0].starts_with("pcakmm 60 rows 4 columns 2 components 3 clusters "))
      << lines[0];
  std::vector<int> sizes;
  for (size_t i = 1; i < 4; ++i) {
    int size = 0;
    double a = 0, b = 0;
    char rest = 0;
    ASSERT_EQ(std::sscanf(lines[i].c_str(), "%d %lf %lf%c", &size, &a, &b, &rest), 3) << lines[i];
    sizes.push_back(size);
  }
  EXPECT_EQ(sizes[0], 30);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<int>{10, 20, 30}));
  // One component, one cluster: everything in it, centred on 0.
  auto one = both("pcakmm", ndp_pcakmm_main, "m 1 1");
  EXPECT_EQ(one.returnValue, 0);
  EXPECT_TRUE(one.output.ends_with("\n60 0.0000\n")) << one.output;
}

TEST_F(NdpFunctions, PcakmmErrors) {
  const std::string usage = "FAILED - usage: pcakmm with input 'key COMPONENTS CLUSTERS'";
  put("m", "1 2 3\n4 5 6\n7 8 10\n");
  for (const char* input :
       {"", "m", "m 2", "m 0 2", "m 2 0", "m 65 2", "m 2 257", "m x 2", "m 2 2 2", " 2 2"}) {
    auto out = both("pcakmm", ndp_pcakmm_main, input);
    EXPECT_EQ(out.returnValue, 0) << input;
    EXPECT_EQ(out.output, usage) << input;
  }
  auto missing = both("pcakmm", ndp_pcakmm_main, "nothing 1 1");
  EXPECT_EQ(missing.returnValue, 1);
  EXPECT_EQ(missing.output, "FAILED - no object found with the given key");
  put("ragged", "1 2 3\n4 5\n");
  put("nan", "1 2\n3 x\n");
  put("inf", "1 2\n3 1e999\n");
  put("onerow", "1 2 3\n\n");
  for (auto [input, message] : {
           std::pair{"ragged 1 1", "FAILED - row 2 has 2 columns, row 1 has 3"},
           std::pair{"nan 1 1", "FAILED - row 2 has a value that is not a finite number"},
           std::pair{"inf 1 1", "FAILED - row 2 has a value that is not a finite number"},
           std::pair{"onerow 1 1", "FAILED - the matrix has fewer than 2 rows"},
           std::pair{"m 4 1", "FAILED - the matrix has 3 columns, fewer than 4 components"},
           std::pair{"m 1 4", "FAILED - the matrix has 3 rows, fewer than 4 clusters"},
       }) {
    auto out = both("pcakmm", ndp_pcakmm_main, input);
    EXPECT_EQ(out.returnValue, 3) << input;
    EXPECT_EQ(out.output, message) << input;
  }
}

// ---- substrrepl -----------------------------------------------------------------------

std::string replaced(std::string s, const std::string& find, const std::string& repl,
                     size_t* count) {
  *count = 0;
  for (size_t at = s.find(find); at != std::string::npos; at = s.find(find, at + repl.size())) {
    s.replace(at, find.size(), repl);
    ++*count;
  }
  return s;
}

TEST_F(NdpFunctions, SubstrreplWritesTheObjectBack) {
  std::string doc = "the cat sat on the cat mat; a/b a/b aaaa";
  for (auto [d, find, repl] :
       {std::tuple{'/', "cat", "dog"}, std::tuple{'|', "a/b", ""}, std::tuple{'/', "aa", "b"},
        std::tuple{'#', "the", "a longer word"}, std::tuple{'/', "t", "tt"}}) {
    SCOPED_TRACE(std::string(find) + " -> " + repl);
    put("doc", doc);
    size_t count = 0;
    std::string expected = replaced(doc, find, repl, &count);
    ASSERT_GT(count, 0u);
    auto out =
        both("substrrepl", ndp_substrrepl_main, "doc " + std::string(1, d) + find + d + repl + d);
    EXPECT_EQ(out.returnValue, 0);
    EXPECT_EQ(out.output, std::to_string(count) + " replacements, " +
                              std::to_string(expected.size()) + " bytes written");
    EXPECT_EQ(object("doc"), expected);
  }
  // No occurrence: nothing written.
  put("doc", doc);
  auto none = both("substrrepl", ndp_substrrepl_main, "doc /zebra/horse/");
  EXPECT_EQ(none.output, "0 replacements, nothing written");
  EXPECT_EQ(object("doc"), doc);
}

TEST_F(NdpFunctions, SubstrreplErrors) {
  const std::string usage = "FAILED - usage: substrrepl with input 'key /find/replace/'";
  put("doc", "abc");
  for (const char* input : {"", "doc", "doc ", "doc /a/", "doc //b/", "doc /a/b", "doc /a/b/c/",
                            " /a/b/", "doc /a/b//"}) {
    auto out = both("substrrepl", ndp_substrrepl_main, input);
    EXPECT_EQ(out.returnValue, 0) << input;
    EXPECT_EQ(out.output, usage) << input;
  }
  EXPECT_EQ(object("doc"), "abc");
  auto missing = both("substrrepl", ndp_substrrepl_main, "nothing /a/b/");
  EXPECT_EQ(missing.returnValue, 1);
  EXPECT_EQ(missing.output, "FAILED - no object found with the given key");
  // Replacing everything by nothing would leave an empty object, which a put
  // cannot store.
  auto empty = both("substrrepl", ndp_substrrepl_main, "doc /abc//");
  EXPECT_EQ(empty.returnValue, 4);
  EXPECT_EQ(empty.output, "FAILED - could not write the object");
  EXPECT_EQ(object("doc"), "abc");
}

}  // namespace
}  // namespace nearfaas
