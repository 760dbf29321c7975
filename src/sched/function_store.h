// Functions of users: their wasm in the object store (storage::kFunctionsBucket,
// key <user>/<name>/function.wasm), machine code in the engine's code cache,
// and one Proto-Faaslet per function, made on first use.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "faaslet/faaslet.h"
#include "storage/object_store.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"

namespace nearfaas::sched {

// Users follow storage::validateUser; function names what the store allows
// for a bucket name ([A-Za-z0-9._-], not "." or "..").
Result<void> validateFunctionName(std::string_view user, std::string_view name);
std::string functionKey(std::string_view user, std::string_view name);

class FunctionStore {
 public:
  FunctionStore(storage::ObjectStore& objects, wasm::Engine& engine, const wasm::HostRegistry& host,
                faaslet::FaasletSettings settings = {});

  // Validates and compiles `wasm` (imports are checked against the host) and
  // stores it; replaces an existing function (and its Proto-Faaslet).
  Result<void> add(std::string_view user, std::string_view name, std::span<const uint8_t> wasm);

  // The function's Proto-Faaslet. Not-found errors say so by name.
  Result<std::shared_ptr<faaslet::ProtoFaaslet>> proto(std::string_view user,
                                                       std::string_view name);

  const wasm::HostRegistry& host() const { return host_; }

 private:
  Result<std::shared_ptr<faaslet::ProtoFaaslet>> build(std::span<const uint8_t> wasm);

  storage::ObjectStore& objects_;
  wasm::Engine& engine_;
  const wasm::HostRegistry& host_;
  faaslet::FaasletSettings settings_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<faaslet::ProtoFaaslet>, std::less<>> protos_;
};

}  // namespace nearfaas::sched
