// ndp_bench: the client side of scripts/bench-ndp.sh (which sets up the
// two-host topology, changes link rates and reads link counters).
//
//   ndp_bench gen --size BYTES --seed N --out FILE
//       text of words drawn from a 10,000-word vocabulary with a Zipf
//       distribution (s = 1), separated by spaces and newlines
//   ndp_bench time --host H --port P --function F --input I [--forbid-ndp]
//                  [--warmup W] --runs N
//       calls user "ndp" function F N times (after W untimed calls, default 1),
//       checks every output is the same, prints
//       "median_s=X min_s=Y output_sha=Z output_bytes=B"
//   ndp_bench concurrent --host H --port P --function F --keys K1,K2,...
//                        --calls N [--forbid-ndp]
//       one client thread per key, each making N calls in a row and checking
//       that every output equals its first; prints
//       "calls=C seconds=S calls_per_s=R", then "key=K output_sha=Z" per key
//   ndp_bench expect --function F --file FILE [--literal WORD]
//       the output ndp/F gives on an object holding FILE's bytes, computed
//       here from each function's documented output (func/ndp/*.cpp), not by
//       running it: wordcount, grep (of a literal WORD of letters and
//       digits), sha256sum; prints "output_sha=Z output_bytes=B"
//
// Every loop is bounded by its arguments; every call has a timeout.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "http/client.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kCallTimeout = std::chrono::minutes(5);
constexpr size_t kVocabulary = 10'000;

// A pronounceable word for rank r (distinct for distinct r).
std::string wordFor(size_t r) {
  static const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo",
                                    "be", "da", "fu", "go", "hi", "jo", "pe", "zu"};
  std::string w;
  do {
    w += syllables[r % 16];
    r /= 16;
  } while (r);
  return w;
}

int gen(uint64_t size, uint32_t seed, const std::string& out) {
  std::vector<double> cumulative(kVocabulary);
  double sum = 0;
  for (size_t i = 0; i < kVocabulary; ++i) {
    sum += 1.0 / static_cast<double>(i + 1);
    cumulative[i] = sum;
  }
  std::vector<std::string> words(kVocabulary);
  for (size_t i = 0; i < kVocabulary; ++i)
    words[i] = wordFor(i);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, sum);
  std::string text;
  text.reserve(size + 32);
  size_t onLine = 0;
  while (text.size() < size) {
    size_t i = std::lower_bound(cumulative.begin(), cumulative.end(), u(rng)) - cumulative.begin();
    text += words[std::min(i, kVocabulary - 1)];
    text += ++onLine % 12 == 0 ? '\n' : ' ';
  }
  text.resize(size);
  std::ofstream f(out, std::ios::binary);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) {
    std::fprintf(stderr, "ndp_bench: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}

struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string user = "ndp";
  std::string function;
  bool forbidNdp = false;
};

// One synchronous invocation; its output, or an error message in `error`.
std::string invoke(const Target& t, const std::string& input, std::string& error) {
  nlohmann::json j = {{"user", t.user}, {"function", t.function}, {"input_data", input}};
  if (t.forbidNdp) j["forbid_ndp"] = true;
  nearfaas::http::Request req{"POST", "/", {{"Content-Type", "application/json"}}, j.dump()};
  auto r = nearfaas::http::fetch({t.host, t.port}, req, kCallTimeout);
  if (!r) {
    error = r.error().message;
    return {};
  }
  if (r->status != 200) {
    error = "status " + std::to_string(r->status) + ": " + r->body;
    return {};
  }
  return r->body;
}

std::string fingerprint(const std::string& s) {
  // FNV-1a 64: enough to tell outputs apart in a benchmark.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

int timeCalls(const Target& t, const std::string& input, unsigned warmups, unsigned runs) {
  std::string error, first;
  std::vector<double> seconds;
  for (unsigned i = 0; i < warmups + runs; ++i) {
    auto start = Clock::now();
    std::string out = invoke(t, input, error);
    if (i >= warmups)
      seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    if (!error.empty()) {
      std::fprintf(stderr, "ndp_bench: %s: %s\n", t.function.c_str(), error.c_str());
      return 1;
    }
    if (i == 0) first = out;
    if (out != first) {
      std::fprintf(stderr, "ndp_bench: %s: output of run %u differs from the first\n",
                   t.function.c_str(), i + 1);
      return 1;
    }
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("median_s=%.6f min_s=%.6f output_sha=%s output_bytes=%zu\n",
              seconds[seconds.size() / 2], seconds.front(), fingerprint(first).c_str(),
              first.size());
  return 0;
}

int concurrent(const Target& t, const std::vector<std::string>& keys, unsigned calls) {
  std::vector<std::thread> clients;
  std::vector<std::string> errors(keys.size()), firsts(keys.size());
  auto start = Clock::now();
  for (size_t i = 0; i < keys.size(); ++i)
    clients.emplace_back([&, i] {
      for (unsigned c = 0; c < calls && errors[i].empty(); ++c) {
        std::string out = invoke(t, keys[i], errors[i]);
        if (!errors[i].empty()) break;
        if (c == 0)
          firsts[i] = std::move(out);
        else if (out != firsts[i])
          errors[i] = "output of call " + std::to_string(c + 1) + " on " + keys[i] +
                      " differs from the first";
      }
    });
  for (auto& c : clients)
    c.join();
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  for (const auto& e : errors)
    if (!e.empty()) {
      std::fprintf(stderr, "ndp_bench: %s: %s\n", t.function.c_str(), e.c_str());
      return 1;
    }
  size_t total = keys.size() * calls;
  std::printf("calls=%zu seconds=%.3f calls_per_s=%.3f\n", total, s, total / s);
  for (size_t i = 0; i < keys.size(); ++i)
    std::printf("key=%s output_sha=%s\n", keys[i].c_str(), fingerprint(firsts[i]).c_str());
  return 0;
}

// ndp/wordcount's output: "<word>\t<count>\n" per distinct word, sorted
// bytewise; words are runs of bytes that are > 0x20 as a signed char.
std::string expectedWordcount(std::string_view text) {
  auto separator = [](char c) { return static_cast<signed char>(c) <= 0x20; };
  std::unordered_map<std::string_view, uint32_t> counts;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && separator(text[i]))
      ++i;
    size_t start = i;
    while (i < text.size() && !separator(text[i]))
      ++i;
    if (i > start) ++counts[text.substr(start, i - start)];
  }
  std::vector<std::pair<std::string_view, uint32_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [word, count] : sorted) {
    out += word;
    out += '\t';
    out += std::to_string(count);
    out += '\n';
  }
  return out;
}

