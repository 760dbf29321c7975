/*
 * faasm/mmap: mmap of anonymous memory and of files, as Faasm provides it
 * (the host grows linear memory; a file mapping holds a copy of the file).
 *
 * Upstream generation; needs the SDK's <sys/mman.h> and the host's env.mmap.
 *
 * Steps: maps 10 anonymous regions of 3 pages + 1234 bytes each (not a
 *        page multiple), writes "Output <i>" into each and checks all ten
 *        afterwards; writes the input to the scratch file /tmp/mmap_demo.txt
 *        and maps it read-only; maps /etc/hosts (a runtime-root file) and
 *        compares it with what read() gives.
 * Input:  any text of 1 .. 4096 bytes.
 * Output: "anon 10 regions ok\nfile <n> <the mapped bytes>\nhosts <size> same\n"
 *         where n is the input's length. Returns 0.
 * Errors: "FAILED - <step>: <strerror>" (or a description), returns 1.
 */
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

static int fail(const std::string& what) {
  std::string output = "FAILED - " + what;
  faasmSetOutput(output.c_str(), output.size());
  return 1;
}

static int failErrno(const std::string& what) {
  return fail(what + ": " + strerror(errno));
}

// Maps the whole file read-only; its bytes, or false.
static bool mapFile(const char* path, std::string& out, std::string& error) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    error = std::string("open ") + path + ": " + strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    error = std::string("fstat ") + path;
    close(fd);
    return false;
  }
  void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    error = std::string("mmap ") + path + ": " + strerror(errno);
    return false;
  }
  out.assign(static_cast<char*>(p), st.st_size);
  munmap(p, st.st_size);
  return true;
}

int main(int, char*[]) {
  const size_t regionLen = 3 * 64 * 1024 + 1234;
  const int nRegions = 10;
  char* regions[nRegions];
  for (int i = 0; i < nRegions; i++) {
    void* p = mmap(nullptr, regionLen, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
    if (p == MAP_FAILED) return failErrno("anonymous mmap");
    regions[i] = static_cast<char*>(p);
    std::string text = "Output " + std::to_string(i);
    strcpy(regions[i], text.c_str());
    regions[i][regionLen - 1] = static_cast<char>('a' + i);  // the last byte is usable
  }
  for (int i = 0; i < nRegions; i++) {
    if (std::string(regions[i]) != "Output " + std::to_string(i) ||
        regions[i][regionLen - 1] != static_cast<char>('a' + i))
      return fail("anonymous region " + std::to_string(i) + " lost its contents");
  }

  std::string input = faasm::getStringInput("");
  if (input.empty() || input.size() > 4096) return fail("input must be 1 to 4096 bytes");
  const char* scratch = "/tmp/mmap_demo.txt";
  int fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return failErrno("create scratch file");
  if (write(fd, input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    return failErrno("write scratch file");
  close(fd);
  std::string mapped, error;
  if (!mapFile(scratch, mapped, error)) return fail(error);

  std::string hostsMapped;
  if (!mapFile("/etc/hosts", hostsMapped, error)) return fail(error);
  std::string hostsRead;
  int hosts = open("/etc/hosts", O_RDONLY);
  if (hosts < 0) return failErrno("open /etc/hosts");
  char buf[512];
  ssize_t n;
  while ((n = read(hosts, buf, sizeof(buf))) > 0)
    hostsRead.append(buf, n);
  close(hosts);

  std::string output = "anon " + std::to_string(nRegions) + " regions ok\nfile " +
                       std::to_string(mapped.size()) + " " + mapped + "\nhosts " +
                       std::to_string(hostsMapped.size()) +
                       (hostsMapped == hostsRead ? " same\n" : " differs\n");
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
