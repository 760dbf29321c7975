// A test fixture for func/faasm's demo functions: an embedded node with the
// given faasm/* functions added, and calls as user "faasm". Shared by the
// tests of the two Faasm API generations (faasm_api_test.cpp) and of Faasm's
// libc additions and runtime root (faasm_libc_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "sched/node.h"
#include "test_env.h"

namespace nearfaas::test {

class FaasmDemoNode : public ::testing::Test {
 protected:
  static std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

  // Opens the node and adds build/func/faasm/<f>.wasm for each f.
  void open(std::initializer_list<const char*> functions) {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = testCacheDir();
    c.scheduler.slots = 2;
    c.scheduler.callTimeout = std::chrono::seconds(30);
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
    for (const char* f : functions) {
      auto wasm =
          readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "faasm" / (std::string(f) + ".wasm"));
      ASSERT_TRUE(wasm) << wasm.error().message;
      ASSERT_TRUE(node_->functions().add("faasm", f, *wasm)) << f;
    }
  }

  host::CallOutcome call(const std::string& function, const std::string& input) {
    host::CallRequest r;
    r.user = "faasm";
    r.function = function;
    r.input.assign(input.begin(), input.end());
    return node_->scheduler().call(std::move(r));
  }
  // The output of a call that must succeed.
  std::string ok(const std::string& function, const std::string& input) {
    host::CallOutcome out = call(function, input);
    EXPECT_EQ(out.returnValue, 0) << function << "(" << input << "): " << text(out.output);
    return text(out.output);
  }

  TempDir dir_;
  std::unique_ptr<sched::Node> node_;
};

}  // namespace nearfaas::test
