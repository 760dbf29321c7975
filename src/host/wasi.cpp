#include "host/wasi.h"

#include "host/wasi_abi.h"
#include "wasm/runtime.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;
using namespace wasi_abi;

namespace {

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
    return uint32_t{0};
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
    return uint32_t{0};
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
  if (!clockFor(id, &clock)) return code(WasiErrno::Inval);
  timespec ts{};
  clock_getres(clock, &ts);
  return guarded([&] {
    store<uint64_t>(inst, resPtr, uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec));
    return uint32_t{0};
  });
}

uint32_t clockTimeGet(Instance& inst, uint32_t id, uint64_t /*precision*/, uint32_t timePtr) {
  clockid_t clock;
  if (!clockFor(id, &clock)) return code(WasiErrno::Inval);
  timespec ts{};
  clock_gettime(clock, &ts);
  return guarded([&] {
    store<uint64_t>(inst, timePtr, uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec));
    return uint32_t{0};
  });
}

uint32_t randomGet(Instance& inst, uint32_t buf, uint32_t len) {
  return guarded([&] {
    uint8_t* p = range(inst, buf, len);
    size_t done = 0;
    while (done < len) {
      ssize_t n = getrandom(p + done, len - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return code(WasiErrno::Io);
      done += static_cast<size_t>(n);
    }
    return uint32_t{0};
  });
}

uint32_t schedYield(Instance&) {
  return 0;
}

uint32_t procRaise(Instance&, uint32_t) {
  return code(WasiErrno::Nosys);
}

// Longest a poll sleeps before it looks at the call's deadline again.
constexpr uint64_t kPollSliceNs = 10'000'000;
constexpr uint32_t kMaxSubscriptions = 4096;

// subscription (48 bytes): u64 userdata @0, u8 tag @8 (0 clock, 1 fd_read,
// 2 fd_write); clock: u32 id @16, u64 timeout @24, u16 flags @40 (1 =
// absolute); fd: u32 fd @16. event (32 bytes): u64 userdata @0, u16 error @8,
// u8 type @10, u64 nbytes @16, u16 flags @24.
//
// Descriptors are always ready (stdio and files in memory never block), so a
// poll with any descriptor returns at once; otherwise it sleeps until the
// earliest clock, but never past the call's deadline.
uint32_t pollOneoff(Instance& inst, uint32_t in, uint32_t out, uint32_t count,
                    uint32_t neventsPtr) {
  if (count == 0 || count > kMaxSubscriptions) return code(WasiErrno::Inval);
  return guarded([&] {
    WasiContext& ctx = context(inst);
    range(inst, in, uint64_t(count) * 48);
    range(inst, out, uint64_t(count) * 32);
    uint32_t events = 0;
    auto emit = [&](uint64_t userdata, WasiErrno error, uint8_t type) {
      uint8_t* e = range(inst, out + 32 * events, 32);
      std::memset(e, 0, 32);
      std::memcpy(e, &userdata, 8);
      uint16_t err = static_cast<uint16_t>(error);
      std::memcpy(e + 8, &err, 2);
      e[10] = type;
      ++events;
    };
    int64_t soonest = -1;  // index of the earliest clock subscription
    uint64_t soonestDelay = 0;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t sub = in + 48 * i;
      uint64_t userdata = load<uint64_t>(inst, sub);
      uint8_t tag = load<uint8_t>(inst, sub + 8);
      if (tag == 1 || tag == 2) {
        uint32_t fd = load<uint32_t>(inst, sub + 16);
        bool valid = fd <= 2 || (ctx.files && ctx.files->fdstat(fd));
        emit(userdata, valid ? WasiErrno::Success : WasiErrno::Badf, tag);
        continue;
      }
      if (tag != 0) return code(WasiErrno::Inval);
      clockid_t clock;
      if (!clockFor(load<uint32_t>(inst, sub + 16), &clock)) {
        emit(userdata, WasiErrno::Inval, 0);
        continue;
      }
      uint64_t timeout = load<uint64_t>(inst, sub + 24);
      if (load<uint16_t>(inst, sub + 40) & 1) {
        timespec ts{};
        clock_gettime(clock, &ts);
        uint64_t now = uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
        timeout = timeout > now ? timeout - now : 0;
      }
      if (soonest < 0 || timeout < soonestDelay) {
        soonest = i;
        soonestDelay = timeout;
      }
    }
    if (events == 0 && soonest >= 0) {
      uint64_t until = wasm::monotonicNowNs() + soonestDelay;
      for (uint64_t now = wasm::monotonicNowNs(); now < until && !wasm::deadlinePassed();
           now = wasm::monotonicNowNs()) {
        uint64_t slice = std::min(until - now, kPollSliceNs);
        timespec ts{static_cast<time_t>(slice / 1'000'000'000),
                    static_cast<long>(slice % 1'000'000'000)};
        nanosleep(&ts, nullptr);
      }
      emit(load<uint64_t>(inst, in + 48 * static_cast<uint32_t>(soonest)), WasiErrno::Success, 0);
    }
    store<uint32_t>(inst, neventsPtr, events);
    return uint32_t{0};
  });
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
  r.add<&schedYield>(m, "sched_yield");
  r.add<&pollOneoff>(m, "poll_oneoff");
  r.add<&procRaise>(m, "proc_raise");
  r.add<&procExit>(m, "proc_exit");
  registerWasiFiles(r);
}

}  // namespace nearfaas::host
