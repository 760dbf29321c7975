#include "host/wasi.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;

namespace {

// WASI errno values used here.
enum Errno : uint32_t {
  kSuccess = 0,
  kBadf = 8,
  kFault = 21,
  kInval = 28,
  kIo = 29,
  kNosys = 52,
  kSpipe = 70,
};

// Thrown by the memory helpers; turned into EFAULT at the WASI boundary.
struct BadPointer {};

WasiContext& context(Instance& inst) {
  auto* ctx = static_cast<WasiContext*>(inst.hostContext());
  if (!ctx) throw HostTrap(TrapKind::Host, "WASI called on an instance without a host context");
  return *ctx;
}

uint8_t* range(Instance& inst, uint64_t ptr, uint64_t len) {
  uint8_t* p = inst.memoryRange(ptr, len);
  if (!p) throw BadPointer{};
  return p;
}

template <typename T>
void store(Instance& inst, uint32_t ptr, T value) {
  std::memcpy(range(inst, ptr, sizeof(T)), &value, sizeof(T));
}

template <typename T>
T load(Instance& inst, uint32_t ptr) {
  T value;
  std::memcpy(&value, range(inst, ptr, sizeof(T)), sizeof(T));
  return value;
}

// Runs `body`, mapping a bad guest pointer to EFAULT.
template <typename Body>
uint32_t guarded(Body&& body) {
  try {
    return body();
  } catch (const BadPointer&) {
    return kFault;
  }
}

// argv/environ layout: pointer array at `ptrs`, NUL-terminated strings at `buf`.
uint32_t writeStrings(Instance& inst, const std::vector<std::string>& strs, uint32_t ptrs,
                      uint32_t buf) {
  return guarded([&] {
    uint32_t at = buf;
    for (size_t i = 0; i < strs.size(); ++i) {
      store<uint32_t>(inst, ptrs + static_cast<uint32_t>(4 * i), at);
      uint8_t* dst = range(inst, at, strs[i].size() + 1);
      std::memcpy(dst, strs[i].c_str(), strs[i].size() + 1);
      at += static_cast<uint32_t>(strs[i].size() + 1);
    }
    return uint32_t{kSuccess};
  });
}

uint32_t writeSizes(Instance& inst, const std::vector<std::string>& strs, uint32_t countPtr,
                    uint32_t sizePtr) {
  return guarded([&] {
    uint32_t total = 0;
    for (const auto& s : strs)
      total += static_cast<uint32_t>(s.size() + 1);
    store<uint32_t>(inst, countPtr, static_cast<uint32_t>(strs.size()));
    store<uint32_t>(inst, sizePtr, total);
    return uint32_t{kSuccess};
  });
}

uint32_t argsGet(Instance& inst, uint32_t argv, uint32_t buf) {
  return writeStrings(inst, context(inst).args, argv, buf);
}
uint32_t argsSizesGet(Instance& inst, uint32_t argc, uint32_t size) {
  return writeSizes(inst, context(inst).args, argc, size);
}
uint32_t environGet(Instance& inst, uint32_t envp, uint32_t buf) {
  return writeStrings(inst, context(inst).env, envp, buf);
}
uint32_t environSizesGet(Instance& inst, uint32_t count, uint32_t size) {
  return writeSizes(inst, context(inst).env, count, size);
}

bool clockFor(uint32_t id, clockid_t* out) {
  switch (id) {
    case 0:
      *out = CLOCK_REALTIME;
      return true;
    case 1:
      *out = CLOCK_MONOTONIC;
      return true;
    case 2:
      *out = CLOCK_PROCESS_CPUTIME_ID;
      return true;
    case 3:
      *out = CLOCK_THREAD_CPUTIME_ID;
      return true;
    default:
      return false;
  }
}

uint32_t clockResGet(Instance& inst, uint32_t id, uint32_t resPtr) {
  clockid_t clock;
  if (!clockFor(id, &clock)) return kInval;
  timespec ts{};
  clock_getres(clock, &ts);
  return guarded([&] {
    store<uint64_t>(inst, resPtr, uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec));
    return uint32_t{kSuccess};
  });
}

uint32_t clockTimeGet(Instance& inst, uint32_t id, uint64_t /*precision*/, uint32_t timePtr) {
  clockid_t clock;
  if (!clockFor(id, &clock)) return kInval;
  timespec ts{};
  clock_gettime(clock, &ts);
  return guarded([&] {
    store<uint64_t>(inst, timePtr, uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec));
    return uint32_t{kSuccess};
  });
}

