// The guest SDK as a user meets it: the imports list generated from the host
// registry, Faasm's link rule (runtime-provided names may stay undefined, any
// other undefined symbol fails naming itself), `nearfaas func build` with
// several sources, -I, -D and libraries, the toolchain file on a multi-file
// CMake project (tests/sdk/project) with a Faasm-NDP-style local ndpapi.h,
// the SDK's own sysroot, and the libc additions (tests/guest/libc_*.c), each
// function run on a real node with its output checked.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "base/process.h"
#include "host/faasm.h"
#include "sched/node.h"
#include "test_env.h"

namespace nearfaas {
namespace {

const std::filesystem::path kProject =
    std::filesystem::path(NEARFAAS_TEST_SOURCE_DIR) / "sdk/project";

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

ProcessResult run(const std::vector<std::string>& argv) {
  auto r = runProcess(argv, std::chrono::minutes(5));
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : ProcessResult{};
}

// `nearfaas func build ARGS...`
ProcessResult funcBuild(std::vector<std::string> args) {
  args.insert(args.begin(), {NEARFAAS_BINARY, "func", "build"});
  return run(args);
}

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

// The imports list is exactly what the host registry provides in module env.
TEST(SdkImports, ListIsTheHostRegistrysEnvFunctions) {
  std::ifstream in(NEARFAAS_SDK_IMPORTS);
  ASSERT_TRUE(in) << NEARFAAS_SDK_IMPORTS;
  std::vector<std::string> listed;
  for (std::string line; std::getline(in, line);)
    listed.push_back(line);
  wasm::HostRegistry registry;
  host::registerFaasmHost(registry);
  EXPECT_EQ(listed, registry.fields("env"));
  for (const char* name : {"__faasm_read_input", "__faasmndp_getMmap", "__faasmndp_put",
                           "__faasmndp_storageCallAndAwait1", "mmap", "munmap", "__sbrk"})
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name;
  // WASI functions come from their own module and are not in the list.
  EXPECT_EQ(std::find(listed.begin(), listed.end(), "fd_write"), listed.end());
}

// A node in a temp dir that runs the functions the tests build.
class SdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sched::NodeConfig c;
    c.dataDir = dir_.path() / "data";
    c.codeCacheDir = test::testCacheDir();
    c.scheduler.slots = 1;
    c.scheduler.callTimeout = std::chrono::seconds(30);
    c.faaslet.files.maxScratchBytes = 1 << 20;
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
  }
  void add(const std::string& name, const std::filesystem::path& wasm) {
    auto bytes = readFile(wasm);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto r = node_->functions().add("alice", name, *bytes);
    ASSERT_TRUE(r) << name << ": " << r.error().message;
  }
  // The output of a successful call (or the error, which fails the test).
  std::string call(const std::string& name, const std::string& input) {
    host::CallRequest r;
    r.user = "alice";
    r.function = name;
    r.input.assign(input.begin(), input.end());
    auto out = node_->scheduler().call(std::move(r));
    EXPECT_EQ(out.returnValue, 0) << name << "(" << input << "): " << out.error << "\n"
                                  << out.stderrText;
    return text(out.output);
  }
  void putObject(const std::string& key, const std::string& value) {
    ASSERT_TRUE(node_->objects().put("alice", key, Bytes(value.begin(), value.end())));
  }
  std::string object(const std::string& key) {
    auto v = node_->objects().get("alice", key);
    return v ? text(*v) : "(missing)";
  }
  // The Faasm-NDP-style wordcount over an object, and the object it stores.
  void checkWordcount(const std::string& name) {
    putObject("doc", "a bb ccc dddd bb\n eeeee");
    EXPECT_EQ(call(name, "doc 3"), "doc: 3 words");
    EXPECT_EQ(object("doc.count"), "3");
    EXPECT_EQ(call(name, "doc 1"), "doc: 6 words");
  }
  test::TempDir dir_;
  std::unique_ptr<sched::Node> node_;
};

// The multi-file project through the toolchain file, once for the tests
// below: two functions sharing a helper library and its include directory,
// the NDP one with its own attribute-less ndpapi.h.
const std::filesystem::path& projectBuild() {
  static test::TempDir dir;
  static bool built = [] {
    auto cfg = run({NEARFAAS_CMAKE, "-S", kProject.string(), "-B", dir.path().string(), "-G",
                    "Ninja", "-DCMAKE_MAKE_PROGRAM=" NEARFAAS_NINJA,
                    "-DCMAKE_TOOLCHAIN_FILE=" NEARFAAS_SDK_TOOLCHAIN});
    EXPECT_EQ(cfg.exitCode, 0) << cfg.output;
    auto b = run({NEARFAAS_CMAKE, "--build", dir.path().string()});
    EXPECT_EQ(b.exitCode, 0) << b.output;
    return cfg.exitCode == 0 && b.exitCode == 0;
  }();
  EXPECT_TRUE(built);
  return dir.path();
}

TEST_F(SdkTest, ToolchainFileBuildsAMultiFileProjectOfFunctions) {
  const auto& b = projectBuild();
  add("shout", b / "shout.wasm");
  add("wordcount", b / "wordcount.wasm");
  EXPECT_EQ(call("shout", "hello, world"), "cmake: HELLO, WORLD");
  checkWordcount("wordcount");
}

