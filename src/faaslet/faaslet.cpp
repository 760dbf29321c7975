#include "faaslet/faaslet.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include "host/guest_memory.h"

namespace nearfaas::faaslet {

using host::CallOutcome;
using host::CallRequest;
using wasm::TrapKind;
using wasm::ValType;
using wasm::Value;

namespace {

constexpr const char* kCtors = "__wasm_call_ctors";
constexpr const char* kZygote = "_faasm_zygote";
constexpr const char* kStart = "_start";
constexpr const char* kArgv0 = "function.wasm";  // as Faasm names the program

// Whether the embedder must run the constructors before the snapshot: the
// module exports them and its `_start` (if any) does not call them itself.
// Faasm's and this project's crt leave them to the runtime; wasi-libc's
// standard crt runs them in `_start`, which then must run on every call.
bool runtimeRunsCtors(const wasm::ModuleInfo& info) {
  const wasm::ExportDesc* ctors = info.findExport(kCtors);
  if (!ctors || ctors->kind != wasm::ExternKind::Func) return false;
  const wasm::ExportDesc* start = info.findExport(kStart);
  if (!start) return true;
  const auto& calls = start->directCalls;
  return std::find(calls.begin(), calls.end(), ctors->index) == calls.end();
}

}  // namespace

Result<std::shared_ptr<ProtoFaaslet>> ProtoFaaslet::create(wasm::ModuleHandle module,
                                                           const wasm::HostRegistry& host,
                                                           const FaasletSettings& settings) {
  const wasm::ModuleInfo& info = module->info();
  if (info.memories.empty()) return fail("function has no linear memory");
  wasm::Linker linker;
  linker.addHost(host);
  // Initialisation runs with a context that has no call: Faasm host functions
  // trap there, WASI works (constructors may print, into a captured buffer:
  // never onto the server's own stdout, and never reading its stdin).
  host::CallContext initContext;
  initContext.captureStdio(settings.maxStdioBytes);
  initContext.args = {kArgv0};
  wasm::InstanceOptions io;
  io.maxMemoryPages = settings.maxMemoryPages;
  io.startTimeout = settings.initTimeout;
  io.hostContext = &initContext;
  // What the guest said on stderr, for the error when initialisation fails.
  auto saidOnStderr = [&initContext] {
    constexpr size_t kShown = 1024;
    std::string said = initContext.capturedStderr.take();
    if (said.empty()) return said;
    if (said.size() > kShown) said = said.substr(0, kShown) + "...";
    return "; stderr: " + said;
  };
  auto inst = linker.instantiate(module, io);
  if (!inst) return fail("cannot instantiate the function: ", inst.error().message, saidOnStderr());
  wasm::CallOptions co;
  co.timeout = settings.initTimeout;
  if (runtimeRunsCtors(info)) {
    if (auto r = (*inst)->call(kCtors, {}, co); !r)
      return fail("constructors failed: ", r.error().describe(), saidOnStderr());
  }
  if (const auto* z = info.findExport(kZygote); z && z->kind == wasm::ExternKind::Func) {
    auto r = (*inst)->call(kZygote, {}, co);
    if (!r) return fail("zygote failed: ", r.error().describe(), saidOnStderr());
    if (!r->empty() && r->at(0).type == ValType::I32 && r->at(0).i32 != 0)
      return fail("zygote returned ", static_cast<int32_t>(r->at(0).i32), saidOnStderr());
  }
  (*inst)->setHostContext(nullptr);
  auto snap = wasm::InstanceSnapshot::capture(**inst);
  if (!snap) return std::unexpected(snap.error());
  std::shared_ptr<ProtoFaaslet> proto(new ProtoFaaslet());
  proto->snapshot_ = std::move(*snap);
  proto->settings_ = settings;
  return proto;
}

Result<std::unique_ptr<Faaslet>> ProtoFaaslet::newFaaslet() const {
  std::unique_ptr<Faaslet> f(new Faaslet());
  f->proto_ = shared_from_this();
  f->context_.fileView.setLimits(settings_.files);
  // Where the guest's stdio goes is fixed per Faaslet, not set per call.
  if (settings_.captureStdio) {
    f->context_.captureStdio(settings_.maxStdioBytes);
  } else {
    host::passThroughStdio(f->context_);
  }
  auto inst = snapshot_->restore(&f->context_, settings_.maxMemoryPages);
  if (!inst) return std::unexpected(inst.error());
  f->instance_ = std::move(*inst);
  return f;
}

Faaslet::~Faaslet() {
  context_.clearCall();
}

Result<void> Faaslet::reset() {
  context_.clearCall();
  return proto_->snapshot().reset(*instance_);
}

CallOutcome Faaslet::execute(const CallRequest& request, std::chrono::milliseconds timeout) {
  CallOutcome out;
  wasm::CallOptions co;
  co.timeout = timeout;
  if (request.timeout.count() > 0 && (timeout.count() == 0 || request.timeout < timeout))
    co.timeout = request.timeout;
  co.maxMemoryPages = request.maxMemoryPages;
  wasm::CallResult r;
  if (request.funcPtr == 0) {
    r = instance_->call(kStart, {}, co);
    if (r) out.returnValue = 0;
  } else {
    // A function pointer: with extra arguments, one i32 per argument;
    // otherwise no argument, or one taken from the input as a number.
    std::vector<Value> args;
    if (!request.extraArgs.empty()) {
      for (int32_t a : request.extraArgs)
        args.push_back(Value::makeI32(static_cast<uint32_t>(a)));
    }
    auto attempt = [&](std::vector<Value> a) {
      wasm::FuncType t;
      t.params.assign(a.size(), ValType::I32);
      t.results = {ValType::I32};
      return instance_->callTableEntry(0, static_cast<uint32_t>(request.funcPtr), t, a, co);
    };
    if (!request.extraArgs.empty()) {
      r = attempt(args);
    } else {
      r = attempt({});
      if (!r && r.error().kind == TrapKind::IndirectCallTypeMismatch) {
        int32_t n = 0;
        const auto* b = reinterpret_cast<const char*>(request.input.data());
        std::from_chars(b, b + request.input.size(), n);
        r = attempt({Value::makeI32(static_cast<uint32_t>(n))});
      }
    }
    if (r) out.returnValue = static_cast<int32_t>(r->at(0).i32);
  }
  if (!r) {
    if (r.error().kind == TrapKind::Exit) {
      out.returnValue = r.error().exitCode;
    } else {
      out.returnValue = 1;
      out.error = r.error().describe();
    }
  }
  return out;
}

Result<CallOutcome> Faaslet::run(uint64_t callId, const CallRequest& request,
                                 host::CallServices* services, std::chrono::milliseconds timeout) {
  return run(callId, request, services, timeout, Continuation{});
}

Result<CallOutcome> Faaslet::run(uint64_t callId, const CallRequest& request,
                                 host::CallServices* services, std::chrono::milliseconds timeout,
                                 const Continuation& continuation) {
  if (continuation.startFrom) {
    if (auto r = applyDelta(*continuation.startFrom); !r) {
      (void)reset();
      return std::unexpected(r.error());
    }
  }
  context_.clearCall();
  context_.callId = callId;
  context_.request = &request;
  context_.services = services;
  if (services) {
    context_.fileView.bindShared(&services->objects());
    context_.fileView.bindLocalShared(services->localSharedFiles());
  }
  context_.args = {kArgv0};
  for (const auto& a : request.cmdline)
    context_.args.push_back(a);
  CallOutcome out = execute(request, timeout);
  if (continuation.deltaOut) {
    auto d = takeDelta(continuation.startFrom);
    if (!d) {
      (void)reset();
      return std::unexpected(d.error());
    }
    *continuation.deltaOut = std::move(*d);
  }
  out.output = std::move(context_.outputData);
  out.outputSet = context_.outputSet;
  out.stdoutText = context_.capturedStdout.take();
  out.stderrText = context_.capturedStderr.take();
  if (auto r = reset(); !r) return std::unexpected(r.error());
  return out;
}

// ---- Memory deltas ----------------------------------------------------------

namespace {

// /proc/self/pagemap: one 64-bit entry per virtual page.
constexpr uint64_t kPagemapPresent = 1ull << 63;
constexpr uint64_t kPagemapSwapped = 1ull << 62;
constexpr uint64_t kPagemapFileOrShared = 1ull << 61;

bool allZero(const uint8_t* p, size_t n) {
  return p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0;
}

int pagemapFd() {
  static int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

Result<MemoryDelta> Faaslet::takeDelta(const MemoryDelta* since) {
  constexpr uint32_t P = MemoryDelta::kPageBytes;
  wasm_rt_memory_t* mem = instance_->memory(0);
  MemoryDelta d;
  d.memoryBytes = mem->size;
  uint32_t npages = mem->size / P;
  if (npages) {
    int fd = pagemapFd();
    if (fd < 0) return fail("memory delta: cannot open /proc/self/pagemap");
    std::vector<uint64_t> entries(npages);
    uint64_t first = reinterpret_cast<uintptr_t>(mem->data) / P;
    ssize_t want = static_cast<ssize_t>(npages * sizeof(uint64_t));
    if (pread(fd, entries.data(), want, static_cast<off_t>(first * sizeof(uint64_t))) != want)
      return fail("memory delta: reading pagemap failed: ", std::strerror(errno));
    // Regions that are not the function's own memory contents.
    std::vector<std::pair<uint32_t, uint32_t>> excluded = context_.ndpRegions;
    size_t sinceAt = 0;
    const uint64_t imageBytes = uint64_t{proto_->snapshot().memoryPages()} * wasm::kWasmPageSize;
    // The snapshot's memory image, which the other side restores too: a
    // written page that holds exactly its image contents again (a scratch
    // buffer zeroed before it was freed) need not travel. Without the
    // mapping every written page goes, as before.
    struct Image {
      void* at = MAP_FAILED;
      size_t bytes = 0;
      ~Image() {
        if (at != MAP_FAILED) munmap(at, bytes);
      }
    } image;
    if (imageBytes > 0) {
      image.bytes = static_cast<size_t>(imageBytes);
      image.at =
          mmap(nullptr, image.bytes, PROT_READ, MAP_SHARED, proto_->snapshot().memoryFd(), 0);
    }
    for (size_t i = 0; i < npages; ++i) {
      uint64_t e = entries[i];
      // Written pages of the private snapshot mapping are anonymous copies;
      // untouched or only read ones are still the memfd's (file) pages.
      bool dirty = (e & kPagemapSwapped) || ((e & kPagemapPresent) && !(e & kPagemapFileOrShared));
      if (!dirty) continue;
      uint64_t at = uint64_t{i} * P;
      // Past the image the snapshot is all zero, and reading never-written
      // memory there can make a page present (the shared zero page, or on
      // some kernels a fresh page): a page that is still all zero is left out.
      if (at >= imageBytes && !(e & kPagemapSwapped) && allZero(mem->data + at, P)) continue;
      bool skip = std::any_of(excluded.begin(), excluded.end(), [&](const auto& r) {
        return at >= r.first && at + P <= uint64_t{r.first} + r.second;
      });
      if (skip) continue;
      bool inSince = false;
      if (since) {
        // since->pages ascend, and so does i: advance a cursor.
        while (sinceAt < since->pages.size() && since->pages[sinceAt] < i)
          ++sinceAt;
        inSince = sinceAt < since->pages.size() && since->pages[sinceAt] == i;
        if (inSince &&
            std::memcmp(mem->data + at, since->data.data() + sinceAt * size_t{P}, P) == 0)
          continue;
      }
      // A page `since` did not bring is its image contents on the other side.
      if (!inSince && image.at != MAP_FAILED && at + P <= imageBytes &&
          std::memcmp(mem->data + at, static_cast<const uint8_t*>(image.at) + at, P) == 0)
        continue;
      d.pages.push_back(static_cast<uint32_t>(i));
      d.data.insert(d.data.end(), mem->data + at, mem->data + at + P);
    }
  }
  const auto& globals = instance_->info().globals;
  for (uint32_t g = 0; g < globals.size(); ++g)
    if (globals[g].isMutable) d.globals.push_back(*instance_->global(g));
  return d;
}

Result<void> Faaslet::applyDelta(const MemoryDelta& delta) {
  constexpr uint32_t P = MemoryDelta::kPageBytes;
  if (delta.data.size() != delta.pages.size() * size_t{P})
    return fail("memory delta: ", delta.pages.size(), " pages but ", delta.data.size(), " bytes");
  wasm_rt_memory_t* mem = instance_->memory(0);
  if (delta.memoryBytes > mem->size) {
    uint32_t grow = (delta.memoryBytes - mem->size + wasm::kWasmPageSize - 1) /
                    static_cast<uint32_t>(wasm::kWasmPageSize);
    if (wasm_rt_grow_memory(mem, grow) == UINT32_MAX)
      return fail("memory delta: cannot grow memory to ", delta.memoryBytes, " bytes");
  }
  for (size_t i = 0; i < delta.pages.size(); ++i) {
    uint64_t at = uint64_t{delta.pages[i]} * P;
    if (at + P > mem->size) return fail("memory delta: page ", delta.pages[i], " out of range");
    std::memcpy(mem->data + at, delta.data.data() + i * P, P);
  }
  const auto& globals = instance_->info().globals;
  size_t next = 0;
  for (uint32_t g = 0; g < globals.size(); ++g) {
    if (!globals[g].isMutable) continue;
    if (next >= delta.globals.size() || !instance_->setGlobal(g, delta.globals[next++]))
      return fail("memory delta: globals do not match the function");
  }
  if (next != delta.globals.size()) return fail("memory delta: globals do not match the function");
  return {};
}

}  // namespace nearfaas::faaslet
