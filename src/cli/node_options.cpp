#include "cli/node_options.h"

#include <cstdlib>

#include "storage/directory_store.h"
#if NEARFAAS_WITH_CEPH
#include "storage/rados_store.h"
#endif

namespace nearfaas::cli {

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
  if (!running) return;
  app.add_option("--slots", slots, "executor threads (default: number of cores)");
  app.add_option("--timeout", timeoutMs, "call deadline in milliseconds")->capture_default_str();
  app.add_option("--max-memory-pages", maxMemoryPages, "memory limit per Faaslet in 64 KiB pages")
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
  app.add_option("--max-chained-calls", limits.maxChainedCallsPerCall,
                 "calls one call may chain; one more traps it")
      ->capture_default_str();
  app.add_option("--max-chained-input", limits.maxChainedInputBytes,
                 "largest input of a chained call, e.g. 64MB; a larger one traps the caller")
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
  c.faaslet.maxMemoryPages = maxMemoryPages;
  if (store != "rados") return sched::Node::open(c);
#if NEARFAAS_WITH_CEPH
  if (cephConf.empty()) return fail("--store rados needs --ceph-conf (or $NEARFAAS_CEPH_CONF)");
  storage::RadosConfig rc;
  rc.confPath = cephConf;
  rc.pool = pool;
  auto callSeconds = std::chrono::ceil<std::chrono::seconds>(c.scheduler.callTimeout);
  rc.timeouts.osdOp = std::max(rc.timeouts.osdOp, callSeconds + std::chrono::seconds(10));
  c.shareGeneratedCode = true;  // workers sharing a cluster share code
  auto rados = storage::RadosStore::open(rc);
  if (!rados) return fail("cannot open the RADOS store: ", rados.error().message);
  return sched::Node::open(c, std::move(*rados));
#else
  return fail("this build has no RADOS store (built without NEARFAAS_WITH_CEPH)");
#endif
}

}  // namespace nearfaas::cli
