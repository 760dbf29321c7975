// WASI preview1 as used by C programs built with wasi-libc.
#include "host/wasi.h"

#include <gtest/gtest.h>

#include "test_env.h"

namespace nearfaas::host {
namespace {

using wasm::TrapKind;
using wasm::Value;

struct Captured {
  std::string out, err;
  std::string in;
  size_t inPos = 0;
  WasiContext ctx;
  Captured() {
    ctx.output = [this](int fd, std::string_view b) { (fd == 1 ? out : err).append(b); };
    ctx.input = [this](uint8_t* buf, size_t len) {
      size_t n = std::min(len, in.size() - inPos);
      std::memcpy(buf, in.data() + inPos, n);
      inPos += n;
      return n;
    };
  }
};

const wasm::HostRegistry& wasiRegistry() {
  static const wasm::HostRegistry r = [] {
    wasm::HostRegistry reg;
    registerWasi(reg);
    return reg;
  }();
  return r;
}

// Runs _start of a guest; returns the trap (Exit for proc_exit) or nullopt.
std::optional<wasm::Trap> runStart(const std::string& guest, Captured& io,
                                   uint32_t maxPages = wasm::kDefaultMaxMemoryPages) {
  auto module = test::loadGuest(guest, &wasiRegistry());
  if (!module) return wasm::Trap{TrapKind::BadCall, "load failed"};
  wasm::Linker linker;
  linker.addHost(wasiRegistry());
  wasm::InstanceOptions opts;
  opts.hostContext = &io.ctx;
  opts.maxMemoryPages = maxPages;
  auto inst = linker.instantiate(module, opts);
  if (!inst) return wasm::Trap{TrapKind::BadCall, inst.error().message};
  auto r = (*inst)->call("_start");
  if (r) return std::nullopt;
  return r.error();
}

TEST(Wasi, ArgsEnvStdioAndExitCode) {
  Captured io;
  io.ctx.args = {"hello.wasm", "7", "two words"};
  io.ctx.env = {"GREETING=hi there", "OTHER=1"};
  io.in = "a line of input\nsecond line\n";
  auto trap = runStart("hello", io);
  ASSERT_TRUE(trap);
  EXPECT_EQ(trap->kind, TrapKind::Exit);
  EXPECT_EQ(trap->exitCode, 7);
  EXPECT_EQ(io.out,
            "argc=3\nargv[1]=7\nargv[2]=two words\nGREETING=hi there\nstdin=a line of input\n");
  EXPECT_EQ(io.err, "to stderr\n");
}

TEST(Wasi, ZeroExitReturnsNormally) {
  Captured io;
  io.ctx.args = {"hello.wasm"};
  auto trap = runStart("hello", io);
  EXPECT_FALSE(trap) << trap->describe();
  EXPECT_NE(io.out.find("GREETING=(unset)"), std::string::npos);
}

TEST(Wasi, BadPointersGiveEfaultNotACrash) {
  auto module = test::loadGuest("wasi_bad_pointer", &wasiRegistry());
  ASSERT_TRUE(module);
  wasm::Linker linker;
  linker.addHost(wasiRegistry());
  Captured io;
  wasm::InstanceOptions opts;
  opts.hostContext = &io.ctx;
  auto inst = linker.instantiate(module, opts);
  ASSERT_TRUE(inst) << inst.error().message;
  for (const char* f : {"bad_iovec", "bad_buffer"}) {
    auto r = (*inst)->call(f);
    ASSERT_TRUE(r) << f << ": " << r.error().describe();
    EXPECT_EQ(r->at(0).i32, 21u) << f;  // EFAULT
  }
  EXPECT_EQ(io.out, "");
}

TEST(Wasi, MallocFailsCleanlyUnderTheMemoryLimit) {
  Captured io;
  io.ctx.args = {"memory_hog.wasm"};
  auto trap = runStart("memory_hog", io, /*maxPages=*/256);  // 16 MiB
  EXPECT_FALSE(trap) << trap->describe();
  unsigned mib = 0;
  ASSERT_EQ(std::sscanf(io.out.c_str(), "allocated %u MiB", &mib), 1) << io.out;
  EXPECT_GE(mib, 8u);
  EXPECT_LT(mib, 16u);
}

TEST(Wasi, DeepRecursionInCIsStackExhaustion) {
  Captured io;
  io.ctx.args = {"deep_recursion.wasm"};
  auto trap = runStart("deep_recursion", io);
  ASSERT_TRUE(trap);
  // C code recurses on two stacks: wasm2c's native frames (guard page ->
  // StackExhausted) and the shadow stack in linear memory for address-taken
  // locals, 64 KiB here, which runs below address 0 first and faults
  // (OutOfBounds). Either way the guest stops and the process survives.
  EXPECT_TRUE(trap->kind == TrapKind::StackExhausted || trap->kind == TrapKind::OutOfBounds)
      << trap->describe();
}

}  // namespace
}  // namespace nearfaas::host
