// Faasm's function API in both generations, through the demo functions of
// func/faasm/ on an embedded node: upstream Faasm's (faasm/cpp: text output,
// faasmChainNamed with a command line, faasmAwaitCallOutput into a buffer it
// allocates; counter.h, array.h) and the NDP fork's (byte output, buffer
// awaits), from C and C++. Each test checks the whole output.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "faasm_demo_node.h"

namespace nearfaas {
namespace {

// A node with every faasm/* function of the API tests.
class FaasmApiTest : public test::FaasmDemoNode {
 protected:
  void SetUp() override {
    open({"hello", "echo_c", "argv", "chain_output", "chain_c", "fork_chain", "state_offset",
          "counter"});
  }
};

// faasmSetOutput(const char*, long) from C++ and C (the C macro).
TEST_F(FaasmApiTest, TextOutputFromCppAndC) {
  EXPECT_EQ(ok("hello", ""), "Hello Faasm!");
  EXPECT_EQ(ok("echo_c", "some input"), "echo: some input");
  EXPECT_EQ(ok("echo_c", ""), "echo: (none)");
}

// Upstream: faasmAwaitCallOutput(id, char**, int*) gets each whole output;
// faasmChainNamed(name, cmdline, ...) gives the callee its own arguments.
TEST_F(FaasmApiTest, UpstreamChainedOutputAndCommandLine) {
  EXPECT_EQ(ok("chain_output", "x"),
            "A 0 expected A\nB 0 longer expected B\nargv 0 alpha beta|x\n");
  // An output longer than any fixed buffer arrives whole.
  std::string big(5000, 'q');
  std::string out = ok("chain_output", big);
  EXPECT_EQ(out.size(), 56 + big.size());
  EXPECT_TRUE(out == "A 0 expected A\nB 0 longer expected B\nargv 0 alpha beta|" + big + "\n");
}

// The fork's forms: the named callee inherits the caller's (empty) command
// line, and a buffer await copies the output.
TEST_F(FaasmApiTest, ForkChainedOutput) {
  EXPECT_EQ(ok("fork_chain", "21"), "doubler 0 42\nargv 0 |21\n");
  EXPECT_EQ(ok("fork_chain", "-7"), "doubler 0 -14\nargv 0 |-7\n");
}

// Both generations' chaining calls in one C file (the C macros dispatch on
// argument count and type).
TEST_F(FaasmApiTest, BothGenerationsInOneCFile) {
  EXPECT_EQ(ok("chain_c", "c"), "upstream 0 one two|c\nfork 0 |c\n");
}

// State written whole, changed in place at an offset through two mappings of
// one chunk, and read back by offset, each in a call of its own.
TEST_F(FaasmApiTest, StateOffsetsSharedBetweenCalls) {
  EXPECT_EQ(ok("state_offset", "put hello shared world"), "put 18");
  EXPECT_EQ(ok("state_offset", "upper 6 6"), "hello SHARED world");
  EXPECT_EQ(ok("state_offset", "get 6 6"), "SHARED");
  EXPECT_EQ(ok("state_offset", "get 0 5"), "hello");
  auto value = node_->state().value("faasm", "faasm_state_offset");
  ASSERT_TRUE(value);
  Bytes whole((*value)->size());
  (*value)->read(0, whole);
  EXPECT_EQ(text(whole), "hello SHARED world");

  host::CallOutcome bad = call("state_offset", "get 15 9");
  EXPECT_EQ(bad.returnValue, 1);
}

// counter.h's AtomicInt and array.h's AsyncArray over shared state.
TEST_F(FaasmApiTest, CounterAndAsyncArray) {
  EXPECT_EQ(ok("counter", "reset"), "0");
  EXPECT_EQ(ok("counter", "add 2"), "2 [0 0 1 0]");
  EXPECT_EQ(ok("counter", "add 5"), "7 [0 1 1 0]");
  EXPECT_EQ(ok("counter", "add 6"), "13 [0 1 2 0]");
}

// Upstream reused the import name __faasm_chain_name with a command line; the
// host's is the fork's, so a module calling the raw upstream form is refused
// at upload with the import's name and both types (the API functions of
// faasm/core.h reach upstream's form through another import).
TEST_F(FaasmApiTest, RawUpstreamChainImportIsRefusedAtUpload) {
  auto wasm = readFile(test::guestPath("upstream_raw_chain"));
  ASSERT_TRUE(wasm) << wasm.error().message;
  auto added = node_->functions().add("faasm", "raw_chain", *wasm);
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().message.find("__faasm_chain_name"), std::string::npos)
      << added.error().message;
}

}  // namespace
}  // namespace nearfaas
