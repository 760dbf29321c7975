#include "http/server.h"

#include "base/bytes.h"

#include <spdlog/spdlog.h>

#include <strings.h>
#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace nearfaas::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

const std::string* findHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  return nullptr;
}

Result<void> validateAllowedOrigin(std::string_view origin) {
  auto bad = [&](const char* why) {
    return fail("invalid allowed origin '", std::string(origin), "': ", why,
                " (expected scheme://host[:port], e.g. http://localhost:3000, or *)");
  };
  if (origin == "*") return {};
  size_t sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0) return bad("no scheme");
  for (size_t i = 0; i < sep; ++i) {
    char c = origin[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return bad("invalid scheme");
  }
  std::string_view rest = origin.substr(sep + 3);
  if (rest.empty()) return bad("no host");
  size_t hostEnd = rest.size();
  if (rest.front() == '[') {  // IPv6 literal
    hostEnd = rest.find(']');
    if (hostEnd == std::string_view::npos) return bad("unclosed [");
    ++hostEnd;
  } else {
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == ':') {
        hostEnd = i;
        break;
      }
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
        return bad("a path, query or invalid character after the host");
    }
    if (hostEnd == 0) return bad("no host");
  }
  std::string_view port = rest.substr(hostEnd);
  if (!port.empty()) {
    if (port.size() < 2 || port.size() > 6 || port.front() != ':') return bad("invalid port");
    for (char c : port.substr(1))
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad("invalid port");
  }
  return {};
}

Result<void> validateAllowedHost(std::string_view host) {
  if (host.empty()) return fail("invalid allowed host: empty");
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
      return fail("invalid allowed host '", printable(host),
                  "': expected a host name without port, e.g. faas.example.com");
  return {};
}

namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool isLoopbackAddress(const std::string& address) {
  if (equalsIgnoringCase(address, "localhost")) return true;
  beast::error_code ec;
  auto a = net::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

// Whether a request with Host header `host` ("name[:port]", "a.b.c.d[:port]"
// or "[v6][:port]") is served; see DNS rebinding in server.h.
bool hostAllowed(std::string_view host, const ServerSettings& settings, bool loopback) {
  if (host.starts_with('[')) return true;  // an IPv6 literal
  std::string_view name = host.substr(0, host.rfind(':'));
  if (name.empty()) return false;
  beast::error_code ec;
  net::ip::make_address_v4(std::string(name), ec);
  if (!ec) return true;  // an IPv4 literal
  if (equalsIgnoringCase(name, "localhost")) return true;
  if (name.size() > 10 && equalsIgnoringCase(name.substr(name.size() - 10), ".localhost"))
    return true;
  const auto& allowed = settings.allowedHosts;
  if (allowed.empty()) return !loopback;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return equalsIgnoringCase(a, name); });
}

// Methods a page of an allowed origin may use, and how long its browser may
// cache that answer.
constexpr const char* kCorsMethods = "GET, POST, PUT, OPTIONS";
constexpr const char* kCorsMaxAgeSeconds = "600";

// After an accept failure (e.g. out of file descriptors), wait this long
// before accepting again rather than spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
// After answering a request that will not be read (too large, malformed), the
// rest of what the client sends is read and dropped for at most this long
// before the connection closes, so that the client gets to read the answer
// rather than a reset (the readTimeout setting bounds it too).
constexpr auto kMaxLinger = std::chrono::seconds(5);
constexpr size_t kLingerReadBytes = 64 << 10;

class Connection;

// Whether answers may still be posted to the io_context. stop() closes it
// under the exclusive lock, so an answer that saw it open is posted before
// the io_context stops (and long before it is destroyed).
struct Gate {
  std::shared_mutex mutex;
  bool open = true;
};

}  // namespace

namespace detail {
struct PendingAnswer {
  std::shared_ptr<Gate> gate;
  std::weak_ptr<Connection> connection;  // the server's registry owns connections
  std::atomic<bool> answered{false};

