#include "ndp/storage_runtime.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ndp/messages.h"
#include "storage/object_store.h"
#include "wasm/settings.h"

namespace nearfaas::ndp {

namespace {

using storage::StoreErrorCode;
using storage::storeFail;
using storage::StoreResult;

// The objects an offloaded call sees: only its own object, served by the
// object class (the OSD's copy, over the class connection). Touching any
// other marks the call broken (its result is not used). Used by the one
// thread that runs the call.
class ClassObjects : public storage::ObjectStore {
 public:
  // Each exchange with the class ends within `ioTimeout`, and all by `hold`.
  ClassObjects(int classFd, std::string user, std::string key, storage::StoreLimits limits,
               std::chrono::milliseconds ioTimeout, Deadline hold)
      : fd_(classFd),
        user_(std::move(user)),
        key_(std::move(key)),
        limits_(limits),
        timeout_(ioTimeout),
        hold_(hold) {}

  StoreResult<void> put(std::string_view bucket, std::string_view key,
                        std::span<const uint8_t> data) override {
    if (!mine(bucket, key)) return elsewhere(bucket, key);
    Bytes bytes(data.begin(), data.end());
    auto r = ask({ObjectOp::WriteFull, 0, 0, bytes});
    if (!r) return std::unexpected(r.error());
    if (r->status < 0) {
      // Refused (a read-only offload): the call cannot do here what it would
      // do on the caller, so its result must not be used; the caller reruns
      // it (and sends that function's calls as read-write offloads).
      broken_ = std::string(kWritesItsObject) +
                ", which a read-only offload cannot (the object class refused it, errno " +
                std::to_string(-r->status) + ")";
      return storeFail(StoreErrorCode::Io, *broken_);
    }
    // The OSD applies the write when the class call ends; until then the
    // class reads the object as it was. The call reads what it wrote, as it
    // would on the caller.
    written_ = std::move(bytes);
    return {};
  }
  StoreResult<Bytes> get(std::string_view bucket, std::string_view key) override {
    if (!mine(bucket, key)) return elsewhere(bucket, key);
    return getRange(bucket, key, 0, UINT64_MAX);
  }
  StoreResult<Bytes> getRange(std::string_view bucket, std::string_view key, uint64_t offset,
                              uint64_t maxLen) override {
    Bytes out;
    auto n = getRangeInto(bucket, key, offset, maxLen, [&](uint64_t len) {
      out.resize(len);
      return out.data();
    });
    if (!n) return std::unexpected(n.error());
    return out;
  }
  // The data goes from the socket straight to `place` (guest memory for
  // getMmap): no copy of the object in between.
  StoreResult<uint64_t> getRangeInto(std::string_view bucket, std::string_view key, uint64_t offset,
                                     uint64_t maxLen,
                                     const std::function<uint8_t*(uint64_t)>& place) override {
    if (!mine(bucket, key)) return elsewhere(bucket, key);
    auto size = stat(bucket, key);
    if (!size) return std::unexpected(size.error());
    if (offset >= size->size || maxLen == 0) return uint64_t{0};
    uint64_t want = std::min(maxLen, size->size - offset);
    if (written_) {
      std::memcpy(place(want), written_->data() + offset, want);
      return want;
    }
    if (broken_) return storeFail(StoreErrorCode::Io, *broken_);
    auto deadline = ioDeadline();
    auto broke = [&](const std::string& why) {
      broken_ = "object class: " + why;
      return storeFail(StoreErrorCode::Io, *broken_);
    };
    // Until the whole reply is in, the connection is in the middle of a
    // frame: if anything ends the read early (place() may throw), it stays
    // marked broken.
    broken_ = "object class: a read was interrupted";
    if (auto r = sendFrame(fd_, encode(ObjectOp{ObjectOp::Read, offset, want}), deadline); !r)
      return broke(r.error().message);
    auto len = recvFrameLength(fd_, deadline);
    if (!len) return broke(len.error().message);
    uint8_t prefixBytes[kObjectOpReplyPrefixBytes];
    if (auto r = recvExact(fd_, prefixBytes, sizeof prefixBytes, deadline); !r)
      return broke(r.error().message);
    auto prefix = decodeObjectOpReplyPrefix(prefixBytes);
    if (!prefix) return broke(prefix.error().message);
    if (*len != sizeof prefixBytes + prefix->dataBytes || prefix->dataBytes > want)
      return broke("a read reply of the wrong size");
    if (prefix->status < 0 || prefix->dataBytes == 0) {
      broken_.reset();
      if (prefix->status < 0) return failed(prefix->status, "read");
      return uint64_t{0};
    }
    uint8_t* to = place(prefix->dataBytes);
    if (auto r = recvExact(fd_, to, prefix->dataBytes, deadline); !r)
      return broke(r.error().message);
    broken_.reset();
    return prefix->dataBytes;
  }
  StoreResult<storage::ObjectInfo> stat(std::string_view bucket, std::string_view key) override {
    if (!mine(bucket, key)) return elsewhere(bucket, key);
    if (written_) return storage::ObjectInfo{written_->size()};
    auto r = ask({ObjectOp::Stat});
    if (!r) return std::unexpected(r.error());
    if (r->status < 0) return failed(r->status, "stat");
    return storage::ObjectInfo{r->size};
  }
  StoreResult<void> remove(std::string_view bucket, std::string_view key) override {
    if (mine(bucket, key))
      return storeFail(StoreErrorCode::Io, "an offloaded call cannot remove its object");
    return elsewhere(bucket, key);
  }
  StoreResult<std::vector<std::string>> list(std::string_view bucket, std::string_view) override {
    return elsewhere(bucket, "");
  }
  const storage::StoreLimits& limits() const override { return limits_; }

