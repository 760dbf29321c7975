#include "http/upload.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "http/url.h"
#include "state/state_store.h"
#include "state/state_sync.h"
#include "storage/buckets.h"

namespace nearfaas::http {

namespace {

using storage::StoreErrorCode;

// The texts Faasm answers with (clients may compare them).
constexpr const char* kPong = "PONG";
constexpr const char* kFunctionUploaded = "Function upload complete\n";
constexpr const char* kStateUploaded = "State upload complete\n";
constexpr const char* kFileUploaded = "Shared file uploaded\n";
constexpr const char* kObjectUploaded = "Object upload complete\n";
constexpr const char* kFilePathHeader = "FilePath";

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Response binary(Bytes data, std::string contentType = "application/octet-stream") {
  Response r;
  r.body.assign(data.begin(), data.end());
  r.contentType = std::move(contentType);
  return r;
}

Response error(unsigned status, std::string message) {
  return textResponse(status, std::move(message));
}

Response storeError(const storage::StoreError& e) {
  switch (e.code) {
    case StoreErrorCode::NotFound:
      return error(404, e.message);
    case StoreErrorCode::InvalidBucket:
    case StoreErrorCode::InvalidKey:
      return error(400, e.message);
    case StoreErrorCode::TooLarge:
      return error(413, e.message);
    case StoreErrorCode::Conflict:
      return error(409, e.message);
    case StoreErrorCode::Io:
      break;
  }
  return error(500, e.message);
}

Response stateError(const state::StateError& e) {
  switch (e.kind) {
    case state::StateError::InvalidKey:
      return error(400, e.message);
    case state::StateError::TooLarge:
      return error(413, e.message);
    case state::StateError::UserLimit:
    case state::StateError::NodeLimit:
      return error(507, e.message);
    case state::StateError::System:
      break;
  }
  return error(500, e.message);
}

Response functionError(const sched::FunctionError& e) {
  switch (e.kind) {
    case sched::FunctionError::InvalidName:
    case sched::FunctionError::InvalidModule:
      return error(400, e.message);
    case sched::FunctionError::NotFound:
      return error(404, e.message);
    case sched::FunctionError::Storage:
      break;
  }
  return error(500, e.message);
}

}  // namespace

UploadService::UploadService(sched::Node& node, UploadSettings settings, auth::TokenStore* tokens)
    : node_(node),
      tokens_(tokens),
      pool_(std::make_unique<boost::asio::thread_pool>(std::max(1u, settings.workers))) {}

UploadService::~UploadService() {
  pool_->join();
}

void UploadService::handle(Request request, Responder respond) {
  if (request.method == "GET" && request.target == "/ping")
    return respond(textResponse(200, kPong));
  boost::asio::post(*pool_, [this, request = std::move(request), respond] {
    auto t0 = std::chrono::steady_clock::now();
    Response r = route(request);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("upload: {} {} ({} bytes) -> {} in {:.1f} ms", request.method, request.target,
                 request.body.size(), r.status, ms);
    respond(std::move(r));
  });
}

Response UploadService::route(const Request& req) {
  auto caller = authenticate(tokens_, req);
  if (!caller) return std::move(caller.error());
  return routeAs(req, *caller);
}

// PUT /token/<user>: a new token (JSON id, user, token); GET /token[/<user>]:
// the tokens (JSON list of id, user, created); DELETE /token/<id or user>.
Response UploadService::tokens(const Request& req, const std::vector<std::string>& parts) {
  if (!tokens_) return error(404, "Tokens are off on this server (it runs with --auth off)");
  auto json = [](const nlohmann::json& j) {
    Response r = textResponse(200, j.dump());
    r.contentType = "application/json";
    return r;
  };
  auto info = [](const auth::TokenInfo& t) {
    return nlohmann::json{{"id", t.id}, {"user", t.user}, {"created", t.created}};
  };
  if (req.method == "PUT" && parts.size() == 2) {
    auto t = tokens_->create(parts[1]);
    if (!t) return error(400, t.error().message);
    spdlog::info("token {} created for user {}", t->info.id, t->info.user);
    return json({{"id", t->info.id}, {"user", t->info.user}, {"token", t->token}});
  }
  if (req.method == "GET" && parts.size() <= 2) {
    auto l = tokens_->list(parts.size() == 2 ? parts[1] : std::string());
    if (!l) return error(500, l.error().message);
    auto j = nlohmann::json::array();
    for (const auto& t : *l)
      j.push_back(info(t));
    return json(j);
  }
  if (req.method == "DELETE" && parts.size() == 2) {
    auto r = tokens_->revoke(parts[1]);
    if (!r) return error(500, r.error().message);
    if (r->empty()) return error(404, "No token with id, or of user, " + printable(parts[1]));
    auto j = nlohmann::json::array();
    for (const auto& t : *r) {
      spdlog::info("token {} of user {} revoked", t.id, t.user);
      j.push_back(info(t));
    }
    return json(j);
  }
  return error(400, "Expected PUT /token/USER, GET /token[/USER] or DELETE /token/ID-OR-USER");
}

Response UploadService::routeAs(const Request& req, const Caller& caller) {
  const std::string& uri = req.target;
  auto parts = splitPath(uri);
  if (!parts) return error(400, "Bad URL, malformed percent-encoding in " + uri);
  if (!parts->empty() && (*parts)[0] == "token") {
    if (auto no = requireAdmin(caller, "token management")) return std::move(*no);
    return tokens(req, *parts);
  }
  bool get = req.method == "GET", put = req.method == "PUT";
  if (!get && !put) return error(405, "Method not allowed: " + req.method);
  auto unrecognised = [&] {
    return error(400, std::string("Unrecognised ") + (get ? "GET" : "PUT") + " request to " + uri);
  };
  if (parts->empty()) return unrecognised();
  const std::string& kind = (*parts)[0];

  if (kind == "ping" && get && parts->size() == 1) return textResponse(200, kPong);

  if (kind == "file" && parts->size() == 1) {
    const std::string* path = req.header(kFilePathHeader);
    if (!path) return error(400, "Bad request, expected file path header FilePath");
    std::string key = path->starts_with('/') ? path->substr(1) : *path;
    if (auto v = storage::validateKey(key); !v)
      return error(400, "Invalid file path: " + v.error().message);
    if (put) {
      // Shared files are one namespace for every user's functions.
      if (auto no = requireAdmin(caller, "uploading a shared file")) return std::move(*no);
      if (req.body.empty()) return textResponse(200, kFileUploaded);  // as Faasm: a no-op
      if (auto r = node_.objects().put(storage::kSharedFilesBucket, key, bytes(req.body)); !r)
        return storeError(r.error());
      return textResponse(200, kFileUploaded);
    }
    auto data = node_.objects().get(storage::kSharedFilesBucket, key);
    if (!data) {
      if (data.error().code == StoreErrorCode::NotFound)
        return error(404, "No shared file " + *path);
      return storeError(data.error());
    }
    return binary(std::move(*data));
  }

  if (kind != "f" && kind != "s" && kind != "o" && kind != "p") return unrecognised();
  // /f, /s and /p name exactly a user and one name; /o keys may contain '/'.
  if (parts->size() < 3 || (kind != "o" && parts->size() != 3))
    return error(400, "Bad URL, expected single path part " + uri);
  const std::string& user = (*parts)[1];
  if (auto no = requireUser(caller, user)) return std::move(*no);

  if (kind == "p") return error(501, "Python functions are not supported");

  if (kind == "f") {
    const std::string& name = (*parts)[2];
    if (get) {
      auto wasm = node_.functions().wasm(user, name);
      if (!wasm) return functionError(wasm.error());
      return binary(std::move(*wasm), "application/wasm");
    }
    if (auto r = node_.functions().add(user, name, bytes(req.body)); !r)
      return functionError(r.error());
    return textResponse(200, kFunctionUploaded);
  }

  if (auto v = storage::validateUser(user); !v)
    return error(400, "Invalid user: " + v.error().message);

  if (kind == "s") {
    const std::string& key = (*parts)[2];
    if (auto v = state::validateStateKey(key, node_.state().limits()); !v)
      return error(400, v.error().message);
    // In a cluster the global value is the one clients see.
    state::GlobalStateTier* tier = node_.state().globalTier();
    if (get && tier) {
      auto bytes = tier->get(user, key);
      if (!bytes) return error(503, "State unavailable: " + bytes.error().message);
      if (bytes->empty()) return error(404, "No state value " + user + "/" + key);
      return binary(std::move(*bytes));
    }
    if (get) {
      auto value = node_.state().find(user, key);
      if (!value) return error(404, "No state value " + user + "/" + key);
      return binary(value->readAll());
    }
    if (req.body.empty()) return textResponse(200, kStateUploaded);  // as Faasm: a no-op
    if (req.body.size() > node_.state().limits().maxValueSize)
      return error(413, "State value too large (limit " +
                            std::to_string(node_.state().limits().maxValueSize) + " bytes)");
    auto value = node_.state().value(user, key);
    if (!value) return stateError(value.error());
    if (auto r = (*value)->set(bytes(req.body)); !r) return stateError(r.error());
    if (tier)
      if (auto r = state::pushAll(*tier, user, key, **value); !r)
        return error(503, "State unavailable: " + r.error().message);
    return textResponse(200, kStateUploaded);
  }

  // kind == "o": user objects, bucket = user.
  std::string key = (*parts)[2];
  for (size_t i = 3; i < parts->size(); ++i)
    key += "/" + (*parts)[i];
  if (put) {
    if (auto r = node_.objects().put(user, key, bytes(req.body)); !r) return storeError(r.error());
    return textResponse(200, kObjectUploaded);
  }
  auto data = node_.objects().get(user, key);
  if (!data) {
    if (data.error().code == StoreErrorCode::NotFound)
      return error(404, "No object " + user + "/" + key);
    return storeError(data.error());
  }
  return binary(std::move(*data));
}

}  // namespace nearfaas::http