  void answer(Response response);
  ~PendingAnswer() {
    if (!answered.load())
      answer(textResponse(500, "Internal error: the request was not answered\n"));
  }
};
}  // namespace detail

struct Server::Impl {
  explicit Impl(const ServerSettings& s, Handler h) : settings(s), handler(std::move(h)) {}

  void accept();
  void track(const std::shared_ptr<Connection>& c);
  void forget(Connection* c);
  void owe() {
    std::lock_guard l(idleMutex);
    ++owed;
  }
  void paid() {
    std::lock_guard l(idleMutex);
    if (--owed == 0) idle.notify_all();
  }

  const ServerSettings settings;
  const bool loopback = isLoopbackAddress(settings.address);  // for hostAllowed()
  const Handler handler;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::atomic<bool> draining{false};

  std::mutex idleMutex;
  std::condition_variable idle;
  size_t owed = 0;  // requests handed to the handler whose answer is not written yet

  // Every open connection; a connection leaves when it closes, and the rest
  // are dropped by stop(). While a connection awaits its handler's answer
  // nothing else refers to it strongly, so this keeps it alive.
  std::mutex connMutex;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;

  std::vector<std::thread> threads;
  bool stopped = false;

  // Destroyed before the members above: connections destroyed with its
  // pending handlers may still use them.
  net::io_context ioc;
  // Keeps the threads running while no operation is pending, e.g. while the
  // only connections await their handlers' answers after the acceptor closed.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  net::steady_timer retryTimer{ioc};
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {}
  ~Connection() {
    if (owes_) server_.paid();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->readHeader(); });
  }
  net::any_io_executor executor() { return stream_.get_executor(); }

  // On the connection's strand.
  void answer(Response r) {
    bhttp::response<bhttp::string_body> res;
    res.version(version_);
    res.result(r.status);
    res.set(bhttp::field::server, server_.settings.name);
    res.set(bhttp::field::content_type, r.contentType);
    if (!corsOrigin_.empty()) {
      res.set(bhttp::field::access_control_allow_origin, corsOrigin_);
      res.set(bhttp::field::vary, "Origin");
    }
    for (auto& [k, v] : r.headers)
      res.insert(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keepAlive_ && !server_.draining.load());
    res.prepare_payload();
    write(std::move(res));
  }

 private:
  void readHeader() {
    corsOrigin_.clear();
    parser_.emplace();
    parser_->body_limit(server_.settings.maxBodyBytes);
    parser_->header_limit(static_cast<uint32_t>(server_.settings.maxHeaderBytes));
    // One deadline for the whole request: slow senders cannot stretch it.
    stream_.expires_after(server_.settings.readTimeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (ec) return onReadError(ec);
    auto& req = parser_->get();
    // Clients such as curl wait for this before sending a large body.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       req.version());
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                           if (ec) return self->close();
                           self->readBody();
                         });
      return;
    }
    readBody();
  }

  void readBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->onReadError(ec);
                        self->onRequest();
                      });
  }

  void onReadError(beast::error_code ec) {
    // The peer went away, or was too slow (the stream closes itself on timeout).
    bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (!malformed) return close();
    // A malformed or oversized request: say so, then close (the rest of the
    // stream cannot be trusted to be aligned on a request boundary).
    keepAlive_ = false;
    linger_ = true;
    version_ = 11;
    unsigned status = 400;
    std::string text = "Bad request: " + ec.message() + "\n";
    if (ec == bhttp::error::body_limit) {
      status = 413;
      text = "Request body too large (limit " + std::to_string(server_.settings.maxBodyBytes) +
             " bytes)\n";
    } else if (ec == bhttp::error::header_limit) {
      status = 431;
      text = "Request header too large\n";
    }
    owes_ = true;
    server_.owe();
    answer(textResponse(status, std::move(text)));
  }

  void onRequest() {
    stream_.expires_never();  // the handler may take its time; nothing is read meanwhile
    auto req = parser_->release();
    version_ = req.version();
    keepAlive_ = req.keep_alive();
    owes_ = true;
    server_.owe();
    if (server_.draining.load()) return answer(textResponse(503, "server shutting down\n"));
    if (auto refused = checkHost(req)) return answer(std::move(*refused));
    if (auto refused = checkOrigin(req)) return answer(std::move(*refused));

    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers.reserve(8);
    for (const auto& f : req)
      request.headers.emplace_back(f.name_string(), f.value());
    request.body = std::move(req.body());

    auto pending = std::make_shared<detail::PendingAnswer>();
    pending->gate = server_.gate;
    pending->connection = weak_from_this();
    try {
      server_.handler(std::move(request), Responder(pending));
    } catch (const std::exception& e) {
      Responder respond(pending);
      respond(textResponse(500, std::string("Internal error: ") + e.what() + "\n"));
    }
  }

  // A request whose Host names this server by a name it does not answer to
  // (DNS rebinding): the answer that refuses it; otherwise nullopt.
  std::optional<Response> checkHost(const bhttp::request<bhttp::string_body>& req) {
    auto host = req.find(bhttp::field::host);
    if (host == req.end()) return std::nullopt;
    std::string_view h(host->value().data(), host->value().size());
    if (hostAllowed(h, server_.settings, server_.loopback)) return std::nullopt;
    spdlog::warn("{}: refused {} {} for host '{}'", server_.settings.name,
                 std::string(req.method_string()), printable(std::string(req.target())),
                 printable(h));
    return textResponse(403, "Host '" + printable(h) +
                                 "' is not allowed (a server reached by a name must be told the "
                                 "name: nearfaas serve --allow-host NAME)\n");
  }

  // A request from a web page (it carries Origin) whose origin is not
  // allowed: the answer that refuses it. Otherwise nullopt, with corsOrigin_
  // set for an allowed origin. OPTIONS is answered here in every case.
  std::optional<Response> checkOrigin(const bhttp::request<bhttp::string_body>& req) {
    bool preflight = req.method() == bhttp::verb::options;
    auto origin = req.find(bhttp::field::origin);
    if (origin == req.end()) {
      if (!preflight) return std::nullopt;
      Response r = textResponse(200, "");
      r.headers.emplace_back("Allow", kCorsMethods);
      return r;
    }
    std::string_view o(origin->value().data(), origin->value().size());
    const auto& allowed = server_.settings.allowedOrigins;
    bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
    bool listed = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
      return a.size() == o.size() && strncasecmp(a.data(), o.data(), a.size()) == 0;
    });
    if (!any && !listed) {
      spdlog::warn("{}: refused {} {} from origin '{}'", server_.settings.name,
                   std::string(req.method_string()), printable(std::string(req.target())),
                   printable(o));
      return textResponse(403, "Origin '" + printable(o) +
                                   "' is not allowed (a web page may use this server only if "
                                   "its origin is allowed: nearfaas serve --allow-origin)\n");
    }
    corsOrigin_ = any ? "*" : std::string(o);
    if (!preflight) return std::nullopt;
    Response r = textResponse(200, "");
    r.headers.emplace_back("Access-Control-Allow-Methods", kCorsMethods);
    r.headers.emplace_back("Access-Control-Allow-Headers", "*");
    r.headers.emplace_back("Access-Control-Max-Age", kCorsMaxAgeSeconds);
    return r;
  }

  void write(bhttp::response<bhttp::string_body>&& res) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(std::move(res));
    stream_.expires_after(server_.settings.writeTimeout);
    bhttp::async_write(stream_, *msg,
                       [self = shared_from_this(), msg](beast::error_code ec, size_t) {
                         self->onWrite(ec, msg->keep_alive());
                       });
  }

  void onWrite(beast::error_code ec, bool keepAlive) {
    if (owes_) {
      owes_ = false;
      server_.paid();
    }
    if (!ec && linger_) return linger();
    if (ec || !keepAlive) return close();
    readHeader();
  }

  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(server_.settings.readTimeout, kMaxLinger));
    drain();
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kLingerReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
    server_.forget(this);  // may destroy this; nothing may follow
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& server_;  // outlives every connection (see Impl::ioc)
  unsigned version_ = 11;
  bool keepAlive_ = false;
  bool owes_ = false;       // counted in Impl::owed
  bool linger_ = false;     // drain the input after this answer, then close
  std::string corsOrigin_;  // Access-Control-Allow-Origin of this request's answer
};

}  // namespace

