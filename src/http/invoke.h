// The invoke endpoint, as Faasm's (default port 8080): the method and path
// are ignored and the JSON body says what to do (http/invoke_message.h):
// run a call synchronously or asynchronously, or report an async call's
// status. GET /ping answers PONG without running anything. With a
// TokenStore every other request needs a bearer token (http/access.h): a user
// token may call that user's functions and ask the status of that user's
// calls; flush needs the admin token.
//
// A synchronous call never blocks an I/O thread: the request's Responder is
// parked here, and the scheduler's completion callback answers it from the
// executor thread that finished the call.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "auth/tokens.h"
#include "http/access.h"
#include "http/server.h"
#include "sched/node.h"

namespace nearfaas::http {

class InvokeService {
 public:
  // `node` must outlive this. `hostName` is reported as exec_host in status
  // answers (default: this machine's host name).
  // `tokens` (nullptr: no authentication) must outlive this too.
  explicit InvokeService(sched::Node& node, std::string hostName = {},
                         auth::TokenStore* tokens = nullptr);
  InvokeService(const InvokeService&) = delete;
  InvokeService& operator=(const InvokeService&) = delete;

  void handle(Request request, Responder respond);

  // True once no synchronous call awaits its result; false if `timeout` passed first.
  bool waitForCalls(std::chrono::milliseconds timeout);
  // Answers every synchronous call still waiting with 503 `message`; their
  // results, when they come, are dropped.
  void failWaiting(const std::string& message);

  // Parked Responders, shared with completion callbacks that may run after
  // this service is gone.
  struct Waiting;

 private:
  Response status(int64_t id, const Caller& caller);

  sched::Node& node_;
  auth::TokenStore* tokens_;
  std::shared_ptr<Waiting> waiting_;
  std::string hostName_;
};

}  // namespace nearfaas::http
