// The upload endpoint, as Faasm's upload server (default port 8002):
// functions (/f), state values (/s), shared files (/file + FilePath header),
// plus NearFaaS's user objects (/o) and function downloads (GET /f), and
// token management (/token, admin only). With a TokenStore every request but
// /ping needs a bearer token (http/access.h).
// docs/http-api.md lists every request and answer.
//
// Store work (reads, writes, validation and code generation on upload) is
// blocking, so it runs on a small pool of worker threads owned here, never
// on the server's I/O threads.
#pragma once

#include <memory>

#include "auth/tokens.h"
#include "http/access.h"
#include "http/server.h"
#include "sched/node.h"

namespace boost::asio {
class thread_pool;
}

namespace nearfaas::http {

struct UploadSettings {
  unsigned workers = 2;  // threads for store work and code generation
};

class UploadService {
 public:
  // `node` (and `tokens`, if any) must outlive this. `tokens` nullptr: no
  // authentication.
  explicit UploadService(sched::Node& node, UploadSettings settings = {},
                         auth::TokenStore* tokens = nullptr);
  ~UploadService();  // waits for work in progress
  UploadService(const UploadService&) = delete;
  UploadService& operator=(const UploadService&) = delete;

  void handle(Request request, Responder respond);

 private:
  Response route(const Request& request);
  Response routeAs(const Request& request, const Caller& caller);
  Response tokens(const Request& request, const std::vector<std::string>& parts);

  sched::Node& node_;
  auth::TokenStore* tokens_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace nearfaas::http
