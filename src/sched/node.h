// One NearFaaS node in a process: the object store, the engine and its code
// cache, the host interface, state, functions and the executor pool, wired
// together. The CLI's local commands and the server both run one.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "host/local_shared_files.h"
#include "sched/function_store.h"
#include "sched/scheduler.h"
#include "state/redis_tier.h"
#include "state/state_store.h"
#include "storage/object_store.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"

namespace nearfaas::sched {

struct NodeConfig {
  // Root of the embedded store (<dataDir>/store) and, by default, the code cache.
  std::filesystem::path dataDir = defaultDataDir();
  // Where generated code is cached; empty = <dataDir>/code. Several nodes
  // may share one (entries are written atomically, keyed by module hash).
  std::filesystem::path codeCacheDir = defaultCodeCacheDir();
  wasm::CompilerSettings compiler;  // how generated code is compiled, and its bounds
  uint64_t codeCacheMaxBytes = wasm::kDefaultMaxCacheBytes;
  // Secret of the workers sharing a store: with it, generated code is kept
  // in the store too, under its MAC, for the other workers (SharedCode);
  // empty (the default): nothing is shared.
  std::string codeSharingSecret;
  faaslet::FaasletSettings faaslet;
  SchedulerSettings scheduler;
  state::StateLimits state;
  // The cluster's Redis (redis://HOST:PORT) holding the global state tier;
  // empty (the default): a single host, state only in this process.
  std::string clusterUrl;
  state::RedisSettings redis;
  // Local copies of shared files that calls on this node changed (Faasm's
  // local write), all Faaslets together.
  host::LocalSharedLimits localShared;

  // $NEARFAAS_DATA_DIR, else ~/.local/share/nearfaas; empty when neither is
  // set (Node::open then fails rather than use a shared directory).
  static std::filesystem::path defaultDataDir();
  // $NEARFAAS_CODE_CACHE, else empty.
  static std::filesystem::path defaultCodeCacheDir();
};

class Node {
 public:
  // With the embedded directory store under config.dataDir.
  static Result<std::unique_ptr<Node>> open(const NodeConfig& config);
  // With `store` (e.g. a RADOS store shared with other nodes).
  static Result<std::unique_ptr<Node>> open(const NodeConfig& config,
                                            std::unique_ptr<storage::ObjectStore> store);
  ~Node();

  storage::ObjectStore& objects() { return *objects_; }
  FunctionStore& functions() { return *functions_; }
  Scheduler& scheduler() { return *scheduler_; }
  state::StateStore& state() { return state_; }
  host::LocalSharedFiles& localSharedFiles() { return *localShared_; }
  wasm::Engine& engine() { return *engine_; }

 private:
  Node() = default;
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<wasm::Engine> engine_;
  wasm::HostRegistry host_;
  state::StateStore state_;
  std::unique_ptr<host::LocalSharedFiles> localShared_;
  std::unique_ptr<FunctionStore> functions_;
  std::unique_ptr<Scheduler> scheduler_;  // last: stops before what it uses goes
};

}  // namespace nearfaas::sched
