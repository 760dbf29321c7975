/* NearFaaS libc overlay (SDK sysroot): <pwd.h>, which wasi-libc lacks.
 * A function runs as Faasm's one user, as Faasm's runtime answers: uid and
 * gid 1000, name "faasm", home "/home/faasm/". getpwuid(1000) and
 * getpwnam("faasm") return that entry (libfaasm); any other user is not
 * found (NULL, errno unchanged, as POSIX specifies for "no such entry"). */
#ifndef __NEARFAAS_PWD_H
#define __NEARFAAS_PWD_H
#include <sys/types.h>
#ifdef __cplusplus
extern "C" {
#endif

struct passwd {
  char* pw_name;
  char* pw_passwd;
  uid_t pw_uid;
  gid_t pw_gid;
  char* pw_gecos;
  char* pw_dir;
  char* pw_shell;
};

struct passwd* getpwuid(uid_t);
struct passwd* getpwnam(const char*);
int getpwuid_r(uid_t, struct passwd*, char*, size_t, struct passwd**);
int getpwnam_r(const char*, struct passwd*, char*, size_t, struct passwd**);

#ifdef __cplusplus
}
#endif
#endif
