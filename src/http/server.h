// The HTTP server core shared by the upload and invoke endpoints
// (Boost.Beast over Asio; Beast stays inside server.cpp).
//
// One io_context run by `threads` threads accepts connections and reads and
// writes them asynchronously, each connection on its own strand, so a slow or
// half-open client only ever holds its own connection: a request must arrive
// whole within `readTimeout` (which also bounds how long an idle keep-alive
// connection stays open) and a response must be taken within `writeTimeout`.
// Bodies over `maxBodyBytes` are refused with 413 before they are read.
//
// Browsers (CORS): a request that carries an `Origin` header comes from a web
// page. It is served only if that origin is in `allowedOrigins` (its answer
// then carries Access-Control-Allow-Origin); otherwise it is refused with 403
// before any handler sees it, so a page on any site cannot drive a server on
// the user's machine. Requests without `Origin` (curl, Faasm's clients) are
// served as before, with no CORS headers. OPTIONS (a preflight) is answered
// here: 200 with the CORS headers for an allowed origin, 403 for another,
// 200 without CORS headers when no Origin is sent.
//
// DNS rebinding: a page whose host name the attacker's DNS later points at
// this server makes same-origin requests (GETs without Origin) that carry
// the attacker's name in `Host`. A request whose Host is a name is served
// only if the name is "localhost" (or *.localhost), is in `allowedHosts`, or
// the server listens on a non-loopback address and `allowedHosts` is empty
// (no names configured); otherwise 403. Hosts that are IP literals, and
// requests without Host (no browser sends one), are always served.
//
// A request goes to the Handler together with a Responder. The handler may
// answer at once or keep the Responder and answer later from any thread; the
// connection reads nothing else meanwhile (no pipelining). A Responder answers
// once: later answers are ignored, and one dropped without answering answers
// 500. Once stop() has run, answering does nothing, so a Responder may safely
// outlive the server.
//
// Shutdown in steps: beginShutdown() closes the listening socket and answers
// requests that arrive afterwards with 503 "server shutting down";
// waitIdle() waits for answers still owed; stop() ends the threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "http/message.h"

namespace nearfaas::http {

struct ServerSettings {
  std::string address = "127.0.0.1";               // IP address or host name to listen on
  uint16_t port = 0;                               // 0 = any free port; see Server::port()
  unsigned threads = 4;                            // I/O threads
  size_t maxBodyBytes = 64ull << 20;               // larger request bodies get 413
  size_t maxHeaderBytes = 16 << 10;                // larger request heads get 431
  std::chrono::milliseconds readTimeout{30'000};   // one whole request, or keep-alive idle time
  std::chrono::milliseconds writeTimeout{30'000};  // one whole response
  std::string name = "NearFaaS";                   // Server header and log lines
  // Origins ("scheme://host[:port]", as browsers send them) whose pages may
  // use this server; "*" allows every origin. Empty: no browser page may.
  std::vector<std::string> allowedOrigins;
  // Host names (without port) clients may use to reach this server, beside
  // IP literals and localhost; see DNS rebinding above.
  std::vector<std::string> allowedHosts;
};

// Whether `origin` can be an entry of ServerSettings::allowedOrigins:
// "scheme://host[:port]" with nothing after it, or "*".
Result<void> validateAllowedOrigin(std::string_view origin);
// Whether `host` can be an entry of ServerSettings::allowedHosts: a DNS name
// of letters, digits, '-', '_' and '.', without port.
Result<void> validateAllowedHost(std::string_view host);

namespace detail {
struct PendingAnswer;
}

// Answers one request; copyable, all copies share one answer.
class Responder {
 public:
  explicit Responder(std::shared_ptr<detail::PendingAnswer> p) : p_(std::move(p)) {}
  // Sends `response` unless this request was answered already; any thread.
  void operator()(Response response) const;

 private:
  std::shared_ptr<detail::PendingAnswer> p_;
};

// Runs on an I/O thread: must not block (hand slow work to another thread and
// answer from there). Exceptions become 500 answers.
using Handler = std::function<void(Request request, Responder respond)>;

class Server {
 public:
  // Binds and listens (so a port in use fails here, with the address in the
  // message), then starts the threads.
  static Result<std::unique_ptr<Server>> start(const ServerSettings& settings, Handler handler);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const { return port_; }  // the bound port
  const ServerSettings& settings() const { return settings_; }

  void beginShutdown();
  // True once no answer is owed (every handled request answered and written),
  // false if `timeout` passed first.
  bool waitIdle(std::chrono::milliseconds timeout);
  // Stops the threads and drops every connection. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit Server(const ServerSettings& settings) : settings_(settings) {}
  ServerSettings settings_;
  uint16_t port_ = 0;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nearfaas::http
