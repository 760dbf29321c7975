#include "http/invoke_message.h"

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>

namespace nearfaas::http {

using nlohmann::json;

namespace {

const char* typeName(const json& v) {
  return v.type_name();
}

// Reads field `name` into `out` if present; a present field of another type
// is an error.
Result<void> readBool(const json& j, const char* name, bool& out) {
  auto it = j.find(name);
  if (it == j.end()) return {};
  if (!it->is_boolean()) return fail("Field '", name, "' must be a boolean, not ", typeName(*it));
  out = it->get<bool>();
  return {};
}

Result<void> readString(const json& j, const char* name, std::string& out) {
  auto it = j.find(name);
  if (it == j.end()) return {};
  if (!it->is_string()) return fail("Field '", name, "' must be a string, not ", typeName(*it));
  out = it->get<std::string>();
  return {};
}

Result<void> readInt(const json& j, const char* name, int64_t& out) {
  auto it = j.find(name);
  if (it == j.end()) return {};
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return fail("Field '", name, "' is out of range");
    out = static_cast<int64_t>(v);
    return {};
  }
  if (!it->is_number_integer())
    return fail("Field '", name, "' must be an integer, not ", typeName(*it));
  out = it->get<int64_t>();
  return {};
}

int64_t epochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

Result<InvokeMessage> parseInvokeMessage(std::string_view body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    return fail("Invalid JSON: ", e.what());
  }
  if (!j.is_object()) return fail("Request must be a JSON object, not ", typeName(j));

  InvokeMessage m;
  int64_t type = 0;
  std::string cmdline;
  for (auto r :
       {readString(j, "user", m.user), readString(j, "function", m.function),
        readString(j, "input_data", m.inputData), readBool(j, "async", m.async),
        readBool(j, "status", m.status), readBool(j, "exec_graph", m.execGraph),
        readBool(j, "python", m.python), readBool(j, "forbid_ndp", m.forbidNdp),
        readInt(j, "id", m.id), readInt(j, "type", type), readString(j, "cmdline", cmdline)})
    if (!r) return std::unexpected(r.error());
  if (type < 0 || type > static_cast<int64_t>(MessageType::Flush))
    return fail("Invalid message type ", type);
  m.type = static_cast<MessageType>(type);
  for (size_t start = 0; start < cmdline.size();) {
    size_t space = cmdline.find(' ', start);
    if (space == std::string::npos) space = cmdline.size();
    if (space > start) m.cmdline.push_back(cmdline.substr(start, space - start));
    start = space + 1;
  }
  return m;
}

host::CallRequest toCallRequest(const InvokeMessage& m) {
  host::CallRequest r;
  r.user = m.user;
  r.function = m.function;
  r.input.assign(m.inputData.begin(), m.inputData.end());
  r.cmdline = m.cmdline;
  r.forbidNdp = m.forbidNdp;
  return r;
}

std::string failureText(const host::CallOutcome& outcome) {
  std::string s = text(outcome.output);
  auto line = [&](std::string_view part) {
    if (!s.empty() && !s.ends_with('\n')) s += '\n';
    s += part;
  };
  if (!outcome.error.empty()) line("error: " + outcome.error);
  if (!outcome.stderrText.empty()) line("stderr:\n" + outcome.stderrText);
  return s;
}

std::string statusJson(sched::CallId id, const sched::CallStatus& status, std::string_view host) {
  const auto& req = status.request;
  std::string cmdline;
  for (const auto& a : req.cmdline)
    cmdline += (cmdline.empty() ? "" : " ") + a;
  json j = {
      {"id", id},
      {"type", static_cast<int>(MessageType::Call)},
      {"user", req.user},
      {"function", req.function},
      {"input_data", text(req.input)},
      {"output_data", text(status.outcome.output)},
      {"return_value", status.outcome.returnValue},
      {"forbid_ndp", req.forbidNdp},
      {"cmdline", cmdline},
      {"timestamp", epochMillis(status.submitted)},
      {"finished", epochMillis(status.finished)},
      {"exec_host", host},
      {"master_host", host},
  };
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace nearfaas::http
