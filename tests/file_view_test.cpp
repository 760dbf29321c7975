// The WASI file view on its own: path resolution and escapes, read-only
// shared files, POSIX-like semantics of the scratch tree, limits, reset;
// the runtime root, dup, and the node's local copies of shared files (global
// read, local write) used by several views on several threads.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "host/file_view.h"
#include "host/local_shared_files.h"
#include "storage/buckets.h"
#include "storage/directory_store.h"
#include "test_env.h"

namespace nearfaas::host {
namespace {

using namespace wasi_bits;
constexpr uint32_t kRoot = FileView::kRootFd;
constexpr uint64_t kRW = kRightRead | kRightWrite;

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Bytes owned(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

class FileViewUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::DirectoryStore::open(dir_.path() / "store");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->put(storage::kSharedFilesBucket, "lib/data.txt", bytes("shared data")));
    view_.bindShared(store_.get());
  }
  // Creates `path` with `contents`; the fd stays open.
  uint32_t create(std::string_view path, std::string_view contents) {
    auto fd = view_.open(kRoot, path, kOpenCreate | kOpenTruncate, kRW, 0);
    EXPECT_TRUE(fd) << path;
    if (!fd) return 0;
    EXPECT_EQ(view_.write(*fd, bytes(contents)).value_or(0), contents.size());
    return *fd;
  }
  std::string readAll(uint32_t fd) {
    std::string out(1024, '\0');
    auto n = view_.pread(fd, {reinterpret_cast<uint8_t*>(out.data()), out.size()}, 0);
    EXPECT_TRUE(n);
    out.resize(n.value_or(0));
    return out;
  }
  WasiErrno openError(std::string_view path, uint16_t oflags = 0, uint64_t rights = kRightRead) {
    auto fd = view_.open(kRoot, path, oflags, rights, 0);
    return fd ? WasiErrno::Success : fd.error();
  }

  test::TempDir dir_;
  std::unique_ptr<storage::ObjectStore> store_;
  FileView view_;
};

TEST_F(FileViewUnitTest, OnlyTheRootIsPreopened) {
  EXPECT_EQ(view_.preopenName(kRoot), "/");
  EXPECT_FALSE(view_.preopenName(4));
  EXPECT_FALSE(view_.preopenName(0));
  auto root = view_.list(kRoot);
  ASSERT_TRUE(root);
  std::vector<std::string> names;
  for (const auto& e : *root)
    names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "etc", "shared", "tmp"}));
}

TEST_F(FileViewUnitTest, EscapesAreRefused) {
  for (std::string_view path : {"..", "../x", "tmp/../..", "tmp/../../etc/passwd", "shared/../../x",
                                "a/b/../../../x", "faasm://../../x", "./../x"}) {
    SCOPED_TRACE(std::string(path));
    EXPECT_EQ(openError(path), WasiErrno::Notcapable);
    EXPECT_EQ(openError(path, kOpenCreate, kRW), WasiErrno::Notcapable);
    EXPECT_FALSE(view_.stat(kRoot, path));
    EXPECT_FALSE(view_.createDirectory(kRoot, path));
  }
  // Absolute paths are not relative to any descriptor.
  EXPECT_EQ(openError("/etc/passwd"), WasiErrno::Notcapable);
  EXPECT_EQ(openError("/"), WasiErrno::Notcapable);
  // Names the host would resolve somewhere else mean nothing here.
  EXPECT_EQ(openError("etc/shadow"), WasiErrno::Noent);  // /etc is the runtime root's own
  EXPECT_EQ(openError("proc/self/environ"), WasiErrno::Noent);
  EXPECT_EQ(openError(std::string_view("a\0b", 3), kOpenCreate, kRW), WasiErrno::Inval);
  EXPECT_EQ(openError(std::string(300, 'n'), kOpenCreate, kRW), WasiErrno::Nametoolong);
  EXPECT_EQ(openError(""), WasiErrno::Noent);
  // ".." inside the tree is fine, from the root and from an opened directory.
  create("tmp/f", "inside");
  EXPECT_TRUE(view_.stat(kRoot, "tmp/../tmp/./f"));
  auto tmp = view_.open(kRoot, "tmp", kOpenDirectory, kRightRead, 0);
  ASSERT_TRUE(tmp);
  EXPECT_TRUE(view_.stat(*tmp, "f"));
  EXPECT_TRUE(view_.stat(*tmp, "../shared/lib/data.txt"));
  EXPECT_EQ(view_.stat(*tmp, "../..").error(), WasiErrno::Notcapable);
  // Nothing was written to the host: the store holds only what SetUp put.
  auto keys = store_->list(storage::kSharedFilesBucket, "");
  EXPECT_EQ(*keys, std::vector<std::string>{"lib/data.txt"});
  size_t hostEntries = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir_.path());
       it != std::filesystem::recursive_directory_iterator(); ++it)
    ++hostEntries;
  EXPECT_EQ(hostEntries, 4u);  // store/, store/.shared/, .../lib/, .../data.txt
}

