#include "base/bytes.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace nearfaas {

namespace {
constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* data, size_t len) {
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}
}  // namespace

std::string sha256Hex(std::span<const uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return hex(digest, len);
}

Result<std::string> hmacSha256Hex(std::string_view key,
                                  std::initializer_list<std::string_view> parts) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  char digestName[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digestName, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  bool ok = ctx && EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                                params) == 1;
  for (auto part : parts)
    ok = ok &&
         EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  ok = ok && EVP_MAC_final(ctx, out, &len, sizeof out) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) return fail("HMAC-SHA256 is not available from OpenSSL");
  return hex(out, len);
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string printable(std::string_view text, size_t maxBytes) {
  std::string out;
  size_t shown = std::min(text.size(), maxBytes);
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (shown < text.size()) out += "...(" + std::to_string(text.size() - shown) + " more bytes)";
  return out;
}

std::string sha256Hex(std::string_view data) {
  return sha256Hex(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Result<void> checkPrivateFile(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) return fail(file.string(), ": ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(file.string(), " is not a regular file");
  if (st.st_uid != ::geteuid())
    return fail(file.string(), " is owned by user ", std::to_string(st.st_uid),
                ", not by this one");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return fail(file.string(), " is writable by other users");
  std::error_code ec;
  auto dir = std::filesystem::canonical(std::filesystem::absolute(file, ec).parent_path(), ec);
  if (ec) return fail(file.string(), ": ", ec.message());
  for (;;) {
    if (::stat(dir.c_str(), &st) != 0) return fail(dir.string(), ": ", std::strerror(errno));
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
      return fail("directory ", dir.string(), " is owned by user ", std::to_string(st.st_uid));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
      return fail("directory ", dir.string(), " is writable by other users");
    if (dir == dir.root_path()) return {};
    dir = dir.parent_path();
  }
}

Result<Bytes> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open ", path.string(), ": ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) return fail("cannot read ", path.string());
  in.seekg(0);
  Bytes data(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(data.data()), size))
    return fail("cannot read ", path.string(), ": ", std::strerror(errno));
  return data;
}

Result<void> writeFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data) {
  static std::atomic<uint64_t> counter{0};
  auto tmp = path;
  tmp += ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create ", tmp.string(), ": ", std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("cannot write ", tmp.string(), ": ", std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail("cannot rename ", tmp.string(), " to ", path.string(), ": ", std::strerror(err));
  }
  return {};
}

Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view data) {
  return writeFileAtomic(path,
                         std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

}  // namespace nearfaas
