#include "cli/serve_command.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/bytes.h"

#include "cli/node_options.h"
#include "cli/service_process.h"
#include "http/node_server.h"
#if NEARFAAS_WITH_CEPH
#include "ndp/offloader.h"
#include "ndp/rados_class_store.h"
#endif

namespace nearfaas::cli {

namespace {

struct NdpArgs {
  bool disabled = false;
  std::string endpoint = "127.0.0.1:0";
  std::string linkRate = "1gbit";
  unsigned fixedCostUs = 0;  // 0: the cost model's default
  bool forceOffload = false;
};

struct ServeArgs {
  NodeOptions node;
  http::NodeServerSettings http;
  NdpArgs ndp;
  unsigned graceMs = 10'000;
  unsigned readTimeoutMs = 30'000;
  std::string logLevel = "info";
  std::string authMode = "auto";
  std::string adminTokenFile;  // empty: <data dir>/admin-token
  unsigned tokenCacheMs = 5'000;
};

// The admin token from `path`, which must be private to this user (as
// --code-secret-file); if there is no such file, a fresh token is written to
// it (mode 600) and its path logged: the token itself is never printed.
Result<std::string> adminToken(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    auto token = auth::randomHex(32);
    if (!token) {
      ::close(fd);
      ::unlink(path.c_str());
      return std::unexpected(token.error());
    }
    std::string line = "nfa_" + *token + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
      ::unlink(path.c_str());
      return fail("--admin-token-file ", path, ": cannot write: ", std::strerror(errno));
    }
    spdlog::warn("created the admin token in {} (mode 600); keep it secret", path);
    line.pop_back();
    return line;
  }
  if (errno != EEXIST) return fail("--admin-token-file ", path, ": ", std::strerror(errno));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail("--admin-token-file ", path, ": ", std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fail("--admin-token-file ", path, " is accessible to other users; chmod 600 it");
  auto bytes = readFile(path);
  if (!bytes) return fail("--admin-token-file: ", bytes.error().message);
  std::string token(bytes->begin(), bytes->end());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  if (token.size() < 32)
    return fail("--admin-token-file ", path, ": the token must have at least 32 characters");
  return token;
}

#if NEARFAAS_WITH_CEPH
// "1gbit", "100mbit", "2.5g", "1e9": bits per second.
Result<double> parseLinkRate(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return fail("link rate '", text, "' is not a number with an optional k, m or g (bit/s)");
  }
  std::string unit = text.substr(used);
  if (unit.ends_with("bit")) unit.resize(unit.size() - 3);
  if (unit.ends_with("bps")) unit.resize(unit.size() - 3);
  double scale = unit.empty() ? 1 : unit == "k" ? 1e3 : unit == "m" ? 1e6 : unit == "g" ? 1e9 : 0;
  if (scale == 0 || value <= 0)
    return fail("link rate '", text, "' is not a number with an optional k, m or g (bit/s)");
  return value * scale;
}

// With a RADOS store, the offloader for storage calls (nullptr otherwise).
Result<std::unique_ptr<ndp::Offloader>> startOffloader(const NdpArgs& a, sched::Node& node) {
  auto* rados = dynamic_cast<storage::RadosStore*>(&node.objects());
  if (!rados || a.disabled) return nullptr;
  ndp::OffloaderSettings settings;
  auto rate = parseLinkRate(a.linkRate);
  if (!rate) return std::unexpected(rate.error());
  settings.cost.linkBitsPerSecond = *rate;
  if (a.fixedCostUs) settings.cost.fixedCost = std::chrono::microseconds(a.fixedCostUs);
  settings.cost.forceOffload = a.forceOffload;
  size_t colon = a.endpoint.rfind(':');
  settings.endpoint.host = a.endpoint.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      settings.endpoint.port = static_cast<uint16_t>(std::stoul(a.endpoint.substr(colon + 1)));
    } catch (const std::exception&) {
      return fail("--ndp-endpoint '", a.endpoint, "' is not HOST[:PORT]");
    }
  }
  auto offloader = ndp::Offloader::start(std::make_unique<ndp::RadosClassStore>(*rados), settings);
  if (!offloader) return std::unexpected(offloader.error());
  node.scheduler().setOffloader(offloader->get());
  if (a.forceOffload)
    spdlog::info(
        "ndp: every storage call offloads to the storage runtimes (--ndp-force-offload; the cost "
        "model would keep objects under {} bytes at {} local); deltas served on {}",
        settings.cost.minObjectBytes(0, 0), a.linkRate, (*offloader)->endpointAddress());
  else
    spdlog::info(
        "ndp: storage calls offload to the storage runtimes; deltas served on {}; objects under "
        "{} bytes (at {}) run locally",
        (*offloader)->endpointAddress(), settings.cost.minObjectBytes(0, 0), a.linkRate);
  return offloader;
}

void logOffloads(const ndp::Offloader& offloader) {
  auto s = offloader.stats();
  spdlog::info(
      "ndp: storage calls: {} offloaded, {} kept local by the cost model, {} during a back-off, "
      "{} refused, {} failed",
      s.offloaded, s.small, s.backoff, s.refused, s.failed);
}
#endif

// Descriptors a server needs besides its state keys (connections, code,
// stores), for the warning below.
constexpr uint64_t kDescriptorsBesideState = 4096;