TEST_F(FileViewUnitTest, SharedFilesAreReadOnlyViews) {
  auto fd = view_.open(kRoot, "shared/lib/data.txt", 0, kRightRead, 0);
  ASSERT_TRUE(fd);
  EXPECT_EQ(readAll(*fd), "shared data");
  EXPECT_EQ(view_.write(*fd, bytes("x")).error(), WasiErrno::Badf);
  EXPECT_EQ(view_.setSize(*fd, 0).error(), WasiErrno::Badf);
  auto alias = view_.open(kRoot, "faasm://lib/data.txt", 0, kRightRead, 0);
  ASSERT_TRUE(alias);
  EXPECT_EQ(readAll(*alias), "shared data");
  EXPECT_EQ(openError("shared/lib/data.txt", 0, kRW), WasiErrno::Rofs);
  EXPECT_EQ(openError("shared/lib/data.txt", kOpenTruncate), WasiErrno::Rofs);
  EXPECT_EQ(openError("shared/lib/new", kOpenCreate, kRW), WasiErrno::Rofs);
  EXPECT_EQ(view_.unlinkFile(kRoot, "shared/lib/data.txt").error(), WasiErrno::Rofs);
  EXPECT_EQ(view_.createDirectory(kRoot, "shared/d").error(), WasiErrno::Rofs);
  EXPECT_EQ(view_.removeDirectory(kRoot, "shared/lib").error(), WasiErrno::Rofs);
  EXPECT_EQ(view_.removeDirectory(kRoot, "shared").error(), WasiErrno::Busy);
  EXPECT_EQ(view_.rename(kRoot, "shared/lib/data.txt", kRoot, "tmp/x").error(), WasiErrno::Rofs);
  create("tmp/mine", "m");
  EXPECT_EQ(view_.rename(kRoot, "tmp/mine", kRoot, "shared/mine").error(), WasiErrno::Rofs);
  EXPECT_EQ(view_.setTimes(kRoot, "shared/lib/data.txt", 1, 1, kSetAtim).error(), WasiErrno::Rofs);
  auto st = view_.stat(kRoot, "shared/lib");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->type, FileType::Directory);
  EXPECT_EQ(view_.stat(kRoot, "shared/lib/data.txt")->size, 11u);
  EXPECT_EQ(openError("shared/lib/missing"), WasiErrno::Noent);
  EXPECT_EQ(openError("shared/lib/data.txt", kOpenDirectory), WasiErrno::Notdir);
  EXPECT_EQ(*store_->get(storage::kSharedFilesBucket, "lib/data.txt"), owned("shared data"));
}

