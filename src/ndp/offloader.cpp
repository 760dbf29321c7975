#include "ndp/offloader.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <random>

#include "wasm/host_registry.h"
#include "wasm/runtime.h"

namespace nearfaas::ndp {

namespace {

// Proves a delta fetch or result belongs to the call: 128 random bits, in
// kTokenHexDigits lowercase hex digits.
std::string newToken() {
  static thread_local std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (size_t i = 0; i < kTokenHexDigits / 8; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4)
      t += hex[v & 15];
  }
  return t;
}

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

uint64_t deltaLinkBytes(const faaslet::MemoryDelta& d) {
  return d.data.size() + d.pages.size() * 4 + d.globals.size() * 9;
}

uint64_t CostModel::minObjectBytes(uint64_t deltaBytes, uint64_t resultBytes) const {
  double fixedBytes = std::chrono::duration<double>(fixedCost).count() * linkBitsPerSecond / 8;
  return static_cast<uint64_t>(std::ceil(fixedBytes)) + deltaBytes + resultBytes;
}

bool CostModel::offloads(uint64_t objectBytes, uint64_t deltaBytes, uint64_t resultBytes) const {
  return forceOffload || objectBytes >= minObjectBytes(deltaBytes, resultBytes);
}

Result<std::unique_ptr<Offloader>> Offloader::start(std::unique_ptr<ObjectClassStore> objects,
                                                    OffloaderSettings settings) {
  auto endpoint = DeltaEndpoint::start(settings.endpoint);
  if (!endpoint) return std::unexpected(endpoint.error());
  return std::unique_ptr<Offloader>(
      new Offloader(std::move(objects), std::move(settings), std::move(*endpoint)));
}

Offloader::Offloader(std::unique_ptr<ObjectClassStore> objects, OffloaderSettings settings,
                     std::unique_ptr<DeltaEndpoint> endpoint)
    : store_(std::move(objects)), settings_(std::move(settings)), endpoint_(std::move(endpoint)) {}

Offloader::~Offloader() = default;

OffloaderStats Offloader::stats() const {
  std::lock_guard l(statsMutex_);
  return stats_;
}

std::optional<int32_t> Offloader::offload(faaslet::Faaslet& caller,
                                          const host::CallRequest& request,
                                          const host::CallServices::StorageCall& call) {
  auto count = [&](uint64_t OffloaderStats::*field) {
    std::lock_guard l(statsMutex_);
    ++(stats_.*field);
  };
  const std::string where =
      request.user + "/" + request.function + " on '" + std::string(call.key) + "'";
  if (steadyNowNs() < backoffUntilNs_.load(std::memory_order_relaxed)) {
    count(&OffloaderStats::backoff);
    return std::nullopt;
  }
  auto info = store_->stat(request.user, call.key);
  if (!info) {
    // A missing object: the local run gives the function's own answer.
    if (info.error().code != storage::StoreErrorCode::NotFound) {
      spdlog::warn("ndp: {} runs locally: {}", where, info.error().message);
      count(&OffloaderStats::failed);
    } else {
      count(&OffloaderStats::small);
    }
    return std::nullopt;
  }
  auto delta = caller.takeDelta();
  if (!delta) {
    spdlog::warn("ndp: {} runs locally: {}", where, delta.error().message);
    count(&OffloaderStats::failed);
    return std::nullopt;
  }
  const std::string function = request.user + "/" + request.function;
  uint64_t outBytes = deltaLinkBytes(*delta), expectedResult = outBytes;
  bool readWrite = false;
  {
    std::lock_guard l(statsMutex_);
    if (auto it = resultBytes_.find(function); it != resultBytes_.end())
      expectedResult = it->second;
    readWrite = writers_.contains(function);
  }
  const uint64_t threshold = settings_.cost.minObjectBytes(outBytes, expectedResult);
  if (!settings_.cost.offloads(info->size, outBytes, expectedResult)) {
    count(&OffloaderStats::small);
    spdlog::debug("ndp: {} runs locally: {} bytes, the cost model offloads from {}", where,
                  info->size, threshold);
    return std::nullopt;
  }
  std::string whyNot;
  bool refusedForLoad = false;
  uint64_t resultSize = 0;
  auto started = std::chrono::steady_clock::now();
  auto rv = exchange(caller, request, call, std::move(*delta), readWrite, whyNot, refusedForLoad,
                     resultSize);
  // Only the runtime's own verdict starts so (a reason that quotes a key the
  // guest chose has another start).
  if (!rv && !readWrite &&
      whyNot.starts_with("failed on the storage side: " + std::string(kWritesItsObject))) {
    // The caller is untouched: send the same call again, read-write.
    {
      std::lock_guard l(statsMutex_);
      writers_.insert(function);
    }
    spdlog::info("ndp: {} writes its object: sent again as a read-write offload", where);
    readWrite = true;
    delta = caller.takeDelta();
    if (!delta) {
      whyNot = delta.error().message;
    } else {
      whyNot.clear();
      rv = exchange(caller, request, call, std::move(*delta), readWrite, whyNot, refusedForLoad,
                    resultSize);
    }
  }
  if (rv) {
    count(&OffloaderStats::offloaded);
    {
      std::lock_guard l(statsMutex_);
      resultBytes_[function] = resultSize;
    }
    // One line per offload, written at once, so that whoever reads the log
    // (scripts/bench-ndp.sh counts them) has it before the caller's answer:
    // next to an exec round trip, one write costs nothing.
    spdlog::info(
        "ndp: {} ran near the data ({} bytes; the cost model's threshold {} bytes{}{}) in {:.2f} "
        "ms",
        where, info->size, threshold, info->size < threshold ? ", offload forced" : "",
        readWrite ? ", read-write" : "",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    spdlog::default_logger()->flush();
    return rv;
  }
  if (refusedForLoad) {
    auto backoff = std::chrono::nanoseconds(settings_.cost.refusalBackoff).count();
    backoffUntilNs_.store(steadyNowNs() + backoff, std::memory_order_relaxed);
  }
  count(refusedForLoad || whyNot.starts_with("refused") ? &OffloaderStats::refused
                                                        : &OffloaderStats::failed);
  spdlog::warn("ndp: {} runs locally: {}", where, whyNot);
  return std::nullopt;
}

std::optional<int32_t> Offloader::exchange(faaslet::Faaslet& caller,
                                           const host::CallRequest& request,
                                           const host::CallServices::StorageCall& call,
                                           faaslet::MemoryDelta delta, bool readWrite,
                                           std::string& whyNot, bool& refusedForLoad,
                                           uint64_t& resultSize) {
  OffloadRequest out;
  out.callId = nextCallId_.fetch_add(1);
  out.user = request.user;
  out.function = request.function;
  out.key = std::string(call.key);
  out.funcPtr = call.funcPtr;
  out.args.assign(call.args.begin(), call.args.end());
  out.origin = endpoint_->address();
  out.token = newToken();
  out.codeHash = caller.proto().codeHash();
  if (!endpoint_->expect(out.callId, out.token, std::move(delta))) {
    whyNot = "call id in use";
    return std::nullopt;
  }
  // From here on every return goes through finish(): the endpoint forgets the
  // call, and a result arriving later is refused.
  auto deadline = std::chrono::steady_clock::now() + settings_.execTimeout;
  auto exec =
      store_->execClass(request.user, call.key, "nearfaas", readWrite ? "offload_rw" : "offload_ro",
                        encode(out), deadline, [] { return wasm::deadlinePassed(); });
  auto result = endpoint_->finish(out.callId);
  if (wasm::deadlinePassed())
    throw wasm::HostTrap(wasm::TrapKind::Timeout,
                         "the call's deadline passed during a storage call");
  if (!exec) {
    // A read-write method answers with its return code only (Ceph returns
    // no output for writes): -EBUSY run locally, -EIO failed; the OSD has
    // applied nothing the call wrote.
    whyNot = readWrite
                 ? "the storage side gave the read-write offload back: " + exec.error().message
                 : exec.error().message;
    return std::nullopt;
  }
  // A read-write method that returned 0: done.
  auto reply =
      readWrite ? Result<OffloadReply>(OffloadReply{Verdict::Done, ""}) : decodeReply(*exec);
  if (!reply) {
    whyNot = "the object class answered: " + reply.error().message;
    return std::nullopt;
  }
  if (reply->verdict != Verdict::Done) {
    // Overload, or no runtime beside that OSD: asking again at once would
    // only add a round trip to each call.
    refusedForLoad = reply->reason.find("overloaded") != std::string::npos ||
                     reply->reason.find("no storage runtime") != std::string::npos;
    whyNot = (reply->verdict == Verdict::ProcessLocally ? "refused by the storage side: "
                                                        : "failed on the storage side: ") +
             reply->reason;
    return std::nullopt;
  }
  if (!result) {
    whyNot = "the storage side reported success but no result arrived";
    return std::nullopt;
  }
  // Check what could make applying fail halfway before changing anything.
  size_t mutableGlobals = 0;
  for (const auto& g : caller.instance().info().globals)
    mutableGlobals += g.isMutable;
  if (result->delta.globals.size() != mutableGlobals) {
    whyNot = "the result's globals do not match the function";
    return std::nullopt;
  }
  resultSize = deltaLinkBytes(result->delta) + result->output.size() + result->stdoutText.size() +
               result->stderrText.size();
  if (auto r = caller.applyDelta(result->delta); !r)
    throw wasm::HostTrap(wasm::TrapKind::Host,
                         "applying the result of a storage call: " + r.error().message);
  host::CallContext& ctx = caller.context();
  if (result->outputSet) {
    ctx.outputData = std::move(result->output);
    ctx.outputSet = true;
  }
  if (!result->stdoutText.empty()) ctx.writeStdio(1, result->stdoutText);
  if (!result->stderrText.empty()) ctx.writeStdio(2, result->stderrText);
  return result->returnValue;
}

}  // namespace nearfaas::ndp