void detail::PendingAnswer::answer(Response response) {
  if (answered.exchange(true)) return;
  std::shared_lock l(gate->mutex);
  if (!gate->open) return;
  auto c = connection.lock();
  if (!c) return;
  net::dispatch(c->executor(), [c, r = std::move(response)]() mutable { c->answer(std::move(r)); });
}

void Responder::operator()(Response response) const {
  p_->answer(std::move(response));
}

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      spdlog::warn("{}: accept failed: {}", settings.name, ec.message());
      retryTimer.expires_after(kAcceptRetryDelay);
      retryTimer.async_wait([this](beast::error_code e) {
        if (!e && acceptor.is_open()) accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto c = std::make_shared<Connection>(std::move(socket), *this);
    track(c);
    c->start();
    accept();
  });
}

void Server::Impl::track(const std::shared_ptr<Connection>& c) {
  std::lock_guard l(connMutex);
  connections.emplace(c.get(), c);
}

void Server::Impl::forget(Connection* c) {
  std::shared_ptr<Connection> last;  // destroyed after the lock is released
  std::lock_guard l(connMutex);
  if (auto it = connections.find(c); it != connections.end()) {
    last = std::move(it->second);
    connections.erase(it);
  }
}

Result<std::unique_ptr<Server>> Server::start(const ServerSettings& settings, Handler handler) {
  for (const auto& origin : settings.allowedOrigins)
    if (auto v = validateAllowedOrigin(origin); !v) return std::unexpected(v.error());
  for (const auto& host : settings.allowedHosts)
    if (auto v = validateAllowedHost(host); !v) return std::unexpected(v.error());
  std::unique_ptr<Server> s(new Server(settings));
  s->impl_ = std::make_shared<Impl>(settings, std::move(handler));
  Impl& impl = *s->impl_;
  std::string where = settings.address + ":" + std::to_string(settings.port);

  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(settings.address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, settings.port);
  } else {
    tcp::resolver resolver(impl.ioc);
    auto found = resolver.resolve(settings.address, std::to_string(settings.port), ec);
    if (ec || found.empty())
      return fail("cannot listen on ", where, ": cannot resolve '", settings.address,
                  "': ", ec.message());
    endpoint = found.begin()->endpoint();
  }
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on ", where, ": ", ec.message());
  s->port_ = impl.acceptor.local_endpoint().port();

  impl.accept();
  unsigned n = std::max(1u, settings.threads);
  for (unsigned i = 0; i < n; ++i)
    impl.threads.emplace_back([&impl] {
      for (;;) {
        try {
          impl.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("{}: {}", impl.settings.name, e.what());
        }
      }
    });
  return s;
}

Server::~Server() {
  stop();
}

void Server::beginShutdown() {
  if (!impl_ || impl_->draining.exchange(true)) return;
  Impl& impl = *impl_;
  net::post(impl.ioc, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    impl.retryTimer.cancel();
  });
}

bool Server::waitIdle(std::chrono::milliseconds timeout) {
  if (!impl_) return true;
  std::unique_lock l(impl_->idleMutex);
  return impl_->idle.wait_for(l, timeout, [&] { return impl_->owed == 0; });
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  Impl& impl = *impl_;
  impl.stopped = true;
  {
    std::unique_lock l(impl.gate->mutex);
    impl.gate->open = false;
  }
  impl.draining = true;
  impl.ioc.stop();
  for (auto& t : impl.threads)
    t.join();
  impl.threads.clear();
  // Connections still referred to by abandoned handlers go with the io_context.
  std::unordered_map<Connection*, std::shared_ptr<Connection>> rest;
  {
    std::lock_guard l(impl.connMutex);
    rest.swap(impl.connections);
  }
  rest.clear();
  impl_.reset();
}

}  // namespace nearfaas::http