TEST_F(FileViewUnitTest, ScratchFilesBehaveLikePosix) {
  uint32_t fd = create("tmp/a", "hello");
  // The descriptor's offset moves with reads and writes; seek and append.
  ASSERT_TRUE(view_.seek(fd, 0, 0));
  uint8_t buf[3];
  EXPECT_EQ(view_.read(fd, buf).value_or(0), 3u);
  EXPECT_EQ(view_.seek(fd, 0, 1).value_or(0), 3u);
  EXPECT_EQ(view_.seek(fd, -10, 1).error(), WasiErrno::Inval);
  EXPECT_EQ(view_.seek(fd, 0, 9).error(), WasiErrno::Inval);
  ASSERT_TRUE(view_.setFdFlags(fd, kFdAppend));
  ASSERT_TRUE(view_.seek(fd, 0, 0));
  ASSERT_TRUE(view_.write(fd, bytes("!")));
  EXPECT_EQ(readAll(fd), "hello!");
  // A write past the end leaves a zero-filled hole.
  ASSERT_TRUE(view_.setFdFlags(fd, 0));
  ASSERT_TRUE(view_.pwrite(fd, bytes("z"), 8));
  EXPECT_EQ(readAll(fd), std::string("hello!\0\0z", 9));
  // An unlinked file stays readable through its descriptor.
  ASSERT_TRUE(view_.unlinkFile(kRoot, "tmp/a"));
  EXPECT_EQ(view_.stat(kRoot, "tmp/a").error(), WasiErrno::Noent);
  EXPECT_EQ(readAll(fd), std::string("hello!\0\0z", 9));
  ASSERT_TRUE(view_.close(fd));
  EXPECT_EQ(view_.close(fd).error(), WasiErrno::Badf);
  EXPECT_EQ(view_.read(fd, buf).error(), WasiErrno::Badf);

  // Exclusive create, directories, rename rules.
  create("tmp/b", "b");
  EXPECT_EQ(openError("tmp/b", kOpenCreate | kOpenExclusive, kRW), WasiErrno::Exist);
  EXPECT_EQ(openError("tmp/b/c", kOpenCreate, kRW), WasiErrno::Notdir);
  EXPECT_EQ(openError("tmp", 0, kRW), WasiErrno::Isdir);
  ASSERT_TRUE(view_.createDirectory(kRoot, "d"));
  EXPECT_EQ(view_.createDirectory(kRoot, "d").error(), WasiErrno::Exist);
  ASSERT_TRUE(view_.createDirectory(kRoot, "d/e"));
  EXPECT_EQ(view_.rename(kRoot, "d", kRoot, "d/e/f").error(), WasiErrno::Inval);
  EXPECT_EQ(view_.rename(kRoot, "tmp/b", kRoot, "d").error(), WasiErrno::Isdir);
  EXPECT_EQ(view_.rename(kRoot, "d/e", kRoot, "tmp/b").error(), WasiErrno::Notdir);
  EXPECT_EQ(view_.rename(kRoot, "tmp", kRoot, "d").error(), WasiErrno::Notempty);
  EXPECT_EQ(view_.rename(kRoot, "tmp/nothing", kRoot, "x").error(), WasiErrno::Noent);
  ASSERT_TRUE(view_.rename(kRoot, "tmp/b", kRoot, "d/e/b"));
  EXPECT_EQ(readAll(*view_.open(kRoot, "d/e/b", 0, kRightRead, 0)), "b");
  EXPECT_EQ(view_.removeDirectory(kRoot, "d").error(), WasiErrno::Notempty);
  EXPECT_EQ(view_.unlinkFile(kRoot, "d").error(), WasiErrno::Isdir);
  EXPECT_EQ(view_.removeDirectory(kRoot, "d/e/b").error(), WasiErrno::Notdir);
  EXPECT_EQ(view_.removeDirectory(kRoot, ".").error(), WasiErrno::Busy);
  EXPECT_EQ(view_.rename(kRoot, "tmp", kRoot, "shared").error(), WasiErrno::Busy);
  EXPECT_TRUE(view_.exists(kRoot, "d/e/b"));
  EXPECT_EQ(view_.exists(kRoot, "d/e/zz").error(), WasiErrno::Noent);
}

TEST_F(FileViewUnitTest, DescriptorsRenumberAndCount) {
  uint32_t a = create("a", "A");
  uint32_t b = create("b", "B");
  EXPECT_EQ(a, 4u);  // lowest free after the root
  EXPECT_EQ(b, 5u);
  ASSERT_TRUE(view_.renumber(a, b));
  EXPECT_EQ(readAll(b), "A");
  EXPECT_EQ(view_.fdstat(a).error(), WasiErrno::Badf);
  EXPECT_EQ(view_.renumber(a, b).error(), WasiErrno::Badf);
  EXPECT_EQ(create("c", "C"), 4u);
  auto st = view_.fdstat(b);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->type, FileType::RegularFile);
  EXPECT_EQ(view_.fdstat(kRoot)->rightsInheriting, kAllRights);
}