int serve(ServeArgs a) {
  ServiceProcess process(a.logLevel);
  a.http.shutdownGrace = std::chrono::milliseconds(a.graceMs);
  a.http.readTimeout = std::chrono::milliseconds(a.readTimeoutMs);
  auto mode = auth::parseAuthMode(a.authMode);
  if (!mode) {
    spdlog::error("--auth: {}", mode.error().message);
    return 1;
  }
  a.http.authMode = *mode;
  a.http.tokens.cacheTtl = std::chrono::milliseconds(a.tokenCacheMs);
  auto node = a.node.open();
  if (!node) {
    spdlog::error("{}", node.error().message);
    return 1;
  }
  if (auth::authRequired(*mode, a.http.address)) {
    std::string file = a.adminTokenFile;
    if (file.empty())
      file = ((a.node.dataDir.empty() ? sched::NodeConfig::defaultDataDir()
                                      : std::filesystem::path(a.node.dataDir)) /
              "admin-token")
                 .string();
    auto token = adminToken(file);
    if (!token) {
      spdlog::error("{}", token.error().message);
      return 1;
    }
    a.http.adminToken = std::move(*token);
  }
  // Each state key holds a descriptor: past the limit, creating one fails
  // with an error from the system instead of the node-wide limit's message.
  if (uint64_t files = ServiceProcess::openFileLimit();
      files < a.node.state.maxKeys + kDescriptorsBesideState)
    spdlog::warn(
        "this process may open {} files, but state may hold {} keys (--max-node-state-keys) "
        "plus connections and code: lower that, or raise the limit (ulimit -n)",
        files, a.node.state.maxKeys);
#if NEARFAAS_WITH_CEPH
  auto offloader = startOffloader(a.ndp, **node);
  if (!offloader) {
    spdlog::error("{}", offloader.error().message);
    return 1;
  }
#endif
  auto server = http::NodeServer::start(**node, a.http);
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 1;
  }
  spdlog::info("serving with {} executor slots; stop with SIGINT or SIGTERM",
               (*node)->scheduler().slots());
  process.waitForStop();
  (*server)->shutdown();
  server->reset();
  node->reset();  // waits for calls still running (each ends by its deadline at the latest)
#if NEARFAAS_WITH_CEPH
  if (*offloader) logOffloads(**offloader);
  offloader->reset();  // after the scheduler, which used it
#endif
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& app, int& exitStatus) {
  auto a = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand(
      "serve", "Run the upload and invoke endpoints (Faasm-compatible HTTP API) and the executors");
  s->add_option("--listen,--host", a->http.address, "address to listen on")->capture_default_str();
  s->add_option("--upload-port", a->http.uploadPort, "upload endpoint port (0: any free port)")
      ->capture_default_str();
  s->add_option("--invoke-port", a->http.invokePort, "invoke endpoint port (0: any free port)")
      ->capture_default_str();
  s->add_option("--http-threads", a->http.httpThreads, "I/O threads per endpoint")
      ->capture_default_str();
  s->add_option("--max-body", a->http.maxBodyBytes,
                "largest request body, e.g. 64MB or 1GiB (larger requests get 413)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  s->add_option("--read-timeout", a->readTimeoutMs,
                "milliseconds a client may take to send a request (and keep an idle connection)")
      ->capture_default_str();
  s->add_option("--allow-origin", a->http.allowedOrigins,
                "a web origin (scheme://host[:port]) whose pages may use this server from a "
                "browser; repeatable. By default requests from any web page (with an Origin "
                "header) are refused with 403")
      ->type_size(1)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s->add_option("--allow-host", a->http.allowedHosts,
                "a host name clients use to reach this server (in the Host header); "
                "repeatable. IP addresses and localhost always work; on a loopback address other "
                "names are refused with 403 unless listed (against DNS rebinding), elsewhere any "
                "name works unless some are listed")
      ->type_size(1)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s->add_option("--auth", a->authMode,
                "API tokens: auto (required unless listening on loopback), required, or off")
      ->check(CLI::IsMember({"auto", "required", "off"}))
      ->capture_default_str();
  s->add_option("--admin-token-file", a->adminTokenFile,
                "file with the admin token (mode 600) when tokens are required; created with a "
                "fresh token if missing (default: DATA-DIR/admin-token)");
  s->add_option("--token-cache-ms", a->tokenCacheMs,
                "milliseconds a valid API token is remembered without reading the store (a token "
                "revoked through another worker works here that long); 0: read every time")
      ->capture_default_str();
  s->add_option("--grace", a->graceMs,
                "milliseconds calls in progress may take to finish on SIGINT/SIGTERM")
      ->capture_default_str();
  s->add_option("--log-level", a->logLevel, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember(kLogLevels))
      ->capture_default_str();
  s->add_flag("--no-ndp", a->ndp.disabled,
              "with --store rados: run every storage call here (as if all had forbid_ndp)");
  s->add_option("--ndp-endpoint", a->ndp.endpoint,
                "HOST[:PORT] where storage runtimes fetch an offloading call's memory; HOST must "
                "be this worker's address as the storage nodes reach it")
      ->capture_default_str();
  s->add_option("--ndp-link-rate", a->ndp.linkRate,
                "bandwidth to the storage nodes (e.g. 1gbit, 100mbit), for the offload cost model")
      ->capture_default_str();
  s->add_option("--ndp-fixed-cost-us", a->ndp.fixedCostUs,
                "fixed cost of one offload in microseconds, for the cost model (default 10000)");
  s->add_flag("--ndp-force-offload", a->ndp.forceOffload,
              "offload every storage call, whatever the cost model says (for measuring where "
              "offloading pays); refused or failed calls still run here");
  a->node.addTo(*s, true);
  s->callback([a, &exitStatus] { exitStatus = serve(*a); });
}

}  // namespace nearfaas::cli
