// `nearfaas run --dir HOST[::GUEST]`: host directories preopened with WASI
// preview1 semantics (src/host/host_dirs.h), driven by guest/run_dir.c over a
// temporary directory. The expected values are preview1's own: errno and
// filetype numbers as its witx defines them (wasi-libc's <wasi/api.h>), and
// what its calls document (fd_pread/fd_pwrite "without using and updating the
// file descriptor's offset", rights "that apply to this file descriptor").
// Where preview1 names no errno, the source of the value is given beside it.
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/process.h"
#include "host/host_dirs.h"
#include "test_env.h"

namespace nearfaas {
namespace {

namespace fs = std::filesystem;

// WASI preview1 errno values.
constexpr int kSuccess = 0, kExist = 20, kInval = 28, kLoop = 32, kNoent = 44, kNotdir = 54,
              kNotempty = 55, kPerm = 63;
// An escape from the base directory: preview1 names no errno for it; this is
// its capability error, as CloudABI, uvwasi and FileView answer (wasmtime
// answers kPerm since it moved to cap-std; see host_dirs.h).
constexpr int kNotcapable = 76;
// WASI preview1 filetype values.
constexpr int kRegularFile = 4, kSymbolicLink = 7;

ProcessResult nearfaasRun(std::vector<std::string> args) {
  args.insert(args.begin(), {NEARFAAS_BINARY, "run", "--cache-dir", test::testCacheDir().string()});
  auto r = runProcess(args, std::chrono::minutes(5));
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : ProcessResult{};
}

std::string guest() {
  return test::guestPath("run_dir").string();
}

// The guest's "label=value" lines.
std::map<std::string, std::string> observations(const std::string& output) {
  std::map<std::string, std::string> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (size_t eq = line.find('='); eq != std::string::npos)
      out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

void expectObservations(const std::map<std::string, std::string>& got,
                        const std::map<std::string, std::string>& want) {
  for (const auto& [label, value] : want) {
    auto it = got.find(label);
    if (it == got.end())
      ADD_FAILURE() << "no observation '" << label << "'";
    else
      EXPECT_EQ(it->second, value) << label;
  }
}

std::string num(long v) {
  return std::to_string(v);
}

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::set<std::string> names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
}

struct timespec mtimeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtim;
}

// root/outside.txt next to the preopened root/sandbox, which holds in.txt,
// sub/, and symlinks: out and sub/up lead out by "..", abs by an absolute
// path, c1 -> c2 -> sub/c3 -> out of the directory, loop -> loop.
class RunDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    sandbox_ = root_ / "sandbox";
    fs::create_directories(sandbox_ / "sub");
    writeFile(root_ / "outside.txt", "secret\n");
    writeFile(sandbox_ / "in.txt", "inside\n");
    fs::create_symlink("../outside.txt", sandbox_ / "out");
    fs::create_symlink(root_ / "outside.txt", sandbox_ / "abs");
    fs::create_symlink("c2", sandbox_ / "c1");
    fs::create_symlink("sub/c3", sandbox_ / "c2");
    fs::create_symlink("../../outside.txt", sandbox_ / "sub" / "c3");
    fs::create_symlink("../../outside.txt", sandbox_ / "sub" / "up");
    fs::create_symlink("loop", sandbox_ / "loop");
  }

  test::TempDir tmp_;
  fs::path root_, sandbox_;
};