// ndp/grep's output for a literal pattern: the offset of every
// non-overlapping occurrence, left to right, each followed by a space (what
// std::regex's iterator finds for a pattern without special characters).
std::string expectedGrep(std::string_view text, std::string_view word) {
  std::string out;
  for (size_t at = text.find(word); at != std::string_view::npos;
       at = text.find(word, at + word.size())) {
    out += std::to_string(at);
    out += ' ';
  }
  return out;
}

int expect(const std::string& function, const std::string& file, const std::string& literal) {
  std::ifstream f(file, std::ios::binary);
  if (!f.is_open()) {
    std::fprintf(stderr, "ndp_bench: cannot read %s\n", file.c_str());
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string out;
  if (function == "wordcount") {
    out = expectedWordcount(text);
  } else if (function == "grep") {
    if (literal.empty() || !std::all_of(literal.begin(), literal.end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; })) {
      std::fprintf(stderr, "ndp_bench: grep's expected output needs --literal of [A-Za-z0-9]\n");
      return 1;
    }
    out = expectedGrep(text, literal);
  } else if (function == "sha256sum") {
    out = nearfaas::sha256Hex(std::string_view(text));
  } else {
    std::fprintf(stderr, "ndp_bench: no expected output for %s\n", function.c_str());
    return 1;
  }
  std::printf("output_sha=%s output_bytes=%zu\n", fingerprint(out).c_str(), out.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"NDP benchmark client (run by scripts/bench-ndp.sh)"};
  app.require_subcommand(1);
  int status = 0;

  uint64_t size = 0;
  uint32_t seed = 1;
  std::string out;
  auto* g = app.add_subcommand("gen", "write Zipf-distributed text");
  g->add_option("--size", size, "bytes")->required()->transform(CLI::AsSizeValue(false));
  g->add_option("--seed", seed, "random seed")->capture_default_str();
  g->add_option("--out", out, "file")->required();
  g->callback([&] { status = gen(size, seed, out); });

  Target t;
  std::string input;
  unsigned runs = 3, warmups = 1;
  auto* tm = app.add_subcommand("time", "median latency of a function");
  for (auto* c : {tm}) {
    c->add_option("--host", t.host)->capture_default_str();
    c->add_option("--port", t.port, "invoke port")->capture_default_str();
    c->add_option("--function", t.function)->required();
    c->add_flag("--forbid-ndp", t.forbidNdp);
  }
  tm->add_option("--input", input)->required();
  tm->add_option("--runs", runs)->capture_default_str()->check(CLI::Range(1u, 1000u));
  tm->add_option("--warmup", warmups, "untimed calls first")->capture_default_str();
  tm->callback([&] { status = timeCalls(t, input, warmups, runs); });

  std::vector<std::string> keys;
  unsigned calls = 3;
  auto* cc = app.add_subcommand("concurrent", "aggregate calls per second of parallel clients");
  cc->add_option("--host", t.host)->capture_default_str();
  cc->add_option("--port", t.port, "invoke port")->capture_default_str();
  cc->add_option("--function", t.function)->required();
  cc->add_flag("--forbid-ndp", t.forbidNdp);
  cc->add_option("--keys", keys, "one client per key")->required()->delimiter(',');
  cc->add_option("--calls", calls, "calls per client")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cc->callback([&] { status = concurrent(t, keys, calls); });

  std::string file, literal;
  auto* ex = app.add_subcommand("expect", "a function's output on a file, computed here");
  ex->add_option("--function", t.function)
      ->required()
      ->check(CLI::IsMember({"wordcount", "grep", "sha256sum"}));
  ex->add_option("--file", file, "the object's bytes")->required();
  ex->add_option("--literal", literal, "grep: the word searched for");
  ex->callback([&] { status = expect(t.function, file, literal); });

  CLI11_PARSE(app, argc, argv);
  return status;
}