TEST_F(FileViewUnitTest, LimitsHold) {
  FileViewLimits limits;
  limits.maxScratchBytes = 1000;
  limits.maxScratchNodes = 6;  // root, tmp and 4 more
  limits.maxOpenFiles = 3;
  limits.maxSharedFileBytes = 5;
  view_.setLimits(limits);
  uint32_t fd = create("f", std::string(600, 'x'));
  EXPECT_EQ(view_.pwrite(fd, bytes(std::string(500, 'y')), 600).error(), WasiErrno::Nospc);
  EXPECT_EQ(view_.pwrite(fd, bytes("y"), 1ull << 40).error(), WasiErrno::Nospc);
  EXPECT_EQ(view_.setSize(fd, 1001).error(), WasiErrno::Nospc);
  EXPECT_EQ(view_.scratchBytes(), 600u);
  ASSERT_TRUE(view_.setSize(fd, 100));
  EXPECT_EQ(view_.scratchBytes(), 100u);
  // Open descriptors.
  ASSERT_TRUE(view_.open(kRoot, "tmp", 0, kRightRead, 0));
  ASSERT_TRUE(view_.open(kRoot, "tmp", 0, kRightRead, 0));
  EXPECT_EQ(openError("tmp"), WasiErrno::Mfile);
  ASSERT_TRUE(view_.close(fd));
  // Nodes: 3 exist (root, tmp, f).
  ASSERT_TRUE(view_.createDirectory(kRoot, "d1"));
  ASSERT_TRUE(view_.createDirectory(kRoot, "d2"));
  ASSERT_TRUE(view_.createDirectory(kRoot, "d3"));
  EXPECT_EQ(view_.createDirectory(kRoot, "d4").error(), WasiErrno::Nospc);
  ASSERT_TRUE(view_.removeDirectory(kRoot, "d3"));
  EXPECT_TRUE(view_.createDirectory(kRoot, "d4"));
  // Shared files larger than the limit are refused when opened.
  EXPECT_EQ(openError("shared/lib/data.txt"), WasiErrno::Fbig);
}

TEST_F(FileViewUnitTest, ResetForgetsEverything) {
  create("tmp/a", "a");
  ASSERT_TRUE(view_.createDirectory(kRoot, "d"));
  ASSERT_TRUE(view_.close(kRoot));
  EXPECT_FALSE(view_.preopenName(kRoot));
  view_.reset();
  EXPECT_EQ(view_.preopenName(kRoot), "/");
  EXPECT_EQ(view_.fdstat(4).error(), WasiErrno::Badf);
  EXPECT_EQ(view_.stat(kRoot, "tmp/a").error(), WasiErrno::Noent);
  EXPECT_EQ(view_.stat(kRoot, "d").error(), WasiErrno::Noent);
  EXPECT_EQ(view_.scratchBytes(), 0u);
  EXPECT_TRUE(view_.stat(kRoot, "shared/lib/data.txt"));
}

TEST_F(FileViewUnitTest, ReadFileByName) {
  create("tmp/x", "scratch");
  EXPECT_EQ(*view_.readFile("/tmp/x"), owned("scratch"));
  EXPECT_EQ(view_.readFile("faasm://lib/data.txt")->size(), 11u);
  EXPECT_EQ(view_.readFile("/shared/lib/data.txt")->size(), 11u);
  EXPECT_EQ(view_.readFile("/../etc/passwd").error(), WasiErrno::Notcapable);
  EXPECT_EQ(view_.readFile("/tmp").error(), WasiErrno::Isdir);
  // Without a store, /shared is empty.
  view_.bindShared(nullptr);
  EXPECT_EQ(view_.readFile("/shared/lib/data.txt").error(), WasiErrno::Noent);
}

