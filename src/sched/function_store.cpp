#include "sched/function_store.h"

#include "storage/buckets.h"

namespace nearfaas::sched {

Result<void> validateFunctionName(std::string_view user, std::string_view name) {
  if (auto r = storage::validateUser(user); !r) return fail("invalid user: ", r.error().message);
  if (auto r = storage::validateBucket(name); !r)
    return fail("invalid function name: ", r.error().message);
  return {};
}

std::string functionKey(std::string_view user, std::string_view name) {
  return std::string(user) + "/" + std::string(name) + "/function.wasm";
}

FunctionStore::FunctionStore(storage::ObjectStore& objects, wasm::Engine& engine,
                             const wasm::HostRegistry& host, faaslet::FaasletSettings settings,
                             std::string codeSharingSecret)
    : objects_(objects), engine_(engine), host_(host), settings_(settings) {
  if (!codeSharingSecret.empty())
    sharedCode_ = std::make_unique<SharedCode>(objects_, std::move(codeSharingSecret));
}

FunctionStore::~FunctionStore() = default;

Result<std::shared_ptr<faaslet::ProtoFaaslet>> FunctionStore::build(std::span<const uint8_t> wasm) {
  std::filesystem::path cached;
  bool inStore = true;
  if (sharedCode_) {
    cached = engine_.cachedObjectPath(wasm);
    inStore = sharedCode_->fetch(cached);
  }
  auto module = engine_.load(wasm, &host_);
  if (!module) return std::unexpected(module.error());
  if (!inStore) sharedCode_->publish((*module)->objectPath());
  return faaslet::ProtoFaaslet::create(*module, host_, settings_);
}

namespace {
std::unexpected<FunctionError> functionFail(FunctionError::Kind kind, std::string message) {
  return std::unexpected(FunctionError{{std::move(message)}, kind});
}
}  // namespace

FunctionResult<void> FunctionStore::add(std::string_view user, std::string_view name,
                                        std::span<const uint8_t> wasm) {
  if (auto v = validateFunctionName(user, name); !v)
    return functionFail(FunctionError::InvalidName, v.error().message);
  auto proto = build(wasm);
  if (!proto) return functionFail(FunctionError::InvalidModule, proto.error().message);
  if (auto r = objects_.put(storage::kFunctionsBucket, functionKey(user, name), wasm); !r)
    return functionFail(FunctionError::Storage, "storing the function: " + r.error().message);
  std::lock_guard l(mutex_);
  protos_[functionKey(user, name)] = std::move(*proto);
  return {};
}

FunctionResult<void> FunctionStore::check(std::string_view user, std::string_view name) {
  if (auto v = validateFunctionName(user, name); !v)
    return functionFail(FunctionError::InvalidName, v.error().message);
  std::string key = functionKey(user, name);
  {
    std::lock_guard l(mutex_);
    if (protos_.contains(key)) return {};
  }
  auto info = objects_.stat(storage::kFunctionsBucket, key);
  if (info) return {};
  if (info.error().code == storage::StoreErrorCode::NotFound)
    return functionFail(FunctionError::NotFound,
                        "no function " + std::string(user) + "/" + std::string(name));
  return functionFail(FunctionError::Storage, "reading function " + std::string(user) + "/" +
                                                  std::string(name) + ": " + info.error().message);
}

FunctionResult<Bytes> FunctionStore::wasm(std::string_view user, std::string_view name) {
  if (auto v = validateFunctionName(user, name); !v)
    return functionFail(FunctionError::InvalidName, v.error().message);
  auto wasm = objects_.get(storage::kFunctionsBucket, functionKey(user, name));
  if (wasm) return std::move(*wasm);
  if (wasm.error().code == storage::StoreErrorCode::NotFound)
    return functionFail(FunctionError::NotFound,
                        "no function " + std::string(user) + "/" + std::string(name));
  return functionFail(FunctionError::Storage, "reading function " + std::string(user) + "/" +
                                                  std::string(name) + ": " + wasm.error().message);
}

std::shared_ptr<faaslet::ProtoFaaslet> FunctionStore::loaded(std::string_view user,
                                                             std::string_view name,
                                                             std::string_view codeHash) {
  std::lock_guard l(mutex_);
  auto it = protos_.find(functionKey(user, name));
  if (it == protos_.end() || it->second->codeHash() != codeHash) return nullptr;
  return it->second;
}

Result<std::shared_ptr<faaslet::ProtoFaaslet>> FunctionStore::proto(std::string_view user,
                                                                    std::string_view name,
                                                                    std::string_view codeHash) {
  if (auto v = validateFunctionName(user, name); !v) return std::unexpected(v.error());
  std::string key = functionKey(user, name);
  {
    std::lock_guard l(mutex_);
    if (auto it = protos_.find(key);
        it != protos_.end() && (codeHash.empty() || it->second->codeHash() == codeHash))
      return it->second;
  }
  auto wasm = objects_.get(storage::kFunctionsBucket, key);
  if (!wasm) {
    if (wasm.error().code == storage::StoreErrorCode::NotFound)
      return fail("no function ", user, "/", name);
    return fail("reading function ", user, "/", name, ": ", wasm.error().message);
  }
  auto proto = build(*wasm);
  if (!proto) return fail("function ", user, "/", name, ": ", proto.error().message);
  if (!codeHash.empty() && (*proto)->codeHash() != codeHash)
    return fail("function ", user, "/", name, " has other code than the caller's");
  std::lock_guard l(mutex_);
  // Another thread may have built it meanwhile; keep the first, unless it is
  // not of the code asked for.
  auto& slot = protos_[std::move(key)];
  if (!slot || (!codeHash.empty() && slot->codeHash() != codeHash)) slot = std::move(*proto);
  return slot;
}

}  // namespace nearfaas::sched
