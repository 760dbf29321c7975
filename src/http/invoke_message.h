// The invoke endpoint's request body (Faasm's flat call message, JSON) and
// the texts of its answers, apart from any I/O so that they can be tested
// on their own. Field names and meanings follow Faasm; see
// docs/http-api.md for the whole protocol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "host/call_context.h"
#include "sched/scheduler.h"

namespace nearfaas::http {

// Faasm's message types; KILL and EMPTY are run as ordinary calls, as Faasm does.
enum class MessageType : int { Call = 0, Kill = 1, Empty = 2, Flush = 3 };

struct InvokeMessage {
  MessageType type = MessageType::Call;
  std::string user, function;
  std::string inputData;
  bool async = false;
  bool status = false;     // a status request for `id`
  bool execGraph = false;  // an execution-graph request (not supported)
  bool python = false;     // a Python function (not supported)
  bool forbidNdp = false;
  int64_t id = 0;
  std::vector<std::string> cmdline;  // "cmdline" split at spaces
};

// Parses a request body. Unknown fields are ignored; a known field of the
// wrong JSON type is an error, as are malformed JSON and a non-object. The
// error message is meant for the client (400 Bad Request).
Result<InvokeMessage> parseInvokeMessage(std::string_view body);

host::CallRequest toCallRequest(const InvokeMessage& message);

// Text for a call that failed: the output (for a non-zero return value,
// "Call failed (return value=N)"), then the failure ("error: <trap or
// cause>") and captured stderr, each on its own line when present.
std::string failureText(const host::CallOutcome& outcome);

// The answer to a status request for a call that succeeded: the call as a
// JSON object (Faasm's message fields: id, type, user, function, input_data,
// output_data, ... plus return_value). Bytes that are not valid UTF-8 become
// U+FFFD.
std::string statusJson(sched::CallId id, const sched::CallStatus& status, std::string_view host);

}  // namespace nearfaas::http
