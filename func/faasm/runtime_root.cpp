/*
 * faasm/runtime_root: Faasm's read-only runtime root, seen with stat, read
 * and getpwuid.
 *
 * Upstream generation; needs the runtime root of the Faaslet's file view and
 * the SDK's <pwd.h>.
 *
 * Input:  ignored.
 * Output: for each of /etc/hosts, /etc/passwd and /etc/resolv.conf:
 *           "== <path> <st_size> <S_ISREG ? "file" : "other">\n<contents>"
 *         then "write /etc/hosts: refused\n" if opening it for writing fails
 *         ("allowed" otherwise), then "user <pw_name> <pw_uid> <pw_dir>\n"
 *         for getpwuid(getuid()) ("user unknown <uid>\n" if none). Returns 0.
 * Errors: a file that cannot be stat'ed or read outputs
 *         "FAILED - <path>: <strerror>", returns 1.
 */
#include <faasm/faasm.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

int main(int, char*[]) {
  std::string output;
  for (const char* path : {"/etc/hosts", "/etc/passwd", "/etc/resolv.conf"}) {
    struct stat st;
    FILE* f = nullptr;
    if (stat(path, &st) != 0 || (f = fopen(path, "r")) == nullptr) {
      std::string error = std::string("FAILED - ") + path + ": " + strerror(errno);
      faasmSetOutput(error.c_str(), error.size());
      return 1;
    }
    std::string contents;
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
      contents.append(buf, n);
    fclose(f);
    output += std::string("== ") + path + " " + std::to_string(st.st_size) + " " +
              (S_ISREG(st.st_mode) ? "file" : "other") + "\n" + contents;
  }

  FILE* w = fopen("/etc/hosts", "w");
  output += std::string("write /etc/hosts: ") + (w == nullptr ? "refused" : "allowed") + "\n";
  if (w != nullptr) fclose(w);

  uid_t uid = getuid();
  struct passwd* pw = getpwuid(uid);
  if (pw == nullptr)
    output += "user unknown " + std::to_string(uid) + "\n";
  else
    output += std::string("user ") + pw->pw_name + " " + std::to_string(pw->pw_uid) + " " +
              pw->pw_dir + "\n";

  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
