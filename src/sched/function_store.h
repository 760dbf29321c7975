// Functions of users: their wasm in the object store (storage::kFunctionsBucket,
// key <user>/<name>/function.wasm), machine code in the engine's code cache,
// and one Proto-Faaslet per function, made on first use.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "faaslet/faaslet.h"
#include "sched/shared_code.h"
#include "storage/object_store.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"

namespace nearfaas::sched {

// Why a function operation failed, for callers that answer differently
// (an HTTP server: 400, 404 or 500). Being an Error, it converts to Result<T>.
struct FunctionError : Error {
  enum Kind {
    InvalidName,    // user or function name breaks the rules below
    InvalidModule,  // the wasm does not validate, imports what the host lacks, ...
    NotFound,       // no such function
    Storage,        // the object store failed
  } kind = Storage;
};
template <typename T>
using FunctionResult = std::expected<T, FunctionError>;

// Users follow storage::validateUser; function names what the store allows
// for a bucket name ([A-Za-z0-9._-], not "." or "..").
Result<void> validateFunctionName(std::string_view user, std::string_view name);
std::string functionKey(std::string_view user, std::string_view name);

class FunctionStore {
 public:
  // With a `codeSharingSecret`, generated code also lives in the store
  // (SharedCode): a worker fetches what another generated, if its MAC under
  // the secret verifies, instead of generating it again, and publishes what
  // it generated. Empty: nothing is shared. The secret must be
  // SharedCode::checkSecret()-worthy.
  FunctionStore(storage::ObjectStore& objects, wasm::Engine& engine, const wasm::HostRegistry& host,
                faaslet::FaasletSettings settings = {}, std::string codeSharingSecret = {});
  ~FunctionStore();

  // Validates and compiles `wasm` (imports are checked against the host) and
  // stores it; replaces an existing function (and its Proto-Faaslet).
  FunctionResult<void> add(std::string_view user, std::string_view name,
                           std::span<const uint8_t> wasm);

  // Succeeds if the function exists (cheap: no code is loaded).
  FunctionResult<void> check(std::string_view user, std::string_view name);
  // The function's wasm as it was added.
  FunctionResult<Bytes> wasm(std::string_view user, std::string_view name);

  // The function's Proto-Faaslet. Not-found errors say so by name. With
  // `codeHash`, it must be of exactly that code: a cached one of other code
  // (the function was replaced through another node sharing the store) is
  // loaded again, and if the store holds other code, that is an error.
  Result<std::shared_ptr<faaslet::ProtoFaaslet>> proto(std::string_view user, std::string_view name,
                                                       std::string_view codeHash = {});

  // The Proto-Faaslet of that code if it is loaded already (nothing is read
  // from the store), else nullptr.
  std::shared_ptr<faaslet::ProtoFaaslet> loaded(std::string_view user, std::string_view name,
                                                std::string_view codeHash);

  const wasm::HostRegistry& host() const { return host_; }
  // The code shared through the store; nullptr when nothing is shared.
  const SharedCode* sharedCode() const { return sharedCode_.get(); }

 private:
  Result<std::shared_ptr<faaslet::ProtoFaaslet>> build(std::span<const uint8_t> wasm);

  storage::ObjectStore& objects_;
  wasm::Engine& engine_;
  const wasm::HostRegistry& host_;
  faaslet::FaasletSettings settings_;
  std::unique_ptr<SharedCode> sharedCode_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<faaslet::ProtoFaaslet>, std::less<>> protos_;
};

}  // namespace nearfaas::sched