TEST_F(RunDir, EscapesFailAndChangeNothingOutside) {
  auto before = mtimeOf(root_ / "outside.txt");
  auto r = nearfaasRun({"--dir", sandbox_.string() + "::sandbox", guest(), "escapes",
                        (root_ / "outside.txt").string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto got = observations(r.output);
  expectObservations(got, {
                              {"open ../outside.txt", num(kNotcapable)},
                              // WASI paths are relative to their directory descriptor.
                              {"open /etc/passwd", num(kNotcapable)},
                              {"open host path", num(kNotcapable)},
                              {"open sub/../../outside.txt", num(kNotcapable)},
                              {"open out", num(kNotcapable)},
                              {"open abs", num(kNotcapable)},
                              {"open chain", num(kNotcapable)},
                              {"open sub/up", num(kNotcapable)},
                              // A symlink loop, and a final symlink without
                              // lookupflags::symlink_follow: ELOOP (POSIX O_NOFOLLOW; wasmtime's
                              // preview1_nofollow_errors).
                              {"open loop", num(kLoop)},
                              {"open out nofollow", num(kLoop)},
                              {"open sub/../in.txt", num(kSuccess)},
                              {"create through out", num(kNotcapable)},
                              {"create ../new.txt", num(kNotcapable)},
                              {"truncate through chain", num(kNotcapable)},
                              {"stat out", num(kNotcapable)},
                              // Without following, the symlink itself is inside.
                              {"lstat out", num(kSuccess)},
                              {"lstat out type", num(kSymbolicLink)},
                              {"stat ../outside.txt", num(kNotcapable)},
                              {"set times through out", num(kNotcapable)},
                              {"set times ../outside.txt", num(kNotcapable)},
                              {"mkdir ../newdir", num(kNotcapable)},
                              {"rmdir ..", num(kNotcapable)},
                              {"rmdir ../sandbox", num(kNotcapable)},
                              {"unlink ../outside.txt", num(kNotcapable)},
                              {"rename in.txt ../moved.txt", num(kNotcapable)},
                              {"rename ../outside.txt stolen.txt", num(kNotcapable)},
                              {"link ../outside.txt hard", num(kNotcapable)},
                              {"link in.txt ../hard", num(kNotcapable)},
                              // path_link does not follow (wasmtime's preview1_path_link).
                              {"link out follow", num(kInval)},
                              {"link out", num(kSuccess)},
                              {"open outlink", num(kNotcapable)},
                              // wasi-filesystem's path-resolution.md: an absolute target is
                              // "not permitted"; any other target may be made, and is checked
                              // when followed.
                              {"symlink /etc/passwd", num(kPerm)},
                              {"symlink ../outside.txt", num(kSuccess)},
                              {"open newrel", num(kNotcapable)},
                              {"symlink at ../x", num(kNotcapable)},
                              {"readlink out", num(kSuccess)},
                              {"readlink out text", "../outside.txt"},
                              {"readlink ../outside.txt", num(kNotcapable)},
                              {"open sub", num(kSuccess)},
                              // Confined to the base descriptor, not to the preopen.
                              {"open ../in.txt from sub", num(kNotcapable)},
                              {"fopen /etc/passwd fails", "1"},
                          });

  // Nothing outside changed.
  EXPECT_EQ(names(root_), (std::set<std::string>{"outside.txt", "sandbox"}));
  EXPECT_EQ(contents(root_ / "outside.txt"), "secret\n");
  auto after = mtimeOf(root_ / "outside.txt");
  EXPECT_EQ(after.tv_sec, before.tv_sec);
  EXPECT_EQ(after.tv_nsec, before.tv_nsec);
  EXPECT_EQ(contents(sandbox_ / "in.txt"), "inside\n");
  EXPECT_FALSE(fs::exists(sandbox_ / "stolen.txt"));
  EXPECT_FALSE(fs::exists(sandbox_ / "hard"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(sandbox_ / "newabs")));
  // The links that were allowed are symlinks, pointing where they were told.
  EXPECT_EQ(fs::read_symlink(sandbox_ / "newrel"), "../outside.txt");
  EXPECT_EQ(fs::read_symlink(sandbox_ / "outlink"), "../outside.txt");
}

TEST_F(RunDir, FilesInsideWork) {
  auto r = nearfaasRun({"--dir", sandbox_.string() + "::/data", guest(), "files", "/data"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto got = observations(r.output);
  expectObservations(got, {
                              {"create data.txt", num(kSuccess)},
                              {"write", num(kSuccess)},
                              {"written", "11"},
                              {"tell", "11"},
                              {"seek set", num(kSuccess)},
                              {"read", "hello world"},
                              {"pwrite", num(kSuccess)},
                              {"pwritten", "5"},
                              {"tell after pwrite", "11"},
                              {"pread", "hello"},
                              {"tell after pread", "11"},
                              {"seek end-5", "6"},
                              {"read at end-5", "WORLD"},
                              {"size", "11"},
                              {"type", num(kRegularFile)},
                              {"sync", num(kSuccess)},
                              {"open read-only", num(kSuccess)},
                              // An operation without its right.
                              {"write read-only", num(kNotcapable)},
                              {"read-only rights are the ones asked", "1"},
                              {"read-only filetype", num(kRegularFile)},
                              {"drop seek", num(kSuccess)},
                              {"seek without the right", num(kNotcapable)},
                              {"tell without the right", num(kNotcapable)},
                              // rights::fd_seek "implies rights::fd_tell".
                              {"tell with the seek right", num(kSuccess)},
                              // fd_fdstat_set_rights "can only remove rights".
                              {"add write", num(kNotcapable)},
                              {"open append", num(kSuccess)},
                              {"append flag", "1"},
                              {"append write", num(kSuccess)},
                              {"fopen read", "hello WORLD!"},
                              {"set size", num(kSuccess)},
                              {"size after set size", "4"},
                              {"open exclusive existing", num(kExist)},
                              {"open missing", num(kNoent)},
                              {"open file as directory", num(kNotdir)},
                              {"open narrow dir", num(kSuccess)},
                              // path_open's rights are bounded by the
                              // directory's inheriting rights.
                              {"open for write below narrow dir", num(kNotcapable)},
                              {"open for read below narrow dir", num(kSuccess)},
                              {"mkdir d", num(kSuccess)},
                              {"mkdir d again", num(kExist)},
                              {"readdir", ". .. a b "},
                              {"seekdir repeats", "1"},
                              {"fd_readdir small buffer", ". .. a b "},
                              {"rename d/a d/c", num(kSuccess)},
                              {"stat d/a", num(kNoent)},
                              {"stat d/c", num(kSuccess)},
                              {"stat d/c type", num(kRegularFile)},
                              {"rmdir d not empty", num(kNotempty)},
                              {"unlink d/c", num(kSuccess)},
                              {"unlink d/b", num(kSuccess)},
                              {"rmdir d", num(kSuccess)},
                              {"stat d", num(kNoent)},
                              {"symlink", num(kSuccess)},
                              {"readlink", num(kSuccess)},
                              {"readlink text", "data.txt"},
                              {"readlink short buffer used", "4"},
                              // POSIX readlink: EINVAL for a file that is not
                              // a symlink.
                              {"readlink not a link", num(kInval)},
                              {"read through link", "hello WORLD!"},
                              {"lstat link type", num(kSymbolicLink)},
                              {"stat link type", num(kRegularFile)},
                              {"link hard.txt", num(kSuccess)},
                              {"nlink", "2"},
                              {"link onto existing", num(kExist)},
                              {"set times", num(kSuccess)},
                              {"atim", "1000000123"},
                              {"mtim", "2000000456"},
                          });

  // What the guest did is on the host.
  EXPECT_EQ(contents(sandbox_ / "data.txt"), "hello WORLD!");
  EXPECT_EQ(contents(sandbox_ / "trunc.txt"), "0123");
  EXPECT_EQ(fs::read_symlink(sandbox_ / "link"), "data.txt");
  EXPECT_TRUE(fs::equivalent(sandbox_ / "hard.txt", sandbox_ / "data.txt"));
  EXPECT_FALSE(fs::exists(sandbox_ / "d"));
  auto m = mtimeOf(sandbox_ / "data.txt");
  EXPECT_EQ(m.tv_sec, 2);
  EXPECT_EQ(m.tv_nsec, 456);
}

TEST_F(RunDir, GuestNameIsHostPathOrGiven) {
  // --dir HOST: the guest knows the directory by HOST as given.
  auto same = nearfaasRun(
      {"--dir", sandbox_.string(), guest(), "preopens", (sandbox_ / "in.txt").string()});
  ASSERT_EQ(same.exitCode, 0) << same.output;
  expectObservations(observations(same.output),
                     {{"preopen 3", sandbox_.string()}, {"contents", "inside"}});

  // --dir HOST::GUEST, twice: fds 3 and 4 in order.
  auto named =
      nearfaasRun({"--dir", sandbox_.string() + "::/a", "--dir",
                   (sandbox_ / "sub").string() + "::/b", guest(), "preopens", "/a/in.txt"});
  ASSERT_EQ(named.exitCode, 0) << named.output;
  auto got = observations(named.output);
  expectObservations(got, {{"preopen 3", "/a"}, {"preopen 4", "/b"}, {"contents", "inside"}});
  EXPECT_EQ(got.count("preopen 5"), 0u);

  // GUEST ".": wasi-libc resolves the guest's relative paths there.
  auto dot = nearfaasRun({"--dir", sandbox_.string() + "::.", guest(), "preopens", "in.txt"});
  ASSERT_EQ(dot.exitCode, 0) << dot.output;
  expectObservations(observations(dot.output), {{"preopen 3", "."}, {"contents", "inside"}});
}

TEST_F(RunDir, MissingDirectoryIsAnError) {
  auto missing = nearfaasRun({"--dir", (root_ / "nope").string(), guest(), "tty"});
  EXPECT_EQ(missing.exitCode, 1) << missing.output;
  EXPECT_NE(missing.output.find("--dir"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find((root_ / "nope").string()), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("No such file or directory"), std::string::npos) << missing.output;
  auto file = nearfaasRun({"--dir", (root_ / "outside.txt").string(), guest(), "tty"});
  EXPECT_EQ(file.exitCode, 1) << file.output;
  EXPECT_NE(file.output.find("Not a directory"), std::string::npos) << file.output;
}

TEST(RunDirCli, HelpDocumentsDir) {
  auto r = runProcess({NEARFAAS_BINARY, "run", "--help"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exitCode, 0);
  EXPECT_NE(r->output.find("--dir"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("HOST[::GUEST]"), std::string::npos) << r->output;
}

// wasi-libc's isatty is true only for a character device without seek/tell
// rights: stdio is one when the process's stdio is a terminal.
TEST(RunDirCli, StdioIsATerminalOnlyWhenItIsOne) {
  auto piped = nearfaasRun({guest(), "tty"});
  EXPECT_EQ(piped.exitCode, 0) << piped.output;
  EXPECT_NE(piped.output.find("isatty=0 0 0"), std::string::npos) << piped.output;

  // Everything the child needs is made before the fork: it only calls exec.
  std::string cache = test::testCacheDir().string(), wasm = guest();
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(NEARFAAS_BINARY, NEARFAAS_BINARY, "run", "--cache-dir", cache.c_str(), wasm.c_str(),
          "tty", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string output;
  auto deadline = test::Clock::now() + test::kWaitBound;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    int ready = ::poll(&p, 1, 1000);
    if (ready > 0) {
      char buf[256];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the child closed the terminal
      output.append(buf, static_cast<size_t>(n));
    }
    if (test::Clock::now() > deadline) break;
  }
  ::close(master);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("isatty=1 1 1"), std::string::npos) << output;
}

// dup (F_DUPFD) on host directories: POSIX semantics, one open file.
TEST_F(RunDir, DupSharesTheOpenFile) {
  using namespace host::wasi_bits;
  auto dirs = host::HostDirs::open({{sandbox_.string(), "s"}});
  ASSERT_TRUE(dirs) << dirs.error().message;
  host::FileSystem& files = **dirs;
  auto fd = files.open(3, kLookupSymlinkFollow, "in.txt", 0, kRightRead | kRightSeek, 0, 0);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*fd, 4u);
  auto copy = files.dup(*fd, 10);
  ASSERT_TRUE(copy);
  EXPECT_EQ(*copy, 10u);
  uint8_t buf[3];
  ASSERT_EQ(files.read(*fd, buf), 3u);
  EXPECT_EQ(std::string(buf, buf + 3), "ins");
  ASSERT_EQ(files.read(*copy, buf), 3u);  // the offset is shared
  EXPECT_EQ(std::string(buf, buf + 3), "ide");
  EXPECT_EQ(files.fdstat(*copy)->rightsBase, files.fdstat(*fd)->rightsBase);
  ASSERT_TRUE(files.close(*fd));
  ASSERT_EQ(files.pread(*copy, buf, 0), 3u);  // the copy outlives the original
  EXPECT_EQ(std::string(buf, buf + 3), "ins");
  auto low = files.dup(*copy, 0);  // the lowest free descriptor from 3 up
  ASSERT_TRUE(low);
  EXPECT_EQ(*low, 4u);
  EXPECT_FALSE(files.preopenName(*low));
  auto ofRoot = files.dup(3, 0);  // a copy of a preopen is not a preopen
  ASSERT_TRUE(ofRoot);
  EXPECT_FALSE(files.preopenName(*ofRoot));
  EXPECT_EQ(files.preopenName(3), "s");
  EXPECT_EQ(files.dup(99, 0).error(), host::WasiErrno::Badf);
}

}  // namespace
}  // namespace nearfaas
