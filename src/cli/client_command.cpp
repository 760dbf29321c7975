#include "cli/client_command.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/bytes.h"
#include "cli/remote.h"
#include "http/url.h"

namespace nearfaas::cli {

namespace {

// How often `func status --wait` asks.
constexpr auto kStatusPollInterval = std::chrono::milliseconds(100);

int error(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

void print(const std::string& s, bool newline = false) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  if (newline && !s.ends_with('\n')) std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string path(const char* kind, const std::string& user, const std::string& name) {
  return std::string("/") + kind + "/" + http::percentEncode(user) + "/" +
         http::percentEncode(name);
}

std::string jsonBody(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int upload(const ServerOptions& s, const std::string& user, const std::string& name,
           const std::string& file) {
  auto wasm = readFile(file);
  if (!wasm) return error(wasm.error().message);
  http::Request req{"PUT", path("f", user, name)};
  req.body.assign(wasm->begin(), wasm->end());
  auto r = send(s, s.upload(), req);
  if (!r) return 1;
  std::fputs(r->body.c_str(), stderr);
  return 0;
}

struct InvokeArgs {
  std::string user, name, input;
  bool async = false, forbidNdp = false;
  std::vector<std::string> cmdline;
};

int invoke(const ServerOptions& s, const InvokeArgs& a) {
  nlohmann::json j = {{"user", a.user}, {"function", a.name}, {"input_data", a.input}};
  if (a.async) j["async"] = true;
  if (a.forbidNdp) j["forbid_ndp"] = true;
  if (!a.cmdline.empty()) {
    std::string line;
    for (const auto& c : a.cmdline)
      line += (line.empty() ? "" : " ") + c;
    j["cmdline"] = line;
  }
  auto r = send(s, s.invoke(), {"POST", "/", {}, jsonBody(j)});
  if (!r) return 1;
  print(r->body, a.async);
  return 0;
}

int status(const ServerOptions& s, const std::string& idText, bool wait) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(idText.data(), idText.data() + idText.size(), id);
  if (ec != std::errc() || end != idText.data() + idText.size() || id <= 0)
    return error("not a call id: '" + idText + "'");
  std::string body = jsonBody({{"status", true}, {"id", id}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(s.timeoutS);
  for (;;) {
    auto r = send(s, s.invoke(), {"POST", "/", {}, body});
    if (!r) return 1;
    if (!wait || r->body != "RUNNING" || std::chrono::steady_clock::now() > deadline) {
      print(r->body, true);
      return 0;
    }
    std::this_thread::sleep_for(kStatusPollInterval);
  }
}

int setState(const ServerOptions& s, const std::string& user, const std::string& key,
             const std::string& value, const std::string& file) {
  http::Request req{"PUT", path("s", user, key)};
  if (!file.empty()) {
    auto data = readFile(file);
    if (!data) return error(data.error().message);
    req.body.assign(data->begin(), data->end());
  } else {
    req.body = value;
  }
  return send(s, s.upload(), req) ? 0 : 1;
}

int getState(const ServerOptions& s, const std::string& user, const std::string& key) {
  auto r = send(s, s.upload(), {"GET", path("s", user, key)});
  if (!r) return 1;
  print(r->body);
  return 0;
}

// The server's JSON answer to a token request, printed: `create` prints the
// token alone on stdout (its id and user on stderr); list and revoke print
// one "ID USER CREATED" line per token.
int tokenRequest(const ServerOptions& s, const http::Request& req, bool created) {
  auto r = send(s, s.upload(), req);
  if (!r) return 1;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (created) {
    if (!j.is_object() || !j.contains("token") || !j["token"].is_string())
      return error("unexpected answer from the server: " + printable(r->body));
    std::fprintf(stderr, "token %s for user %s (shown only now):\n",
                 j.value("id", std::string()).c_str(), j.value("user", std::string()).c_str());
    print(j["token"].get<std::string>(), true);
    return 0;
  }
  if (!j.is_array()) return error("unexpected answer from the server: " + printable(r->body));
  for (const auto& t : j) {
    if (!t.is_object()) continue;
    print(t.value("id", std::string()) + " " + t.value("user", std::string()) + " " +
              std::to_string(t.value("created", int64_t{0})),
          true);
  }
  return 0;
}

}  // namespace

void addClientCommands(CLI::App& app, int& exitStatus) {
  CLI::App* func = app.get_subcommand("func");
  const std::string hostHelp = "address of the server";

  struct UploadArgs {
    ServerOptions server;
    std::string user, name, file;
  };
  auto u = std::make_shared<UploadArgs>();
  auto* up = func->add_subcommand(
      "upload", "Upload a function to a server (which validates it and generates its code)");
  up->add_option("user", u->user, "user")->required();
  up->add_option("name", u->name, "function name")->required();
  up->add_option("file", u->file, "the function's .wasm")->required()->check(CLI::ExistingFile);
  u->server.addTo(*up, hostHelp);
  up->callback([u, &exitStatus] { exitStatus = upload(u->server, u->user, u->name, u->file); });

  struct CallArgs {
    ServerOptions server;
    InvokeArgs call;
  };
  auto c = std::make_shared<CallArgs>();
  auto* inv = func->add_subcommand(
      "invoke", "Call a function on a server; prints its output (with --async: the call id)");
  inv->add_option("user", c->call.user, "user")->required();
  inv->add_option("name", c->call.name, "function name")->required();
  inv->add_option("--input", c->call.input, "input data");
  inv->add_flag("--async", c->call.async, "return the call id at once; see `func status`");
  inv->add_flag("--forbid-ndp", c->call.forbidNdp, "never offload NDP calls");
  inv->add_option("--cmdline", c->call.cmdline, "extra argv for the function")->expected(0, -1);
  c->server.addTo(*inv, hostHelp);
  inv->callback([c, &exitStatus] { exitStatus = invoke(c->server, c->call); });

  struct StatusArgs {
    ServerOptions server;
    std::string id;
    bool wait = false;
  };
  auto st = std::make_shared<StatusArgs>();
  auto* stat = func->add_subcommand(
      "status", "Status of an async call: RUNNING, or its result as JSON (a failure exits 1)");
  stat->add_option("id", st->id, "call id")->required();
  stat->add_flag("--wait", st->wait, "poll until the call is done (up to --http-timeout)");
  st->server.addTo(*stat, hostHelp);
  stat->callback([st, &exitStatus] { exitStatus = status(st->server, st->id, st->wait); });

  auto* state = app.add_subcommand("state", "State values of users on a server");
  state->require_subcommand(1);
  struct StateArgs {
    ServerOptions server;
    std::string user, key, value, file;
    CLI::Option* valueOption = nullptr;
  };
  auto ss = std::make_shared<StateArgs>();
  auto* set = state->add_subcommand("set", "Set state value KEY of USER to VALUE (or a file)");
  set->add_option("user", ss->user, "user")->required();
  set->add_option("key", ss->key, "state key")->required();
  ss->valueOption = set->add_option("value", ss->value, "the value's bytes");
  set->add_option("--file", ss->file, "file with the value")
      ->check(CLI::ExistingFile)
      ->excludes(ss->valueOption);
  ss->server.addTo(*set, hostHelp);
  set->callback([ss, &exitStatus] {
    if (!ss->valueOption->count() && ss->file.empty())
      return void(exitStatus = error("state set needs VALUE or --file"));
    exitStatus = setState(ss->server, ss->user, ss->key, ss->value, ss->file);
  });
  auto sg = std::make_shared<StateArgs>();
  auto* get = state->add_subcommand("get", "Print state value KEY of USER");
  get->add_option("user", sg->user, "user")->required();
  get->add_option("key", sg->key, "state key")->required();
  sg->server.addTo(*get, hostHelp);
  get->callback([sg, &exitStatus] { exitStatus = getState(sg->server, sg->user, sg->key); });

  auto* token = app.add_subcommand(
      "token", "Users' API tokens on a server (needs the admin token: --token or $NEARFAAS_TOKEN)");
  token->require_subcommand(1);
  struct TokenArgs {
    ServerOptions server;
    std::string what;
  };
  auto tc = std::make_shared<TokenArgs>();
  auto* create = token->add_subcommand("create", "Create a token for USER; prints it (once)");
  create->add_option("user", tc->what, "user")->required();
  tc->server.addTo(*create, hostHelp);
  create->callback([tc, &exitStatus] {
    exitStatus = tokenRequest(tc->server, {"PUT", "/token/" + http::percentEncode(tc->what)}, true);
  });
  auto tl = std::make_shared<TokenArgs>();
  auto* list = token->add_subcommand("list", "List tokens (of USER, or all): ID USER CREATED");
  list->add_option("user", tl->what, "user");
  tl->server.addTo(*list, hostHelp);
  list->callback([tl, &exitStatus] {
    std::string target = "/token";
    if (!tl->what.empty()) target += "/" + http::percentEncode(tl->what);
    exitStatus = tokenRequest(tl->server, {"GET", target}, false);
  });
  auto tr = std::make_shared<TokenArgs>();
  auto* revoke = token->add_subcommand(
      "revoke", "Revoke the token with id ID, or else every token of user USER; prints them");
  revoke->add_option("id-or-user", tr->what, "token id or user")->required();
  tr->server.addTo(*revoke, hostHelp);
  revoke->callback([tr, &exitStatus] {
    exitStatus =
        tokenRequest(tr->server, {"DELETE", "/token/" + http::percentEncode(tr->what)}, false);
  });
}

}  // namespace nearfaas::cli