TEST_F(FileViewUnitTest, RuntimeRootIsReadOnly) {
  std::vector<std::string> names = {".", ".."};
  for (const auto& f : FileView::runtimeRootFiles()) {
    SCOPED_TRACE(std::string(f.name));
    std::string path = "etc/" + std::string(f.name);
    names.push_back(std::string(f.name));
    auto st = view_.stat(kRoot, path);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->type, FileType::RegularFile);
    EXPECT_EQ(st->size, f.contents.size());
    auto fd = view_.open(kRoot, path, 0, kRightRead, 0);
    ASSERT_TRUE(fd);
    EXPECT_EQ(readAll(*fd), f.contents);
    EXPECT_EQ(view_.write(*fd, bytes("x")).error(), WasiErrno::Badf);
    EXPECT_EQ(view_.setTimes(*fd, 1, 1, kSetMtim).error(), WasiErrno::Acces);
    EXPECT_EQ(openError(path, 0, kRW), WasiErrno::Acces);
    EXPECT_EQ(openError(path, kOpenTruncate), WasiErrno::Acces);
    EXPECT_EQ(view_.unlinkFile(kRoot, path).error(), WasiErrno::Acces);
    EXPECT_EQ(view_.rename(kRoot, path, kRoot, "tmp/x").error(), WasiErrno::Acces);
    EXPECT_EQ(*view_.readFile("/" + path), owned(f.contents));
  }
  std::sort(names.begin() + 2, names.end());
  auto etc = view_.open(kRoot, "etc", kOpenDirectory, kRightRead, 0);
  ASSERT_TRUE(etc);
  std::vector<std::string> listed;
  auto entries = view_.list(*etc);
  ASSERT_TRUE(entries);
  for (const auto& e : *entries)
    listed.push_back(e.name);
  EXPECT_EQ(listed, names);
  EXPECT_EQ(openError("etc/new", kOpenCreate, kRW), WasiErrno::Acces);
  EXPECT_EQ(view_.createDirectory(kRoot, "etc/d").error(), WasiErrno::Acces);
  EXPECT_EQ(view_.removeDirectory(kRoot, "etc").error(), WasiErrno::Acces);
  EXPECT_EQ(view_.rename(kRoot, "etc", kRoot, "etc2").error(), WasiErrno::Acces);
  create("tmp/f", "f");
  EXPECT_EQ(view_.rename(kRoot, "tmp/f", kRoot, "etc/hosts").error(), WasiErrno::Acces);
  ASSERT_TRUE(view_.createDirectory(kRoot, "d"));
  EXPECT_EQ(view_.rename(kRoot, "d", kRoot, "etc").error(), WasiErrno::Acces);
  // The runtime root is not scratch space, and comes back after reset.
  EXPECT_EQ(view_.scratchBytes(), 1u);
  view_.reset();
  EXPECT_TRUE(view_.stat(kRoot, "etc/hosts"));
}

TEST_F(FileViewUnitTest, DupSharesTheOpenFileDescription) {
  uint32_t fd = create("tmp/a", "0123456789");
  ASSERT_TRUE(view_.seek(fd, 0, 0));
  auto copy = view_.dup(fd, 0);
  ASSERT_TRUE(copy);
  EXPECT_EQ(*copy, fd + 1);  // the lowest free descriptor
  uint8_t buf[3];
  ASSERT_EQ(view_.read(fd, buf).value_or(0), 3u);
  ASSERT_EQ(view_.read(*copy, buf).value_or(0), 3u);
  EXPECT_EQ(std::string(buf, buf + 3), "345");
  EXPECT_EQ(view_.seek(fd, 0, 1).value_or(0), 6u);
  // Flags belong to the description too.
  ASSERT_TRUE(view_.setFdFlags(*copy, kFdAppend));
  EXPECT_EQ(view_.fdstat(fd)->flags, kFdAppend);
  ASSERT_TRUE(view_.write(fd, bytes("!")));
  EXPECT_EQ(view_.seek(*copy, 0, 1).value_or(0), 11u);
  // Closing one leaves the other open.
  ASSERT_TRUE(view_.close(fd));
  EXPECT_EQ(readAll(*copy), "0123456789!");
  // minFd: the lowest free at or above it; fd (now free) is below 10.
  auto high = view_.dup(*copy, 10);
  ASSERT_TRUE(high);
  EXPECT_EQ(*high, 10u);
  EXPECT_EQ(view_.dup(*copy, 10).value_or(0), 11u);
  EXPECT_EQ(view_.dup(*copy, 0).value_or(0), fd);
  // The root directory duplicates as a directory, but is preopened only once.
  auto root = view_.dup(kRoot, 0);
  ASSERT_TRUE(root);
  EXPECT_FALSE(view_.preopenName(*root));
  EXPECT_TRUE(view_.stat(*root, "tmp/a"));
  EXPECT_EQ(view_.dup(99, 0).error(), WasiErrno::Badf);
  EXPECT_EQ(view_.dup(1, 0).error(), WasiErrno::Badf);  // stdio is not the view's
  FileViewLimits limits;
  limits.maxOpenFiles = 5;
  view_.setLimits(limits);
  EXPECT_EQ(view_.dup(*copy, 0).error(), WasiErrno::Mfile);
}