  // Set when the class connection broke: the call's result cannot be trusted.
  const std::optional<std::string>& broken() const { return broken_; }

 private:
  bool mine(std::string_view bucket, std::string_view key) const {
    return bucket == user_ && key == key_;
  }
  // Any other object. Reading it through RADOS from inside the class call
  // could wait on the very placement group lock that call holds, so the
  // offload gives up and the caller runs the storage call itself.
  std::unexpected<storage::StoreError> elsewhere(std::string_view bucket, std::string_view key) {
    if (!broken_)
      broken_ = "the storage call uses another object ('" + std::string(key) + "' in '" +
                std::string(bucket) + "') than the one it was sent to";
    return storeFail(StoreErrorCode::Io, *broken_);
  }
  StoreResult<ObjectOpReply> ask(const ObjectOp& op) {
    if (broken_) return storeFail(StoreErrorCode::Io, *broken_);
    auto deadline = ioDeadline();
    auto sent = sendFrame(fd_, encode(op), deadline);
    auto frame = sent ? recvMessage(fd_, {kObjectOpReplyMessage}, deadline)
                      : Result<Bytes>(std::unexpected(sent.error()));
    auto reply =
        frame ? decodeObjectOpReply(*frame) : Result<ObjectOpReply>(std::unexpected(frame.error()));
    if (!reply) {
      broken_ = "object class: " + reply.error().message;
      return storeFail(StoreErrorCode::Io, *broken_);
    }
    return std::move(*reply);
  }
  Deadline ioDeadline() const { return std::min(deadlineIn(timeout_), hold_); }
  std::unexpected<storage::StoreError> failed(int32_t status, const char* what) {
    if (status == -ENOENT) return storeFail(StoreErrorCode::NotFound, "no object '", key_, "'");
    return storeFail(StoreErrorCode::Io, "object class ", what, " failed (errno ",
                     std::to_string(-status), ")");
  }

