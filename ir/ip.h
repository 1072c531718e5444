// IP addresses and CIDR prefixes, IPv4 and IPv6, as plain value types.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nv::ir {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

struct IpAddr {
  Family family = Family::V4;
  // Network byte order; an IPv4 address uses bytes[0..3] and leaves the rest zero.
  std::array<uint8_t, 16> bytes{};

  auto operator<=>(const IpAddr&) const = default;

  int bits() const { return family == Family::V4 ? 32 : 128; }
  bool bit(int i) const { return (bytes[i / 8] >> (7 - i % 8)) & 1; }
  std::string str() const;

  // Accepts dotted-quad IPv4 and any RFC 4291 IPv6 text form.
  static std::optional<IpAddr> parse(std::string_view text);
};

// For hash maps keyed by address.
struct IpAddrHash {
  size_t operator()(const IpAddr& a) const {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint8_t>(a.family);
    for (uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

struct Cidr {
  IpAddr addr;  // host bits are always zero
  int len = 0;

  auto operator<=>(const Cidr&) const = default;

  Family family() const { return addr.family; }
  bool contains(const IpAddr& a) const;
  // True when every address of `inner` is in this prefix.
  bool contains(const Cidr& inner) const;
  std::string str() const;

  // "a.b.c.d/n" or "x::/n". Host bits are cleared (Kubernetes accepts them);
  // `had_host_bits` reports whether any were set.
  static std::optional<Cidr> parse(std::string_view text, bool* had_host_bits = nullptr);
  static Cidr host(const IpAddr& a) { return Cidr{a, a.bits()}; }
};

}  // namespace nv::ir