// Two Faaslets' views on one node: global read, local write.
class LocalSharedTest : public FileViewUnitTest {
 protected:
  void SetUp() override {
    FileViewUnitTest::SetUp();
    view_.bindLocalShared(&local_);
    other_.bindShared(store_.get());
    other_.bindLocalShared(&local_);
  }
  std::string readVia(FileView& v, std::string_view path) {
    auto b = v.readFile(path);
    return b ? std::string(b->begin(), b->end()) : "errno " + std::to_string(int(b.error()));
  }
  static constexpr uint64_t kLimit = 1000;
  LocalSharedFiles local_{LocalSharedLimits{kLimit, 8}};
  FileView other_;
};

TEST_F(LocalSharedTest, WritesAreSeenByOtherViewsAndNeverReachTheStore) {
  // Overwrite an original, through either name.
  auto fd = view_.open(kRoot, "faasm://lib/data.txt", kOpenTruncate, kRW, 0);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(view_.write(*fd, bytes("local")));
  EXPECT_EQ(readVia(other_, "/shared/lib/data.txt"), "local");
  EXPECT_EQ(other_.stat(kRoot, "shared/lib/data.txt")->size, 5u);
  // A write without truncation keeps the rest of the original.
  ASSERT_TRUE(store_->put(storage::kSharedFilesBucket, "lib/two", bytes("abcdef")));
  auto two = view_.open(kRoot, "shared/lib/two", 0, kRW, 0);
  ASSERT_TRUE(two);
  ASSERT_TRUE(view_.write(*two, bytes("XY")));
  EXPECT_EQ(readVia(other_, "faasm://lib/two"), "XYcdef");
  // Create, mkdir, list, rename, unlink, times.
  ASSERT_TRUE(view_.createDirectory(kRoot, "faasm://dir"));
  EXPECT_EQ(view_.createDirectory(kRoot, "faasm://dir").error(), WasiErrno::Exist);
  auto made = view_.open(kRoot, "faasm://dir/new", kOpenCreate | kOpenExclusive, kRW, 0);
  ASSERT_TRUE(made);
  ASSERT_TRUE(view_.write(*made, bytes("new")));
  EXPECT_EQ(openError("faasm://nodir/x", kOpenCreate, kRW), WasiErrno::Noent);
  ASSERT_TRUE(other_.rename(kRoot, "shared/lib/two", kRoot, "shared/dir/two"));
  EXPECT_EQ(other_.rename(kRoot, "shared/dir", kRoot, "shared/dir2").error(), WasiErrno::Xdev);
  EXPECT_EQ(other_.rename(kRoot, "shared/dir/new", kRoot, "tmp/new").error(), WasiErrno::Xdev);
  auto names = [](FileView& v, std::string_view dir) {
    auto fd = v.open(kRoot, dir, kOpenDirectory, kRightRead, 0);
    std::string out;
    auto entries = v.list(*fd);
    for (const auto& e : *entries)
      if (e.name != "." && e.name != "..") out += (out.empty() ? "" : ",") + e.name;
    (void)v.close(*fd);
    return out;
  };
  EXPECT_EQ(names(view_, "shared"), "dir,lib");
  EXPECT_EQ(names(view_, "shared/dir"), "new,two");
  EXPECT_EQ(names(view_, "shared/lib"), "data.txt");
  EXPECT_EQ(readVia(view_, "faasm://dir/two"), "XYcdef");
  ASSERT_TRUE(view_.setTimes(kRoot, "shared/dir/new", 7, 9, kSetAtim | kSetMtim));
  EXPECT_EQ(other_.stat(kRoot, "shared/dir/new")->mtim, 9u);
  ASSERT_TRUE(other_.unlinkFile(kRoot, "shared/lib/data.txt"));
  EXPECT_EQ(view_.stat(kRoot, "shared/lib").error(), WasiErrno::Noent);  // nothing left in it
  EXPECT_EQ(readVia(view_, "faasm://lib/data.txt"), "errno 44");
  EXPECT_EQ(view_.removeDirectory(kRoot, "shared/dir").error(), WasiErrno::Notempty);
  // The descriptor opened before the unlink still reads the copy.
  EXPECT_EQ(readAll(*fd), "local");
  // The store never changed.
  EXPECT_EQ(*store_->get(storage::kSharedFilesBucket, "lib/data.txt"), owned("shared data"));
  EXPECT_EQ(*store_->get(storage::kSharedFilesBucket, "lib/two"), owned("abcdef"));
  EXPECT_EQ(store_->list(storage::kSharedFilesBucket, "")->size(), 2u);
  // A view without the node's copies reads the originals and cannot change them.
  FileView plain;
  plain.bindShared(store_.get());
  EXPECT_EQ(readVia(plain, "faasm://lib/data.txt"), "shared data");
  EXPECT_EQ(plain.open(kRoot, "faasm://lib/two", 0, kRW, 0).error(), WasiErrno::Rofs);
  // Copies outlive the views' calls.
  view_.reset();
  other_.reset();
  EXPECT_EQ(readVia(view_, "faasm://dir/new"), "new");
}

