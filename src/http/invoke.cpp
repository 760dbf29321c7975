#include "http/invoke.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "http/invoke_message.h"

namespace nearfaas::http {

namespace {

using Clock = std::chrono::steady_clock;

Response error(unsigned status, std::string message) {
  return textResponse(status, std::move(message));
}

Response busy(const std::string& why) {
  spdlog::warn("call refused: {}", why);
  return error(503, "Call refused, the node is busy: " + why);
}

std::string localHostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// One log line per call, when it is done. `httpStatus` 0: no answer waits (async).
void logCall(sched::CallId id, const std::string& function, unsigned httpStatus,
             const host::CallOutcome& out, Clock::time_point start) {
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::string how =
      out.returnValue == 0 ? "ok" : "failed, return value " + std::to_string(out.returnValue);
  if (!out.error.empty()) how += ": " + out.error;
  std::string mode = httpStatus ? "sync " + std::to_string(httpStatus) : "async";
  spdlog::info("call {} {} {} {:.2f} ms {}", id, function, mode, ms, how);
}

}  // namespace

struct InvokeService::Waiting {
  std::mutex mutex;
  std::condition_variable none;
  std::unordered_map<uint64_t, Responder> calls;
  uint64_t next = 0;

  uint64_t park(Responder r) {
    std::lock_guard l(mutex);
    calls.emplace(++next, std::move(r));
    return next;
  }
  void answer(uint64_t token, Response response) {
    std::optional<Responder> r;
    {
      std::lock_guard l(mutex);
      auto it = calls.find(token);
      if (it == calls.end()) return;  // failed already
      r.emplace(std::move(it->second));
      calls.erase(it);
      if (calls.empty()) none.notify_all();
    }
    (*r)(std::move(response));
  }
};

InvokeService::InvokeService(sched::Node& node, std::string hostName, auth::TokenStore* tokens)
    : node_(node),
      tokens_(tokens),
      waiting_(std::make_shared<Waiting>()),
      hostName_(hostName.empty() ? localHostName() : std::move(hostName)) {}

bool InvokeService::waitForCalls(std::chrono::milliseconds timeout) {
  std::unique_lock l(waiting_->mutex);
  return waiting_->none.wait_for(l, timeout, [&] { return waiting_->calls.empty(); });
}

void InvokeService::failWaiting(const std::string& message) {
  std::unordered_map<uint64_t, Responder> calls;
  {
    std::lock_guard l(waiting_->mutex);
    calls.swap(waiting_->calls);
    waiting_->none.notify_all();
  }
  for (auto& [token, respond] : calls)
    respond(error(503, message));
}

void InvokeService::handle(Request request, Responder respond) {
  if (request.method == "GET" && request.target == "/ping")
    return respond(textResponse(200, "PONG"));
  auto caller = authenticate(tokens_, request);
  if (!caller) return respond(std::move(caller.error()));
  if (request.body.empty()) return respond(error(400, "Empty request"));
  auto m = parseInvokeMessage(request.body);
  if (!m) return respond(error(400, m.error().message));

  if (m->type == MessageType::Flush) {
    if (auto no = requireAdmin(*caller, "flush")) return respond(std::move(*no));
    return respond(textResponse(200, "Flush sent"));
  }
  if (m->execGraph) return respond(error(501, "Execution graphs are not supported"));
  if (m->status) return respond(status(m->id, *caller));
  if (m->user.empty()) return respond(error(400, "Empty user"));
  if (auto no = requireUser(*caller, m->user)) return respond(std::move(*no));
  if (m->function.empty()) return respond(error(400, "Empty function"));
  if (m->python) return respond(error(501, "Python functions are not supported"));
  if (auto c = node_.functions().check(m->user, m->function); !c) {
    unsigned code = c.error().kind == sched::FunctionError::NotFound      ? 404
                    : c.error().kind == sched::FunctionError::InvalidName ? 400
                                                                          : 500;
    return respond(error(code, c.error().message));
  }

  auto start = Clock::now();
  std::string function = m->user + "/" + m->function;  // for the log line
  // A call the scheduler cannot take (a bound is reached) gets 503 with its reason.
  if (m->async) {
    auto id = node_.scheduler().submit(
        toCallRequest(*m), [start, function](sched::CallId id, const host::CallOutcome& out) {
          logCall(id, function, 0, out, start);
        });
    if (!id) return respond(busy(id.error().message));
    return respond(textResponse(200, std::to_string(*id)));
  }
  uint64_t token = waiting_->park(respond);
  // The answer carries the result, and nobody asks for it again.
  auto id = node_.scheduler().submit(
      toCallRequest(*m),
      [w = waiting_, token, start, function](sched::CallId id, const host::CallOutcome& out) {
        Response r = out.returnValue == 0
                         ? textResponse(200, std::string(out.output.begin(), out.output.end()))
                         : textResponse(500, failureText(out));
        r.headers.emplace_back("X-Call-Id", std::to_string(id));
        logCall(id, function, r.status, out, start);
        w->answer(token, std::move(r));
      },
      sched::ResultRetention::DropAfterCallback);
  if (!id) return waiting_->answer(token, busy(id.error().message));
  spdlog::debug("call {} {} queued, sync", *id, function);
}

Response InvokeService::status(int64_t id, const Caller& caller) {
  if (id <= 0) return error(400, "Must provide non-zero message ID");
  if (static_cast<uint64_t>(id) > sched::kMaxCallId)
    return error(404,
                 "No call with id " + std::to_string(id) + " (unknown, or its result expired)");
  auto s = node_.scheduler().find(static_cast<sched::CallId>(id));
  if (!s)
    return error(404,
                 "No call with id " + std::to_string(id) + " (unknown, or its result expired)");
  if (auto no = requireUser(caller, s->request.user)) return std::move(*no);
  if (s->state != sched::CallState::Done) return textResponse(200, "RUNNING");
  if (s->outcome.returnValue != 0) return error(500, "FAILED: " + failureText(s->outcome));
  Response r = textResponse(200, statusJson(static_cast<sched::CallId>(id), *s, hostName_));
  r.contentType = "application/json";
  return r;
}

}  // namespace nearfaas::http
