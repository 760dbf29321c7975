#include "cli/node_options.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/bytes.h"

#include "storage/directory_store.h"
#if NEARFAAS_WITH_CEPH
#include "storage/rados_store.h"
#endif

namespace nearfaas::cli {

namespace {
// The secret without trailing line breaks; the file must not be readable or
// writable by other users.
Result<std::string> readSecretFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail("--code-secret-file ", path, ": ", std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fail("--code-secret-file ", path, " is accessible to other users; chmod 600 it");
  auto bytes = readFile(path);
  if (!bytes) return fail("--code-secret-file: ", bytes.error().message);
  std::string secret(bytes->begin(), bytes->end());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  return secret;
}
}  // namespace

void NodeOptions::addTo(CLI::App& app, bool running) {
  app.add_option("--data-dir", dataDir,
                 "data directory of the local node (default: $NEARFAAS_DATA_DIR or "
                 "~/.local/share/nearfaas)");
  app.add_option("--cache-dir", cacheDir,
                 "directory of generated machine code (default: $NEARFAAS_CODE_CACHE or "
                 "<data-dir>/code)");
  if (const char* s = std::getenv("NEARFAAS_STORE"); s && *s) store = s;
  if (const char* c = std::getenv("NEARFAAS_CEPH_CONF"); c && *c) cephConf = c;
  app.add_option("--store", store,
                 "object store: 'dir' (embedded, in the data directory) or 'rados' (a Ceph "
                 "cluster shared by workers) [$NEARFAAS_STORE]")
      ->check(CLI::IsMember({"dir", "rados"}))
      ->capture_default_str();
  app.add_option("--ceph-conf", cephConf,
                 "ceph.conf of the cluster, for --store rados (scripts/ceph.sh up prints it) "
                 "[$NEARFAAS_CEPH_CONF]");
  app.add_option("--pool", pool, "RADOS pool of the store, for --store rados")
      ->capture_default_str();
  app.add_option("--codegen-timeout", codegenTimeoutS,
                 "seconds each step of generating a module's code (translation, compilation) may "
                 "take before it is killed")
      ->capture_default_str();
  app.add_option("--codegen-memory-mb", codegenMemoryMb,
                 "memory in MiB each step of generating a module's code may use")
      ->capture_default_str();
  app.add_option("--code-cache-max-mb", codeCacheMaxMb,
                 "MiB of generated code kept in the cache directory; the least recently used "
                 "modules beyond it are removed")
      ->capture_default_str();
  if (const char* f = std::getenv("NEARFAAS_CODE_SECRET_FILE"); f && *f) codeSecretFile = f;
  app.add_option("--code-secret-file", codeSecretFile,
                 "file (mode 600) holding the secret, at least 16 bytes, that the workers of a "
                 "cluster share: with it, generated code is shared through the store under an "
                 "HMAC-SHA256 that every worker checks; without it, each worker generates its own "
                 "[$NEARFAAS_CODE_SECRET_FILE]");
  if (!running) return;
  app.add_option("--slots", slots, "executor threads (default: number of cores)");
  app.add_option("--timeout", timeoutMs, "call deadline in milliseconds")->capture_default_str();
  app.add_option("--max-memory-pages", maxMemoryPages, "memory limit per Faaslet in 64 KiB pages")
      ->capture_default_str();
  app.add_option("--max-stdio-bytes", faaslet.maxStdioBytes,
                 "guest stdout and stderr kept per call, each, e.g. 1MiB (the rest is dropped "
                 "and the output says how much)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-scratch-bytes", faaslet.files.maxScratchBytes,
                 "bytes of files a call may write (its private scratch tree); past it writes "
                 "fail with ENOSPC")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-shared-bytes", faaslet.files.maxSharedBytes,
                 "bytes of shared files a call may hold open at once (one copy per file); past "
                 "it opens fail with ENOMEM")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-shared-write-bytes", localShared.maxBytes,
                 "bytes of shared files (faasm:// and /shared paths) that calls on this node "
                 "changed: local copies every later call here sees, kept while the node runs "
                 "(the originals are never changed); past it writes fail with ENOSPC")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-shared-write-entries", localShared.maxEntries,
                 "shared files and directories that calls on this node created, changed or "
                 "removed (local copies); past it such changes fail with ENOSPC")
      ->capture_default_str();
  app.add_option("--cluster", cluster,
                 "redis://HOST:PORT of the cluster's Redis: state is then global (pushed to and "
                 "pulled from Redis, shared by every worker); without it state stays in this "
                 "process (docs/cluster.md)");
  app.add_option("--state-lock-lease-ms", stateLockLeaseMs,
                 "with --cluster: how long a global state write lock (faasmLockStateGlobal) "
                 "holds if its worker never releases it")
      ->capture_default_str();
  app.add_option("--max-state-keys", state.maxKeysPerUser,
                 "state keys per user; creating more fails (a trap in the guest, 507 over HTTP)")
      ->capture_default_str();
  app.add_option("--max-state-bytes", state.maxBytesPerUser,
                 "bytes of state per user, e.g. 4GiB; growing past it fails (a trap in the guest, "
                 "507 over HTTP)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-node-state-keys", state.maxKeys,
                 "state keys of all users together (each holds a file descriptor); creating "
                 "more fails (a trap in the guest, 507 over HTTP)")
      ->capture_default_str();
  app.add_option("--max-node-state-bytes", state.maxBytes,
                 "bytes of state of all users together, e.g. 16GiB; growing past it fails (a "
                 "trap in the guest, 507 over HTTP)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-queued-calls", limits.maxQueuedCalls,
                 "calls that may wait for an executor; more are refused (HTTP 503; a chaining "
                 "function traps)")
      ->capture_default_str();
  app.add_option("--max-queued-bytes", limits.maxQueuedBytes,
                 "input bytes of the calls waiting for an executor, e.g. 1GiB; more are refused")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-call-records", limits.maxCallRecords,
                 "calls the node keeps track of (queued, running, and finished ones kept for "
                 "status requests); when full, the oldest results go first")
      ->capture_default_str();
  app.add_option("--max-kept-result-bytes", limits.maxKeptResultBytes,
                 "bytes of finished calls' results (input, output, captured stdio) kept for "
                 "status requests, e.g. 1GiB; past it the oldest go first, and a larger result "
                 "is not kept")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-chained-calls", limits.maxChainedCallsPerCall,
                 "calls one call may chain; one more traps it")
      ->capture_default_str();
  app.add_option("--max-chained-input", limits.maxChainedInputBytes,
                 "largest input of a chained call, e.g. 64MB; a larger one traps the caller")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--max-chained-results", limits.maxChainedResultBytes,
                 "bytes of its chained calls' results (output, captured stdio) one call may "
                 "hold, e.g. 256MiB; a result past it is dropped and awaiting it fails")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
}

