// Faasm's libc additions and runtime root, through func/faasm's demos on an
// embedded node: mmap of anonymous memory and of files, stat/read of the
// runtime root's /etc files and getpwuid, the working directory and Faasm's
// default environment, dup/dup2/F_DUPFD, and a faasm:// shared file written
// and then read.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "faasm_demo_node.h"
#include "host/file_view.h"

namespace nearfaas {
namespace {

// The contents of runtime-root file /etc/<name> as the runtime serves it.
std::string runtimeFile(const std::string& name) {
  for (const auto& f : host::FileView::runtimeRootFiles())
    if (f.name == name) return std::string(f.contents);
  ADD_FAILURE() << "no runtime-root file " << name;
  return "";
}

class FaasmLibcTest : public test::FaasmDemoNode {
 protected:
  void SetUp() override { open({"mmap", "runtime_root", "env_cwd", "dup", "shared_file"}); }
};

TEST_F(FaasmLibcTest, MmapAnonymousAndFiles) {
  std::string hosts = runtimeFile("hosts");
  EXPECT_EQ(ok("mmap", "mapped file contents"),
            "anon 10 regions ok\nfile 20 mapped file contents\nhosts " +
                std::to_string(hosts.size()) + " same\n");
}

TEST_F(FaasmLibcTest, RuntimeRootStatReadAndUser) {
  std::string expected;
  for (const char* name : {"hosts", "passwd", "resolv.conf"}) {
    std::string contents = runtimeFile(name);
    expected += std::string("== /etc/") + name + " " + std::to_string(contents.size()) + " file\n" +
                contents;
  }
  expected += "write /etc/hosts: refused\n";
  // The function's user is passwd's entry with uid 1000 (Faasm's).
  std::istringstream passwd(runtimeFile("passwd"));
  std::string line, user;
  while (std::getline(passwd, line)) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, ':');)
      fields.push_back(f);
    if (fields.size() >= 6 && fields[2] == "1000") user = fields[0] + " 1000 " + fields[5];
  }
  ASSERT_FALSE(user.empty());
  expected += "user " + user + "\n";
  EXPECT_EQ(ok("runtime_root", ""), expected);
}

// Faasm's working directory and the variables its runtime sets
// (WasmEnvironment in Faasm's runtime).
TEST_F(FaasmLibcTest, WorkingDirectoryAndFaasmEnvironment) {
  EXPECT_EQ(ok("env_cwd",
               "MKL_NUM_THREADS OPENBLAS_NUM_THREADS PYTHON_PATH PYTHONHOME PYTHONHASHSEED "
               "PYTHONNOUSERSITE PYTHONWASM NOT_SET_BY_FAASM"),
            "cwd /\nMKL_NUM_THREADS=1\nOPENBLAS_NUM_THREADS=1\nPYTHON_PATH=/\nPYTHONHOME=/\n"
            "PYTHONHASHSEED=0\nPYTHONNOUSERSITE=on\nPYTHONWASM=1\nNOT_SET_BY_FAASM unset\n");
}

// Duplicates share one offset: 4 bytes through each of 4 descriptors are 16
// consecutive bytes, and the last copy still reads after the others close.
TEST_F(FaasmLibcTest, DupDup2AndFDupfdShareTheFile) {
  std::string hosts = runtimeFile("hosts");
  ASSERT_GE(hosts.size(), 20u);
  EXPECT_EQ(ok("dup", ""),
            "a>fd 1 b=10 1 c>=20 1\n" + hosts.substr(0, 16) + "|" + hosts.substr(16, 4));
}

// Global read, local write: a later call on this host reads what an earlier
// one wrote.
TEST_F(FaasmLibcTest, SharedFileWriteThenRead) {
  EXPECT_EQ(ok("shared_file", "read"), "missing");
  EXPECT_EQ(ok("shared_file", "write This is some dummy content"),
            "wrote 26: This is some dummy content");
  EXPECT_EQ(ok("shared_file", "read"), "This is some dummy content");
  EXPECT_EQ(ok("shared_file", "write second"), "wrote 6: second");
  EXPECT_EQ(ok("shared_file", "read"), "second");
}

}  // namespace
}  // namespace nearfaas
