#include "cli/func_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "base/bytes.h"
#include "base/process.h"
#include "cli/node_options.h"
#include "cli/remote.h"
#include "http/url.h"
#include "sched/node.h"
#include "sdk_config.h"
#include "storage/buckets.h"

namespace nearfaas::cli {

namespace {

// How long `func build` lets the compiler run.
constexpr auto kBuildTimeout = std::chrono::minutes(5);

int error(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

// The upload endpoint's path of object KEY of USER; '/' in keys stays a separator.
std::string objectTarget(const std::string& user, const std::string& key) {
  return "/o/" + http::percentEncode(user) + "/" + http::percentEncode(key, true);
}

bool endsWith(const std::string& path, const char* ext) {
  return path.size() > std::strlen(ext) && path.ends_with(ext);
}

bool isCxx(const std::string& path) {
  for (const char* ext : {".cpp", ".cc", ".cxx", ".C", ".c++"})
    if (endsWith(path, ext)) return true;
  return false;
}

// Object files and archives on the command line are link inputs, not sources.
bool isLinkInput(const std::string& path) {
  return endsWith(path, ".a") || endsWith(path, ".o");
}

// What `func build` compiles and links, besides the SDK's own settings.
struct BuildSpec {
  std::vector<std::string> inputs;  // sources, .o and .a files
  std::vector<std::string> includeDirs, defines, libDirs, libs, extra;
  std::string out;
};

// The compiler command of a build: the SDK's flags (sdk_config.h), the
// project's include directories before the SDK's headers (a function's own
// ndpapi.h or faasm/*.h wins, as in Faasm's toolchain), then the sources,
// the link inputs and libraries before libfaasm (so they may use it), and
// the SDK's libraries last.
std::vector<std::string> buildCommand(const BuildSpec& b) {
  std::vector<std::string> sources, linkInputs;
  for (const auto& in : b.inputs)
    (isLinkInput(in) ? linkInputs : sources).push_back(in);
  bool cxx = std::any_of(sources.begin(), sources.end(), isCxx);
  std::vector<std::string> argv = {cxx ? NEARFAAS_SDK_CXX : NEARFAAS_SDK_CC};
  for (const char* f : {NEARFAAS_SDK_COMPILE_FLAGS})
    argv.push_back(f);
  if (cxx)
    for (const char* f : {NEARFAAS_SDK_CXX_FLAGS})
      argv.push_back(f);
  for (const auto& d : b.includeDirs)
    argv.push_back("-I" + d);
  argv.push_back("-I" NEARFAAS_SDK_INCLUDE_DIR);
  for (const auto& d : b.defines)
    argv.push_back("-D" + d);
  argv.insert(argv.end(), b.extra.begin(), b.extra.end());
  argv.insert(argv.end(), sources.begin(), sources.end());
  argv.insert(argv.end(), linkInputs.begin(), linkInputs.end());
  for (const char* f : {NEARFAAS_SDK_LINK_FLAGS})
    argv.push_back(f);
  for (const auto& d : b.libDirs)
    argv.push_back("-L" + d);
  for (const auto& l : b.libs)
    argv.push_back("-l" + l);
  argv.push_back(NEARFAAS_SDK_LIBFAASM);
  for (const char* f : {NEARFAAS_SDK_LINK_LIBS})
    argv.push_back(f);
  argv.push_back("-o");
  argv.push_back(b.out);
  return argv;
}

int buildFunction(const BuildSpec& b) {
  if (std::none_of(b.inputs.begin(), b.inputs.end(),
                   [](const std::string& in) { return !isLinkInput(in); }))
    return error("no C or C++ source among the inputs");
  auto r = runProcess(buildCommand(b), kBuildTimeout);
  if (!r) return error(r.error().message);
  std::fputs(r->output.c_str(), stderr);
  if (r->exitCode != 0) return error("compilation failed");
  return 0;
}

int addFunction(const NodeOptions& o, const std::string& user, const std::string& name,
                const std::string& file) {
  auto wasm = readFile(file);
  if (!wasm) return error(wasm.error().message);
  auto node = o.open();
  if (!node) return error(node.error().message);
  std::fprintf(stderr, "adding %s/%s (%.1f KB of wasm): validating and generating code...\n",
               user.c_str(), name.c_str(), wasm->size() / 1024.0);
  auto t0 = std::chrono::steady_clock::now();
  if (auto r = (*node)->functions().add(user, name, *wasm); !r) return error(r.error().message);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "added %s/%s in %.2f s\n", user.c_str(), name.c_str(), s);
  return 0;
}

int runFunction(const NodeOptions& o, const std::string& user, const std::string& name,
                const std::string& input, bool forbidNdp, const std::vector<std::string>& cmdline) {
  auto node = o.open();
  if (!node) return error(node.error().message);
  host::CallRequest req;
  req.user = user;
  req.function = name;
  req.input.assign(input.begin(), input.end());
  req.forbidNdp = forbidNdp;
  req.cmdline = cmdline;
  host::CallOutcome out = (*node)->scheduler().call(std::move(req));
  std::fwrite(out.stderrText.data(), 1, out.stderrText.size(), stderr);
  std::fwrite(out.stdoutText.data(), 1, out.stdoutText.size(), stderr);
  std::fwrite(out.output.data(), 1, out.output.size(), stdout);
  std::fflush(stdout);
  if (out.returnValue != 0) {
    std::fputc('\n', stdout);
    return error(out.error.empty() ? "function returned " + std::to_string(out.returnValue)
                                   : out.error);
  }
  return 0;
}

// Objects live in the local store, or on a server when `remote` is set.
int putObject(const NodeOptions& o, const ServerOptions* remote, const std::string& user,
              const std::string& key, const std::string& file) {
  if (auto v = storage::validateUser(user); !v) return error(v.error().message);
  auto data = readFile(file);
  if (!data) return error(data.error().message);
  if (remote) {
    http::Request req{"PUT", objectTarget(user, key)};
    req.body.assign(data->begin(), data->end());
    return send(*remote, remote->upload(), req) ? 0 : 1;
  }
  auto node = o.open();
  if (!node) return error(node.error().message);
  if (auto r = (*node)->objects().put(user, key, *data); !r) return error(r.error().message);
  return 0;
}

int getObject(const NodeOptions& o, const ServerOptions* remote, const std::string& user,
              const std::string& key) {
  if (auto v = storage::validateUser(user); !v) return error(v.error().message);
  if (remote) {
    auto r = send(*remote, remote->upload(), {"GET", objectTarget(user, key)});
    if (!r) return 1;
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    return 0;
  }
  auto node = o.open();
  if (!node) return error(node.error().message);
  auto data = (*node)->objects().get(user, key);
  if (!data) return error(data.error().message);
  std::fwrite(data->data(), 1, data->size(), stdout);
  return 0;
}

}  // namespace

void addFuncCommands(CLI::App& app, int& exitStatus) {
  auto* func = app.add_subcommand("func", "Build, add and run functions");
  func->require_subcommand(1);

  auto b = std::make_shared<BuildSpec>();
  auto* build = func->add_subcommand(
      "build",
      "Compile C/C++ sources into a function (.wasm) with the NearFaaS SDK, e.g.\n"
      "  nearfaas func build main.cpp util.cpp -I include -D N=4 -l m -o f.wasm");
  build
      ->add_option("inputs", b->inputs,
                   "C or C++ sources, and .o/.a files to link (before libfaasm)")
      ->required()
      ->check(CLI::ExistingFile);
  build->add_option("-o,--output", b->out, "output .wasm file")->required();
  build
      ->add_option("-I,--include-dir", b->includeDirs,
                   "include directory (repeatable), searched before the SDK's headers")
      ->check(CLI::ExistingDirectory)
      ->allow_extra_args(false);
  build
      ->add_option("-D,--define", b->defines,
                   "preprocessor definition NAME or NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  build->add_option("-L,--library-dir", b->libDirs, "library directory for -l (repeatable)")
      ->check(CLI::ExistingDirectory)
      ->allow_extra_args(false);
  build
      ->add_option(
          "-l,--library", b->libs,
          "link wasm32 library libNAME.a from a -L directory or the SDK sysroot (repeatable)")
      ->allow_extra_args(false);
  build->add_option("--flag", b->extra, "extra compiler flag (repeatable), e.g. --flag=-O3")
      ->allow_extra_args(false);
  build->callback([b, &exitStatus] { exitStatus = buildFunction(*b); });

  struct AddArgs {
    NodeOptions node;
    std::string user, name, file;
  };
  auto a = std::make_shared<AddArgs>();
  auto* add = func->add_subcommand(
      "add", "Put a function into the local store (validation and code generation included)");
  add->add_option("user", a->user, "user")->required();
  add->add_option("name", a->name, "function name")->required();
  add->add_option("file", a->file, "the function's .wasm")->required()->check(CLI::ExistingFile);
  a->node.addTo(*add, false);
  add->callback([a, &exitStatus] { exitStatus = addFunction(a->node, a->user, a->name, a->file); });

  struct RunArgs {
    NodeOptions node;
    std::string user, name, input;
    bool forbidNdp = false;
    std::vector<std::string> cmdline;
  };
  auto r = std::make_shared<RunArgs>();
  auto* run = func->add_subcommand(
      "run", "Run a function from the local store in this process and print its output");
  run->add_option("user", r->user, "user")->required();
  run->add_option("name", r->name, "function name")->required();
  run->add_option("--input", r->input, "input data");
  run->add_flag("--forbid-ndp", r->forbidNdp, "never offload NDP calls");
  run->add_option("--cmdline", r->cmdline, "extra argv for the function")->expected(0, -1);
  r->node.addTo(*run, true);
  run->callback([r, &exitStatus] {
    exitStatus = runFunction(r->node, r->user, r->name, r->input, r->forbidNdp, r->cmdline);
  });

  auto* obj =
      app.add_subcommand("obj", "Objects of users: in the local store, or on a server with --host");
  obj->require_subcommand(1);
  struct ObjArgs {
    NodeOptions node;
    ServerOptions server;
    CLI::Option* host = nullptr;
    std::string user, key, file;
    const ServerOptions* remote() const { return host->count() ? &server : nullptr; }
  };
  const std::string hostHelp = "use the server at this address instead of the local store";
  auto p = std::make_shared<ObjArgs>();
  auto* put = obj->add_subcommand("put", "Store FILE as object KEY of USER");
  put->add_option("user", p->user, "user (bucket)")->required();
  put->add_option("key", p->key, "object key")->required();
  put->add_option("file", p->file, "file with the contents")->required()->check(CLI::ExistingFile);
  p->node.addTo(*put, false);
  p->host = p->server.addTo(*put, hostHelp, true);
  put->callback(
      [p, &exitStatus] { exitStatus = putObject(p->node, p->remote(), p->user, p->key, p->file); });
  auto g = std::make_shared<ObjArgs>();
  auto* get = obj->add_subcommand("get", "Print object KEY of USER");
  get->add_option("user", g->user, "user (bucket)")->required();
  get->add_option("key", g->key, "object key")->required();
  g->node.addTo(*get, false);
  g->host = g->server.addTo(*get, hostHelp, true);
  get->callback(
      [g, &exitStatus] { exitStatus = getObject(g->node, g->remote(), g->user, g->key); });
}

}  // namespace nearfaas::cli
