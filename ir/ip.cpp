#include "ir/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace nv::ir {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  if (text.find(':') == std::string_view::npos) {
    a.family = Family::V4;
    if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
  } else {
    a.family = Family::V6;
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  }
  return a;
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

static bool prefix_equal(const IpAddr& a, const IpAddr& b, int len) {
  for (int i = 0; i < len / 8; ++i)
    if (a.bytes[i] != b.bytes[i]) return false;
  if (len % 8 == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - len % 8));
  return (a.bytes[len / 8] & mask) == (b.bytes[len / 8] & mask);
}

bool Cidr::contains(const IpAddr& a) const {
  return a.family == addr.family && prefix_equal(a, addr, len);
}

bool Cidr::contains(const Cidr& inner) const {
  return inner.family() == family() && inner.len >= len && prefix_equal(inner.addr, addr, len);
}

std::string Cidr::str() const { return addr.str() + "/" + std::to_string(len); }

std::optional<Cidr> Cidr::parse(std::string_view text, bool* had_host_bits) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = IpAddr::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  auto lenText = text.substr(slash + 1);
  int len = -1;
  if (lenText.empty() || lenText.size() > 3 || (lenText.size() > 1 && lenText[0] == '0'))
    return std::nullopt;
  auto [p, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
  if (ec != std::errc() || p != lenText.data() + lenText.size() || len < 0 || len > a->bits())
    return std::nullopt;
  Cidr c{*a, len};
  bool host = false;
  for (int i = len; i < a->bits(); ++i) {
    if (c.addr.bit(i)) host = true;
  }
  for (int i = len; i < a->bits(); ++i) c.addr.bytes[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  if (had_host_bits) *had_host_bits = host;
  return c;
}

}  // namespace nv::ir
