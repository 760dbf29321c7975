// Scratch directories of the benchmarks.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace nearfaas::bench {

// A fresh directory nearfaas-bench-<tag>-XXXXXX under `root` (default $TMPDIR
// or /tmp), removed with everything in it when this goes out of scope, unless
// `keep` (then its path is printed to stderr). path() is empty if it could not
// be made.
class BenchTempDir {
 public:
  BenchTempDir(const std::string& root, const std::string& tag, bool keep) : keep_(keep) {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = root.empty() ? (tmp && *tmp ? tmp : "/tmp") : root;
    std::string pattern = base + "/nearfaas-bench-" + tag + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data())) path_ = buf.data();
  }
  ~BenchTempDir() {
    if (path_.empty()) return;
    if (keep_) {
      std::fprintf(stderr, "kept %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  BenchTempDir(const BenchTempDir&) = delete;
  BenchTempDir& operator=(const BenchTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool keep_;
};

}  // namespace nearfaas::bench
