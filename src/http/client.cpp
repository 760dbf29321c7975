#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>

namespace nearfaas::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<Response> fetch(const Endpoint& to, const Request& request,
                       std::chrono::milliseconds timeout) {
  std::string where = to.host + ":" + std::to_string(to.port);
  net::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(to.host, std::to_string(to.port), ec);
  if (ec) return fail("cannot resolve ", to.host, ": ", ec.message());

  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(request.target.empty() ? "/" : request.target);
  req.version(11);
  req.set(bhttp::field::host, to.host);
  req.set(bhttp::field::user_agent, "nearfaas");
  for (const auto& [k, v] : request.headers)
    req.set(k, v);
  req.body() = request.body;
  req.keep_alive(false);
  req.prepare_payload();

  // The exchange runs asynchronously on this thread's io_context, because
  // only asynchronous operations honour the stream's deadline.
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  std::string stage = "connect to";
  beast::error_code failure;
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) return void(failure = e);
    stage = "send to";
    bhttp::async_write(stream, req, [&](beast::error_code e, size_t) {
      if (e) return void(failure = e);
      stage = "read the response from";
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { failure = e; });
    });
  });
  ioc.run();
  if (failure) {
    if (failure == beast::error::timeout)
      return fail("cannot ", stage, " ", where, ": no answer within ", timeout.count(), " ms");
    return fail("cannot ", stage, " ", where, ": ", failure.message());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  auto& res = parser.get();
  Response out;
  out.status = res.result_int();
  out.contentType.clear();
  for (const auto& f : res) {
    if (f.name() == bhttp::field::content_type)
      out.contentType = std::string(f.value());
    else
      out.headers.emplace_back(f.name_string(), f.value());
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace nearfaas::http
