// A single-host Ceph cluster for tests, made by scripts/ceph.sh in a fresh
// temporary directory and taken down when destroyed (and by ceph.sh's owner
// watcher if the test process dies first). Its OSD loads object classes from
// NEARFAAS_CEPH_CLASS_DIR and inherits this process's environment as it is
// when the cluster starts. Needs NEARFAAS_CEPH_SCRIPT and
// NEARFAAS_CEPH_CLASS_DIR defined.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/process.h"
#include "base/result.h"

namespace nearfaas::test {

// A cluster made by scripts/ceph.sh in a fresh temporary directory; taken
// down when destroyed.
class CephCluster {
 public:
  // Brings the cluster up. On failure, `error` holds the script's output.
  static std::unique_ptr<CephCluster> start(const std::string& store, std::string& error) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nf-ceph-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      error = "mkdtemp failed";
      return nullptr;
    }
    std::unique_ptr<CephCluster> cluster(new CephCluster(tmpl));
    auto up = cluster->run({"up", "--store", store, "--class-dir", NEARFAAS_CEPH_CLASS_DIR,
                            "--owner-pid", std::to_string(::getpid())});
    if (!up) {
      error = up.error().message;
      return nullptr;
    }
    size_t at = up->rfind("ceph-conf=");
    if (at == std::string::npos) {
      error = "no ceph-conf= line in:\n" + *up;
      return nullptr;
    }
    std::string conf = up->substr(at + 10);
    conf.erase(conf.find_last_not_of("\n\r ") + 1);
    cluster->conf_ = conf;
    return cluster;
  }

  ~CephCluster() {
    auto down = run({"down"});
    if (!down) ADD_FAILURE() << down.error().message;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const std::filesystem::path& conf() const { return conf_; }
  // The cluster's temporary directory (removed with it).
  const std::filesystem::path& dir() const { return dir_; }

  // Runs scripts/ceph.sh COMMAND ... --dir <this cluster>; the output, or
  // the output as the error if it failed.
  Result<std::string> run(std::vector<std::string> args) const {
    std::vector<std::string> argv = {NEARFAAS_CEPH_SCRIPT};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--dir", dir_.string()});
    auto r = runProcess(argv, std::chrono::seconds(180));
    if (!r) return std::unexpected(r.error());
    if (r->exitCode != 0 || r->timedOut)
      return fail("scripts/ceph.sh ", args.front(), " failed (exit ", r->exitCode,
                  r->timedOut ? ", timed out" : "", "):\n", r->output);
    return r->output;
  }

 private:
  explicit CephCluster(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  std::filesystem::path conf_;
};

}  // namespace nearfaas::test