TEST_F(LocalSharedTest, LocalCopiesAreBoundedNodeWide) {
  auto a = view_.open(kRoot, "faasm://a", kOpenCreate, kRW, 0);
  auto b = other_.open(kRoot, "faasm://b", kOpenCreate, kRW, 0);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(view_.write(*a, bytes(std::string(600, 'a'))));
  EXPECT_EQ(other_.write(*b, bytes(std::string(kLimit - 600 + 1, 'b'))).error(), WasiErrno::Nospc);
  ASSERT_TRUE(other_.write(*b, bytes(std::string(kLimit - 600, 'b'))));
  EXPECT_EQ(local_.bytes(), kLimit);
  EXPECT_EQ(view_.setSize(*a, 601).error(), WasiErrno::Nospc);
  // Copying an original up counts too: lib/data.txt is 11 bytes.
  EXPECT_EQ(view_.open(kRoot, "faasm://lib/data.txt", 0, kRW, 0).error(), WasiErrno::Nospc);
  // An unlinked copy frees its bytes when its last descriptor closes.
  ASSERT_TRUE(view_.unlinkFile(kRoot, "shared/a"));
  EXPECT_EQ(local_.bytes(), kLimit);
  ASSERT_TRUE(view_.close(*a));
  EXPECT_EQ(local_.bytes(), kLimit - 600);
  EXPECT_TRUE(view_.open(kRoot, "faasm://lib/data.txt", 0, kRW, 0));
  // Entries: a (removed), b, lib/data.txt; 5 more fit, then Nospc.
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(view_.createDirectory(kRoot, "faasm://d" + std::to_string(i))) << i;
  EXPECT_EQ(local_.entries(), 8u);
  EXPECT_EQ(view_.createDirectory(kRoot, "faasm://d5").error(), WasiErrno::Nospc);
}

TEST_F(LocalSharedTest, ViewsOnManyThreadsAppendToOneCopy) {
  constexpr int kThreads = 4, kRecords = 50;
  LocalSharedFiles big;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      FileView v;
      v.bindShared(store_.get());
      v.bindLocalShared(&big);
      auto fd = v.open(kRoot, "faasm://log", kOpenCreate, kRightWrite, kFdAppend);
      ASSERT_TRUE(fd);
      for (int i = 0; i < kRecords; ++i)
        ASSERT_TRUE(v.write(*fd, bytes(std::to_string(t) + ":" + std::string(6, 'a' + t) + "\n")));
    });
  for (auto& t : threads)
    t.join();
  FileView reader;
  reader.bindLocalShared(&big);
  auto all = reader.readFile("faasm://log");
  ASSERT_TRUE(all);
  std::string text(all->begin(), all->end());
  // Every record whole, none lost.
  std::map<char, int> counts;
  for (size_t at = 0; at < text.size(); at += 9) {
    std::string rec = text.substr(at, 9);
    ASSERT_EQ(rec.size(), 9u);
    ASSERT_EQ(rec, std::string(1, rec[0]) + ":" + std::string(6, 'a' + (rec[0] - '0')) + "\n");
    ++counts[rec[0]];
  }
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(counts['0' + t], kRecords);
}

}  // namespace
}  // namespace nearfaas::host