  int fd_;
  std::string user_, key_;
  storage::StoreLimits limits_;
  std::chrono::milliseconds timeout_;
  Deadline hold_;
  std::optional<std::string> broken_;
  std::optional<Bytes> written_;  // what the call wrote to its object
};

// What an offloaded call may use: its object. No chaining (the caller
// chains, not the part of it that runs near the data), and no state: state
// lives on the compute workers, so a storage call that touches it is marked
// and its result not used (the caller runs it itself).
class OffloadServices : public host::CallServices {
 public:
  explicit OffloadServices(storage::ObjectStore& objects) : objects_(objects) {}
  Result<uint32_t> chain(host::CallRequest) override {
    return fail("chaining is not available in a storage call");
  }
  Result<host::CallOutcome> await(uint32_t) override {
    return fail("chaining is not available in a storage call");
  }
  state::StateStore& state() override {
    usedState_ = true;
    return scratchState_;
  }
  storage::ObjectStore& objects() override { return objects_; }
  bool usedState() const { return usedState_; }

 private:
  storage::ObjectStore& objects_;
  state::StateStore scratchState_;
  bool usedState_ = false;
};

// Addresses no caller can have: this network, link-local (where cloud
// metadata services answer), multicast and reserved.
const Ipv4Network kNeverCallers[] = {
    {0x00000000, 8},   // 0.0.0.0/8
    {0xA9FE0000, 16},  // 169.254.0.0/16
    {0xE0000000, 3},   // 224.0.0.0/3
};

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

double loadPerCore() {
  std::ifstream f("/proc/loadavg");
  double load = 0;
  f >> load;
  return load / std::max(1u, std::thread::hardware_concurrency());
}

uint64_t availableMemory() {
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream in(line.substr(13));
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return UINT64_MAX;  // unknown: do not refuse for it
}

}  // namespace

Result<std::unique_ptr<StorageRuntime>> StorageRuntime::start(sched::Node& node,
                                                              StorageRuntimeSettings settings) {
  if (!settings.maxConcurrent)
    settings.maxConcurrent = std::max(1u, std::thread::hardware_concurrency());
  auto listener = listenUnix(settings.socketPath);
  if (!listener) return fail("storage runtime: ", listener.error().message);
  // Requests are trusted because of where they come from: only the OSD's
  // user (owner or group) may connect.
  if (::chmod(settings.socketPath.c_str(), 0660) != 0)
    return fail("storage runtime: cannot restrict ", settings.socketPath, ": ",
                std::strerror(errno));
  std::unique_ptr<StorageRuntime> rt(new StorageRuntime(node, std::move(settings)));
  rt->loader_ = std::thread([r = rt.get()] { r->loaderLoop(); });
  // Guest code runs on the connection threads: they need the runtime's stack size.
  rt->server_ = SocketServer::start(std::move(*listener),
                                    [r = rt.get()](Socket conn) { r->serve(std::move(conn)); },
                                    {.threadStackBytes = wasm::kGuestThreadStackBytes});
  return rt;
}

StorageRuntime::StorageRuntime(sched::Node& node, StorageRuntimeSettings settings)
    : node_(node), settings_(std::move(settings)) {}

StorageRuntime::~StorageRuntime() {
  server_.reset();  // waits for the offloads in progress; no new loads are queued after it
  {
    std::lock_guard l(mutex_);
    stopping_ = true;  // a load in progress finishes; queued ones are dropped
  }
  loadWork_.notify_all();
  if (loader_.joinable()) loader_.join();
  ::unlink(settings_.socketPath.c_str());
}

StorageRuntimeStats StorageRuntime::stats() const {
  std::lock_guard l(mutex_);
  StorageRuntimeStats s = stats_;
  s.loadFailuresRemembered = failures_.size();
  return s;
}

std::optional<std::string> StorageRuntime::refusal() const {
  {
    std::lock_guard l(mutex_);
    if (running_ >= settings_.maxConcurrent)
      return "overloaded: all " + std::to_string(settings_.maxConcurrent) +
             " executor slots are busy";
  }
  if (double load = loadPerCore(); load > settings_.maxLoadPerCore)
    return "overloaded: load " + std::to_string(load) + " per core";
  if (uint64_t mem = availableMemory(); mem < settings_.minAvailableMemory)
    return "overloaded: " + std::to_string(mem >> 20) + " MiB of memory available";
  return std::nullopt;
}

void StorageRuntime::serve(Socket conn) {
  auto started = Clock::now();
  auto frame = recvMessage(conn.fd(), {kClassRequestMessage}, deadlineIn(settings_.ioTimeout));
  auto forwarded =
      frame ? decodeClassRequest(*frame) : Result<ClassRequest>(std::unexpected(frame.error()));
  OffloadReply reply;
  if (!forwarded) {
    reply = {Verdict::ProcessLocally,
             "storage runtime: corrupt request: " + forwarded.error().message};
    spdlog::warn("{}", reply.reason);
  } else {
    const OffloadRequest& request = forwarded->request;
    Deadline hold = started + settings_.maxOffloadTime;
    Clock::duration ran{};
    reply = handle(conn.fd(), *forwarded, hold, ran);
    // Whatever stopped it (its run, a read from the class, the caller's
    // connection), the time was up: the call goes back to the caller.
    if (reply.verdict == Verdict::Failed && Clock::now() >= hold)
      reply = {Verdict::ProcessLocally,
               "the call took longer than the storage side's limit of " +
                   std::to_string(settings_.maxOffloadTime.count()) +
                   " ms per offload (--max-offload-time); it runs on the caller (" + reply.reason +
                   ")"};
    using Ms = std::chrono::duration<double, std::milli>;
    // With the run's own time: scripts/bench-ndp.sh takes it as the work's
    // time near the data.
    spdlog::info("offload {} {}/{} on '{}': {} in {:.2f} ms{}{}{}", request.callId, request.user,
                 request.function, request.key,
                 reply.verdict == Verdict::Done             ? "done"
                 : reply.verdict == Verdict::ProcessLocally ? "refused"
                                                            : "failed",
                 Ms(Clock::now() - started).count(),
                 ran.count() ? fmt::format(" (run {:.2f} ms)", Ms(ran).count()) : "",
                 reply.reason.empty() ? "" : ": ", reply.reason);
    // Written before the verdict leaves, so that the line is in the log when
    // the caller has its answer (scripts/bench-ndp.sh and the topology test
    // read it); one write per offload is nothing next to the offload.
    spdlog::default_logger()->flush();
  }
  {
    // Counted before the class hears the verdict, so stats() never lags it.
    std::lock_guard l(mutex_);
    ++stats_.received;
    (reply.verdict == Verdict::Done     ? stats_.done
     : reply.verdict == Verdict::Failed ? stats_.failed
                                        : stats_.refused)++;
  }
  verdicts_.notify_all();
  (void)sendFrame(conn.fd(), encode(reply), deadlineIn(settings_.ioTimeout));
}

std::optional<std::string> StorageRuntime::untrusted(const ClassRequest& forwarded) const {
  const OffloadRequest& request = forwarded.request;
  if (request.user != forwarded.objectNamespace || request.key != forwarded.objectName)
    return "the request names object '" + request.key + "' of user '" + request.user +
           "', but the class ran on '" + forwarded.objectName + "' in namespace '" +
           forwarded.objectNamespace + "'";
  if (request.token.size() != kTokenHexDigits || !isHex(request.token))
    return "corrupt request: the token is not " + std::to_string(kTokenHexDigits) + " hex digits";
  if (request.codeHash.size() != 64 || !isHex(request.codeHash))
    return "corrupt request: the code hash is not a SHA-256 in hex";
  auto origin = parseIpv4Endpoint(request.origin);
  if (!origin) return "the caller's address: " + origin.error().message;
  std::string ip = ipv4Text(origin->address);
  for (const auto& never : kNeverCallers)
    if (never.contains(origin->address))
      return "the caller's address " + ip + " is not one a caller can have";
  if (settings_.originMustBeClient && forwarded.clientAddress != ip)
    return "the caller's address " + ip + " is not that of the RADOS client that sent the call (" +
           (forwarded.clientAddress.empty() ? "unknown" : forwarded.clientAddress) + ")";
  if (!settings_.callerNetworks.empty() &&
      std::none_of(settings_.callerNetworks.begin(), settings_.callerNetworks.end(),
                   [&](const Ipv4Network& n) { return n.contains(origin->address); }))
    return "the caller's address " + ip + " is outside the caller networks";
  return std::nullopt;
}

OffloadReply StorageRuntime::handle(int classFd, const ClassRequest& forwarded, Deadline hold,
                                    Clock::duration& ran) {
  const OffloadRequest& request = forwarded.request;
  if (auto why = untrusted(forwarded)) return {Verdict::ProcessLocally, *why};
  if (auto why = refusal()) return {Verdict::ProcessLocally, *why};
  // Loading a function reads the store, which must not happen inside the
  // class call (see ClassObjects::elsewhere): it is loaded in the background
  // and this call runs on the caller.
  auto proto = node_.functions().loaded(request.user, request.function, request.codeHash);
  if (!proto) return {Verdict::ProcessLocally, loadInBackground(request)};
  {
    std::lock_guard l(mutex_);
    if (running_ >= settings_.maxConcurrent)
      return {Verdict::ProcessLocally, "overloaded: all executor slots are busy"};
    ++running_;
  }
  struct Release {
    StorageRuntime* self;
    ~Release() {
      std::lock_guard l(self->mutex_);
      --self->running_;
    }
  } release{this};

  auto failed = [](const std::string& why) { return OffloadReply{Verdict::Failed, why}; };
  // Every exchange ends within ioTimeout, and all of them by `hold`.
  auto ioDeadline = [&] { return std::min(deadlineIn(settings_.ioTimeout), hold); };
  Deadline io = ioDeadline();
  auto caller = connectTcp(request.origin, io);
  if (!caller) return failed("cannot reach the caller: " + caller.error().message);
  if (auto r = sendFrame(caller->fd(), encode(DeltaFetch{request.callId, request.token}), io); !r)
    return failed("asking the caller for its memory: " + r.error().message);
  auto deltaFrame = recvMessage(caller->fd(), {kDeltaMessage, kReplyMessage}, io);
  if (!deltaFrame) return failed("receiving the caller's memory: " + deltaFrame.error().message);
  if (messageKind(*deltaFrame) == kReplyMessage) {
    auto why = decodeReply(*deltaFrame);
    return failed("the caller refused: " + (why ? why->reason : why.error().message));
  }
  auto delta = decodeDelta(*deltaFrame);
  if (!delta) return failed("the caller's memory: " + delta.error().message);
  deltaFrame->clear();
  deltaFrame->shrink_to_fit();

  auto faaslet = proto->newFaaslet();
  if (!faaslet) return failed("cannot restore a Faaslet: " + faaslet.error().message);
  ClassObjects objects(classFd, request.user, request.key, node_.objects().limits(),
                       settings_.ioTimeout, hold);
  OffloadServices services(objects);
  host::CallRequest call;
  call.user = request.user;
  call.function = request.function;
  call.funcPtr = request.funcPtr;
  call.extraArgs = request.args;
  call.forbidNdp = true;  // a storage call made here runs here
  // Whatever is left of the hold time (rounded up: a run stopped by it ends
  // after `hold`), at most the call timeout.
  auto left = std::chrono::ceil<std::chrono::milliseconds>(hold - Clock::now());
  if (left.count() <= 0) return failed("no time left to run it");
  faaslet::MemoryDelta changed;
  auto runStart = Clock::now();
  auto outcome = (*faaslet)->run(static_cast<uint32_t>(request.callId), call, &services,
                                 std::min(left, settings_.callTimeout), {&*delta, &changed});
  ran = Clock::now() - runStart;
  if (!outcome) return failed("the Faaslet broke: " + outcome.error().message);
  if (objects.broken()) return failed(*objects.broken());
  if (services.usedState())
    return failed("the storage call uses state, which lives on the compute workers");
  if (!outcome->error.empty()) return failed("the storage call failed: " + outcome->error);

  io = ioDeadline();
  OffloadResult result{request.callId,
                       request.token,
                       outcome->returnValue,
                       std::move(changed),
                       outcome->outputSet,
                       std::move(outcome->output),
                       std::move(outcome->stdoutText),
                       std::move(outcome->stderrText)};
  if (auto r = sendFrame(caller->fd(), encode(result), io); !r)
    return failed("returning the result: " + r.error().message);
  auto ack = recvMessage(caller->fd(), {kReplyMessage}, io);
  auto ackReply = ack ? decodeReply(*ack) : Result<OffloadReply>(std::unexpected(ack.error()));
  if (!ackReply || ackReply->verdict != Verdict::Done)
    return failed("the caller did not take the result: " +
                  (ackReply ? ackReply->reason : ackReply.error().message));
  return {Verdict::Done, ""};
}

std::string StorageRuntime::loadInBackground(const OffloadRequest& request) {
  std::string what = request.user + "/" + request.function;
  std::string key = what + "@" + request.codeHash;
  {
    std::lock_guard l(mutex_);
    if (auto why = rememberedFailure(key)) return "unknown function: " + *why;
    if (loading_.contains(key)) return "loading function " + what;
    if (loadQueue_.size() >= settings_.loadQueue) {
      ++stats_.loadsRefused;
      return "overloaded: " + std::to_string(loadQueue_.size()) +
             " function loads are waiting (this call runs on the caller)";
    }
    loadQueue_.push_back({key, request.user, request.function, request.codeHash});
    loading_.insert(key);
    ++stats_.loadsQueued;
  }
  loadWork_.notify_one();
  return "loading function " + what + " (this call runs on the caller)";
}

void StorageRuntime::loaderLoop() {
  std::unique_lock l(mutex_);
  for (;;) {
    loadWork_.wait(l, [&] { return stopping_ || !loadQueue_.empty(); });
    if (stopping_) break;
    Load load = std::move(loadQueue_.front());
    loadQueue_.pop_front();
    loaderBusy_ = true;
    l.unlock();
    auto proto = node_.functions().proto(load.user, load.function, load.codeHash);
    if (!proto)
      spdlog::warn("cannot load {}/{}: {}", load.user, load.function, proto.error().message);
    l.lock();
    loaderBusy_ = false;
    loading_.erase(load.key);
    if (!proto) rememberFailure(load.key, proto.error().message);
    if (loadQueue_.empty()) loadsIdle_.notify_all();
  }
  loadQueue_.clear();
  loading_.clear();
  loadsIdle_.notify_all();
}

bool StorageRuntime::waitForLoads(std::chrono::milliseconds timeout) {
  std::unique_lock l(mutex_);
  return loadsIdle_.wait_for(l, timeout, [&] { return loadQueue_.empty() && !loaderBusy_; });
}

bool StorageRuntime::waitForVerdicts(uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock l(mutex_);
  return verdicts_.wait_for(l, timeout, [&] { return stats_.received >= count; });
}

std::optional<std::string> StorageRuntime::rememberedFailure(const std::string& key) {
  auto it = failureIndex_.find(key);
  if (it == failureIndex_.end()) return std::nullopt;
  if (Clock::now() - it->second->at >= settings_.loadFailureMemory) {
    failures_.erase(it->second);  // long enough ago: the next request tries again
    failureIndex_.erase(it);
    return std::nullopt;
  }
  return it->second->why;
}

void StorageRuntime::rememberFailure(const std::string& key, std::string why) {
  if (auto it = failureIndex_.find(key); it != failureIndex_.end()) {
    failures_.erase(it->second);
    failureIndex_.erase(it);
  }
  if (settings_.maxLoadFailures == 0) return;
  failures_.push_back({key, std::move(why), Clock::now()});
  failureIndex_[key] = std::prev(failures_.end());
  while (failures_.size() > settings_.maxLoadFailures) {
    failureIndex_.erase(failures_.front().key);
    failures_.pop_front();
  }
}

}  // namespace nearfaas::ndp