uint32_t randomGet(Instance& inst, uint32_t buf, uint32_t len) {
  return guarded([&] {
    uint8_t* p = range(inst, buf, len);
    size_t done = 0;
    while (done < len) {
      ssize_t n = getrandom(p + done, len - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return uint32_t{kIo};
      done += static_cast<size_t>(n);
    }
    return uint32_t{kSuccess};
  });
}

// Upper bound on iovecs per call, as POSIX IOV_MAX.
constexpr uint32_t kMaxIovecs = 1024;

uint32_t fdWrite(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t iovsLen,
                 uint32_t nwrittenPtr) {
  if (fd != 1 && fd != 2) return kBadf;
  if (iovsLen > kMaxIovecs) return kInval;
  WasiContext& ctx = context(inst);
  return guarded([&] {
    uint64_t total = 0;
    for (uint32_t i = 0; i < iovsLen; ++i) {
      uint32_t base = load<uint32_t>(inst, iovs + 8 * i);
      uint32_t len = load<uint32_t>(inst, iovs + 8 * i + 4);
      const uint8_t* p = range(inst, base, len);
      if (len && ctx.output)
        ctx.output(static_cast<int>(fd), std::string_view(reinterpret_cast<const char*>(p), len));
      total += len;
    }
    store<uint32_t>(inst, nwrittenPtr, static_cast<uint32_t>(total));
    return uint32_t{kSuccess};
  });
}

uint32_t fdRead(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t iovsLen, uint32_t nreadPtr) {
  if (fd != 0) return kBadf;
  if (iovsLen > kMaxIovecs) return kInval;
  WasiContext& ctx = context(inst);
  return guarded([&] {
    uint64_t total = 0;
    for (uint32_t i = 0; i < iovsLen; ++i) {
      uint32_t base = load<uint32_t>(inst, iovs + 8 * i);
      uint32_t len = load<uint32_t>(inst, iovs + 8 * i + 4);
      uint8_t* p = range(inst, base, len);
      size_t n = ctx.input ? ctx.input(p, len) : 0;
      total += n;
      if (n < len) break;
    }
    store<uint32_t>(inst, nreadPtr, static_cast<uint32_t>(total));
    return uint32_t{kSuccess};
  });
}

uint32_t fdClose(Instance&, uint32_t fd) {
  return fd <= 2 ? kSuccess : kBadf;
}

uint32_t fdSeek(Instance&, uint32_t fd, uint64_t, uint32_t, uint32_t) {
  return fd <= 2 ? kSpipe : kBadf;
}

// fdstat: u8 filetype @0, u16 flags @2, u64 rights_base @8, u64 rights_inheriting @16.
uint32_t fdFdstatGet(Instance& inst, uint32_t fd, uint32_t statPtr) {
  if (fd > 2) return kBadf;
  constexpr uint8_t kCharacterDevice = 2;
  constexpr uint64_t kRightFdRead = 1 << 1, kRightFdWrite = 1 << 6;
  return guarded([&] {
    uint8_t* p = range(inst, statPtr, 24);
    std::memset(p, 0, 24);
    p[0] = kCharacterDevice;
    uint64_t rights = fd == 0 ? kRightFdRead : kRightFdWrite;
    std::memcpy(p + 8, &rights, 8);
    return uint32_t{kSuccess};
  });
}

uint32_t fdPrestatGet(Instance&, uint32_t, uint32_t) {
  return kBadf;
}
uint32_t fdPrestatDirName(Instance&, uint32_t, uint32_t, uint32_t) {
  return kBadf;
}
uint32_t schedYield(Instance&) {
  return kSuccess;
}

void procExit(Instance&, uint32_t code) {
  throw HostTrap(TrapKind::Exit, "", static_cast<int>(code));
}

}  // namespace

void passThroughStdio(WasiContext& ctx) {
  ctx.output = [](int fd, std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  };
  ctx.input = [](uint8_t* buf, size_t len) -> size_t {
    for (;;) {
      ssize_t n = ::read(0, buf, len);
      if (n < 0 && errno == EINTR) continue;
      return n < 0 ? 0 : static_cast<size_t>(n);
    }
  };
}

void registerWasi(wasm::HostRegistry& r) {
  const std::string m = kWasiModule;
  r.add<&argsGet>(m, "args_get");
  r.add<&argsSizesGet>(m, "args_sizes_get");
  r.add<&environGet>(m, "environ_get");
  r.add<&environSizesGet>(m, "environ_sizes_get");
  r.add<&clockResGet>(m, "clock_res_get");
  r.add<&clockTimeGet>(m, "clock_time_get");
  r.add<&randomGet>(m, "random_get");
  r.add<&fdWrite>(m, "fd_write");
  r.add<&fdRead>(m, "fd_read");
  r.add<&fdClose>(m, "fd_close");
  r.add<&fdSeek>(m, "fd_seek");
  r.add<&fdFdstatGet>(m, "fd_fdstat_get");
  r.add<&fdPrestatGet>(m, "fd_prestat_get");
  r.add<&fdPrestatDirName>(m, "fd_prestat_dir_name");
  r.add<&schedYield>(m, "sched_yield");
  r.add<&procExit>(m, "proc_exit");
}

}  // namespace nearfaas::host