TEST_F(SdkTest, FuncBuildTakesSourcesIncludeDirsAndDefines) {
  auto wc = dir_.path() / "wc.wasm";
  auto r = funcBuild(
      {(kProject / "ndp/wordcount.cpp").string(), (kProject / "common/textutil.cpp").string(), "-I",
       (kProject / "ndp/api").string(), "-I" + (kProject / "include").string(), "-o", wc.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  add("wc", wc);
  checkWordcount("wc");

  auto shout = dir_.path() / "shout.wasm";
  r = funcBuild({(kProject / "shout.cpp").string(), (kProject / "common/textutil.cpp").string(),
                 "-I", (kProject / "include").string(), "-D", "SHOUT_PREFIX=\"cli: \"", "-o",
                 shout.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  add("shout", shout);
  EXPECT_EQ(call("shout", "quiet"), "cli: QUIET");
}

TEST_F(SdkTest, FuncBuildLinksLibrariesAndArchives) {
  const auto& b = projectBuild();
  // -L DIR -l NAME
  auto shout = dir_.path() / "shout.wasm";
  auto r =
      funcBuild({(kProject / "shout.cpp").string(), "-I", (kProject / "include").string(), "-L",
                 b.string(), "-l", "textutil", "-DSHOUT_PREFIX=\"lib: \"", "-o", shout.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  add("shout", shout);
  EXPECT_EQ(call("shout", "abc"), "lib: ABC");
  // An archive path among the inputs.
  auto wc = dir_.path() / "wc.wasm";
  r = funcBuild({(kProject / "ndp/wordcount.cpp").string(), (b / "libtextutil.a").string(), "-I",
                 (kProject / "include").string(), "-I", (kProject / "ndp/api").string(), "-o",
                 wc.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  add("wc", wc);
  checkWordcount("wc");
}

TEST(SdkLink, AnUndefinedSymbolTheHostDoesNotProvideFailsNamingIt) {
  test::TempDir dir;
  auto src = dir.path() / "f.c";
  std::ofstream(src) << "int __faasm_no_such_host_function(int);\n"
                        "int main(void) { return __faasm_no_such_host_function(1); }\n";
  auto r = funcBuild({src.string(), "-o", (dir.path() / "f.wasm").string()});
  EXPECT_NE(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "undefined symbol: __faasm_no_such_host_function")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "f.wasm"));
}

TEST(SdkSysroot, AHeaderWasmLacksIsNotFoundAndNeverTheHosts) {
  test::TempDir dir;
  // execinfo.h and sys/ptrace.h exist in the host's /usr/include (glibc),
  // not for wasm32-wasi.
  for (const char* header : {"execinfo.h", "sys/ptrace.h"}) {
    auto src = dir.path() / "f.c";
    std::ofstream(src) << "#include <" << header << ">\nint main(void) { return 0; }\n";
    auto r = funcBuild({src.string(), "-o", (dir.path() / "f.wasm").string()});
    EXPECT_NE(r.exitCode, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "'" + std::string(header) + "' file not found")) << r.output;
  }
  // The headers Faasm's libc adds resolve inside the SDK's sysroot.
  auto src = dir.path() / "g.cpp";
  std::ofstream(src) << "#include <pwd.h>\n#include <dlfcn.h>\n#include <sys/mman.h>\n"
                        "#include <sys/wait.h>\n#include <signal.h>\n#include <fcntl.h>\n"
                        "#include <string>\nint main() { return getpwuid(1000) ? 0 : 1; }\n";
  auto r = funcBuild({src.string(), "--flag=-H", "-o", (dir.path() / "g.wasm").string()});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  // -H lists every header opened: none outside the sysroot, the SDK and clang.
  std::istringstream lines(r.output);
  int headers = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '.') continue;
    headers++;
    auto path = line.substr(line.find(' ') + 1);
    EXPECT_TRUE(path.starts_with(NEARFAAS_SDK_SYSROOT) || path.starts_with("/usr/lib/llvm-19/"))
        << path;
  }
  EXPECT_GT(headers, 10);
}

TEST_F(SdkTest, LibcAdditions) {
  add("libc", std::filesystem::path(NEARFAAS_FUNC_DIR) / "test/libc.wasm");
  // 100000 bytes are two 64 KiB pages.
  EXPECT_EQ(call("libc", "mmap"), "mmap ok top=1 aligned=1 grown=131072 data=ok unmap=0");
  EXPECT_EQ(call("libc", "mremap"), "inplace=1 text=kept stuck=1 errno=ENOMEM moved=1 text=low");
  EXPECT_EQ(call("libc", "clock"), "clock ok=1 per_sec=1000000000");
  EXPECT_EQ(call("libc", "pwd"),
            "uid=1000 gid=1000 euid=1000 name=faasm pwuid=1000 pwgid=1000 dir=/home/faasm/ "
            "byname=faasm other=NULL nobody=NULL r=0 copy=faasm");
  EXPECT_EQ(call("libc", "process"),
            "pid=23 fork=-1:ENOSYS execve=-1:ENOSYS waitpid=-1:ECHILD wait=-1:ECHILD "
            "kill=-1:ENOSYS pipe=-1:ENOSYS");
  EXPECT_EQ(call("libc", "dlfcn"),
            "handle=NULL error=dlopen: NearFaaS functions cannot load shared modules (no "
            "dynamic linking): libfoo.so again=NULL");
}

// dup, dup2 and F_DUPFD link only against a runtime providing
// env.__wasi_fd_dup (added to the host separately): until then the build
// fails naming that symbol.
TEST_F(SdkTest, DupOnTheHostsFdDup) {
  auto wasm = dir_.path() / "dup.wasm";
  auto r =
      funcBuild({std::string(NEARFAAS_TEST_SOURCE_DIR) + "/guest/libc_dup.c", "-o", wasm.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  add("dup", wasm);
  EXPECT_EQ(call("dup", ""), "dup=1 dup2=7 dupfd>=10=1 text=abc");
}

}  // namespace
}  // namespace nearfaas