Result<std::unique_ptr<sched::Node>> NodeOptions::open() const {
  sched::NodeConfig c;
  if (!dataDir.empty()) c.dataDir = dataDir;
  if (!cacheDir.empty()) c.codeCacheDir = cacheDir;
  c.scheduler = limits;
  c.scheduler.slots = slots;
  c.scheduler.callTimeout = std::chrono::milliseconds(timeoutMs);
  c.faaslet = faaslet;
  c.faaslet.maxMemoryPages = maxMemoryPages;
  c.compiler.timeout = std::chrono::seconds(codegenTimeoutS);
  c.compiler.maxMemoryBytes = codegenMemoryMb << 20;
  c.codeCacheMaxBytes = codeCacheMaxMb << 20;
  if (!codeSecretFile.empty()) {
    auto secret = readSecretFile(codeSecretFile);
    if (!secret) return std::unexpected(secret.error());
    c.codeSharingSecret = std::move(*secret);
  }
  c.state = state;
  c.clusterUrl = cluster;
  c.state.globalLockLease = std::chrono::milliseconds(stateLockLeaseMs);
  c.localShared = localShared;
  if (store != "rados") return sched::Node::open(c);
#if NEARFAAS_WITH_CEPH
  if (cephConf.empty()) return fail("--store rados needs --ceph-conf (or $NEARFAAS_CEPH_CONF)");
  storage::RadosConfig rc;
  rc.confPath = cephConf;
  rc.pool = pool;
  auto callSeconds = std::chrono::ceil<std::chrono::seconds>(c.scheduler.callTimeout);
  rc.timeouts.osdOp = std::max(rc.timeouts.osdOp, callSeconds + std::chrono::seconds(10));
  auto rados = storage::RadosStore::open(rc);
  if (!rados) return fail("cannot open the RADOS store: ", rados.error().message);
  return sched::Node::open(c, std::move(*rados));
#else
  return fail("this build has no RADOS store (built without NEARFAAS_WITH_CEPH)");
#endif
}

}  // namespace nearfaas::cli
