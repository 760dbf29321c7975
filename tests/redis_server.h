// A real redis-server for tests: on a free loopback port, with AOF on
// (appendonly yes, appendfsync always) in a temp dir, killed by the
// destructor. start() waits for Redis to say it is ready (it reads the
// server's log on a pipe: no polling); stop() and start() again restart it
// on the same port and data.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace nearfaas::test {

class RedisServer {
 public:
  RedisServer() {
    char tmpl[] = "/tmp/nearfaas-redis-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = freePort();
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void start() {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--dir",
             dir_.c_str(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--daemonize", "no", "--logfile", "", "--protected-mode", "yes",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* log = fdopen(fds[0], "r");
    char line[1024];
    bool ready = false;
    // Redis 7 logs "Ready to accept connections" once it listens (after
    // loading the AOF); EOF means it exited.
    while (fgets(line, sizeof line, log))
      if (std::string(line).find("Ready to accept connections") != std::string::npos) {
        ready = true;
        break;
      }
    // Keep draining the log so the server never blocks on a full pipe.
    drain_ = fork();
    if (drain_ == 0) {
      while (fgets(line, sizeof line, log)) {
      }
      _exit(0);
    }
    fclose(log);
    if (!ready) {
      stop();
      throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
    }
  }

  // SIGTERM: Redis fsyncs and exits; with appendfsync always every
  // acknowledged write is in the AOF already.
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (drain_ > 0) {
      waitpid(drain_, nullptr, 0);
      drain_ = -1;
    }
  }

 private:
  static int freePort() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t drain_ = -1;
};

}  // namespace nearfaas::test
