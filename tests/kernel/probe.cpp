#include "tests/kernel/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ir/model.h"

namespace nv::kernel {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

// Fills in the SCTP checksum: CRC32c over the packet with a zero checksum field, stored
// least significant byte first (RFC 4960 appendix B; Linux's sctp_compute_cksum).
void seal(std::vector<uint8_t>& pkt) {
  std::memset(pkt.data() + 8, 0, 4);
  uint32_t crc = crc32c(pkt.data(), pkt.size());
  for (int i = 0; i < 4; ++i) pkt[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

std::vector<uint8_t> sctp_init(uint16_t sport, uint16_t dport, uint32_t tag) {
  std::vector<uint8_t> p(32, 0);
  put16(&p[0], sport);
  put16(&p[2], dport);
  // verification tag 0 in an INIT
  p[12] = 1;  // INIT
  put16(&p[14], 20);
  put32(&p[16], tag);      // initiate tag
  put32(&p[20], 65536);    // a_rwnd
  put16(&p[24], 10);       // outbound streams
  put16(&p[26], 10);       // inbound streams
  put32(&p[28], tag ^ 0x1234567u);  // initial TSN
  seal(p);
  return p;
}

std::vector<uint8_t> sctp_init_ack(uint16_t sport, uint16_t dport, uint32_t peer_tag) {
  std::vector<uint8_t> p(44, 0);
  put16(&p[0], sport);
  put16(&p[2], dport);
  put32(&p[4], peer_tag);
  p[12] = 2;  // INIT ACK
  put16(&p[14], 32);
  put32(&p[16], ~peer_tag ? ~peer_tag : 1);
  put32(&p[20], 65536);
  put16(&p[24], 10);
  put16(&p[26], 10);
  put32(&p[28], peer_tag ^ 0x7654321u);
  put16(&p[32], 7);   // State Cookie
  put16(&p[34], 12);
  put32(&p[36], 0x6e766b21);  // "nvk!"
  put32(&p[40], peer_tag);
  seal(p);
  return p;
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

SockAddr sockaddr_of(const ir::IpAddr& a, uint16_t port) {
  SockAddr s;
  if (a.family == ir::Family::V4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&s.ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, a.bytes.data(), 4);
    s.len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&s.ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, a.bytes.data(), 16);
    s.len = sizeof(sockaddr_in6);
  }
  return s;
}

// The address of a sockaddr; IPv4-mapped IPv6 addresses come back as IPv4.
ir::IpAddr addr_of(const sockaddr_storage& ss) {
  ir::IpAddr a;
  if (ss.ss_family == AF_INET) {
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    return a;
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&in6)) {
    std::memcpy(a.bytes.data(), in6.s6_addr + 12, 4);
    return a;
  }
  a.family = ir::Family::V6;
  std::memcpy(a.bytes.data(), in6.s6_addr, 16);
  return a;
}

int domain(ir::Family f) { return f == ir::Family::V4 ? AF_INET : AF_INET6; }

void set_int(int fd, int level, int opt, int value) {
  if (setsockopt(fd, level, opt, &value, sizeof value) != 0) throw std::runtime_error(errno_text("setsockopt"));
}

// sendmsg with the source address chosen by IP_PKTINFO / IPV6_PKTINFO (hostNetwork pods
// share their node's namespace, so the source is not implied by the namespace).
ssize_t send_from(int fd, const ir::IpAddr& src, const SockAddr& to, const void* data, size_t len) {
  iovec iov{const_cast<void*>(data), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_storage*>(&to.ss);
  msg.msg_namelen = to.len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  cmsghdr* c;
  if (src.family == ir::Family::V4) {
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, src.bytes.data(), 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else {
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, src.bytes.data(), 16);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  ssize_t n;
  for (int attempt = 0;; ++attempt) {
    n = sendmsg(fd, &msg, 0);
    if (n >= 0 || (errno != EAGAIN && errno != ENOBUFS) || attempt == 50) break;
    usleep(1000);
  }
  return n;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t len) {
  const auto& t = crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; ++i) c = t[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Prober::Prober(const Topology& topo) : topo_(topo) { raise_fd_limit(); }

Prober::~Prober() { close_all(); }

void Prober::close_all() {
  for (auto& [fd, r] : receivers_) close(fd);
  receivers_.clear();
  sockets_.clear();
  raw_.clear();
}

std::string Prober::describe(const Probe& p) const {
  const auto& s = topo_.pods()[p.src];
  const auto& d = topo_.pods()[p.dst];
  auto sa = s.ip(p.family), da = d.ip(p.family);
  return s.id + " -> " + d.id + " " + ir::proto_name(p.proto) + "/" + std::to_string(p.port) + " (" +
         (sa ? sa->str() : "?") + " -> " + (da ? da->str() : "?") + ")";
}

int Prober::listener(const Netns& ns, int proto, uint16_t port) {
  auto key = std::make_tuple(&ns, proto, port);
  if (auto it = sockets_.find(key); it != sockets_.end()) return it->second;
  EnterNetns enter(ns.fd());
  int fd = socket(AF_INET6, (proto == ir::kTCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(errno_text("socket in " + ns.name()));
  set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20);
  SockAddr any = sockaddr_of(ir::IpAddr{ir::Family::V6, {}}, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any.ss), any.len) != 0 ||
      (proto == ir::kTCP && listen(fd, 4096) != 0)) {
    std::string err = errno_text("bind/listen " + std::to_string(port) + " in " + ns.name());
    close(fd);
    throw std::runtime_error(err);
  }
  sockets_[key] = fd;
  receivers_[fd] = Receiver{&ns, proto, port, ir::Family::V6};
  return fd;
}

int Prober::raw_socket(const Netns& ns, ir::Family f) {
  auto key = std::make_pair(&ns, static_cast<int>(f));
  if (auto it = raw_.find(key); it != raw_.end()) return it->second;
  EnterNetns enter(ns.fd());
  int fd = socket(domain(f), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ir::kSCTP);
  if (fd < 0) throw std::runtime_error(errno_text("raw SCTP socket in " + ns.name()));
  set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20);
  set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, 4 << 20);
  if (f == ir::Family::V6) set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  raw_[key] = fd;
  receivers_[fd] = Receiver{&ns, ir::kSCTP, 0, f};
  return fd;
}

std::vector<bool> Prober::run(const std::vector<Probe>& probes, std::chrono::milliseconds timeout) {
  if (probes.size() > 50000) throw std::runtime_error("at most 50000 probes per run");
  round_ = round_ % 0xFFFE + 1;
  const uint32_t round = round_;
  last_ = {};
  auto started = Clock::now();
  std::vector<bool> delivered(probes.size(), false), resolved(probes.size(), false);
  size_t open = probes.size();
  auto resolve = [&](size_t i, bool ok) {
    if (resolved[i]) return;
    resolved[i] = true;
    delivered[i] = ok;
    --open;
  };

  // Receivers first, so that nothing sent finds a port closed.
  for (const auto& p : probes) {
    const auto& dst = topo_.pods()[p.dst];
    const auto& src = topo_.pods()[p.src];
    if (!dst.ip(p.family) || !src.ip(p.family)) throw std::runtime_error("no address: " + describe(p));
    if (p.proto == ir::kSCTP) {
      raw_socket(topo_.netns_of(dst), p.family);
      raw_socket(topo_.netns_of(src), p.family);
    } else if (p.proto == ir::kTCP || p.proto == ir::kUDP) {
      listener(topo_.netns_of(dst), p.proto, p.port);
    } else {
      throw std::runtime_error("cannot probe protocol " + std::to_string(p.proto));
    }
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw std::runtime_error(errno_text("epoll_create1"));
  // epoll data: the fd in the low 32 bits; probe index + 1 in the high bits for TCP clients.
  auto watch = [&](int fd, uint32_t events, uint64_t probe_plus_one) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = probe_plus_one << 32 | static_cast<uint32_t>(fd);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error(errno_text("epoll_ctl"));
  };
  for (const auto& [fd, r] : receivers_) watch(fd, EPOLLIN, 0);

  std::vector<int> clients, accepted;
  std::map<std::pair<const Netns*, ir::IpAddr>, int> udp_senders;
  auto cleanup = [&] {
    linger lg{1, 0};  // close with a RST: no TIME_WAIT, nothing left for the next run
    for (int fd : clients) {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(fd);
    }
    for (const auto& [fd, r] : receivers_) {
      if (r.proto != ir::kTCP) continue;
      for (int c; (c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) accepted.push_back(c);
    }
    for (int fd : accepted) {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(fd);
    }
    for (const auto& [k, fd] : udp_senders) close(fd);
    close(ep);
  };

  try {
    // Send, grouped by source namespace so that each namespace is entered once.
    std::map<const Netns*, std::vector<size_t>> by_src;
    for (size_t i = 0; i < probes.size(); ++i) by_src[&topo_.netns_of(topo_.pods()[probes[i].src])].push_back(i);
    for (const auto& [ns, indices] : by_src) {
      EnterNetns enter(ns->fd());
      for (size_t i : indices) {
        const Probe& p = probes[i];
        ir::IpAddr src = *topo_.pods()[p.src].ip(p.family), dst = *topo_.pods()[p.dst].ip(p.family);
        ++last_.sent;
        if (p.proto == ir::kTCP) {
          int fd = socket(domain(p.family), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          if (fd < 0) throw std::runtime_error(errno_text("socket"));
          clients.push_back(fd);
          SockAddr from = sockaddr_of(src, 0), to = sockaddr_of(dst, p.port);
          if (bind(fd, reinterpret_cast<sockaddr*>(&from.ss), from.len) != 0)
            throw std::runtime_error(errno_text("bind " + describe(p)));
          if (connect(fd, reinterpret_cast<sockaddr*>(&to.ss), to.len) == 0) {
            resolve(i, true);
          } else if (errno == EINPROGRESS) {
            watch(fd, EPOLLOUT, i + 1);
          } else {
            resolve(i, false);  // refused, unreachable: not delivered
          }
        } else if (p.proto == ir::kUDP) {
          auto key = std::make_pair(ns, src);
          auto it = udp_senders.find(key);
          if (it == udp_senders.end()) {
            int fd = socket(domain(p.family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) throw std::runtime_error(errno_text("socket"));
            set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, 4 << 20);
            it = udp_senders.emplace(key, fd).first;
            SockAddr from = sockaddr_of(src, 0);
            if (bind(fd, reinterpret_cast<sockaddr*>(&from.ss), from.len) != 0)
              throw std::runtime_error(errno_text("bind " + describe(p)));
          }
          std::string payload = "nvk " + std::to_string(round) + " " + std::to_string(i);
          SockAddr to = sockaddr_of(dst, p.port);
          if (sendto(it->second, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to.ss), to.len) < 0)
            throw std::runtime_error(errno_text("sendto " + describe(p)));
        } else {
          int fd = raw_.at({ns, static_cast<int>(p.family)});
          // A source port of its own per probe and per run: no conntrack entry of an
          // earlier run can ever match.
          uint16_t sport = static_cast<uint16_t>(10000 + (i + round * 4099u) % 50000);
          auto pkt = sctp_init(sport, p.port, round << 16 | static_cast<uint32_t>(i));
          if (send_from(fd, src, sockaddr_of(dst, 0), pkt.data(), pkt.size()) < 0)
            throw std::runtime_error(errno_text("send SCTP INIT " + describe(p)));
        }
      }
    }

    auto deadline = Clock::now() + timeout;
    std::vector<epoll_event> events(256);
    std::vector<uint8_t> buf(65536);
    while (open > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), static_cast<int>(left));
      if (n < 0 && errno != EINTR) throw std::runtime_error(errno_text("epoll_wait"));
      for (int e = 0; e < n; ++e) {
        int fd = static_cast<int>(events[e].data.u64 & 0xFFFFFFFF);
        uint64_t probe_plus_one = events[e].data.u64 >> 32;
        if (probe_plus_one) {  // a TCP client: connected, or failed
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          resolve(probe_plus_one - 1, err == 0);
          epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
          continue;
        }
        const Receiver& r = receivers_.at(fd);
        if (r.proto == ir::kTCP) {
          for (int c; (c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) accepted.push_back(c);
          continue;
        }
        for (;;) {
          sockaddr_storage from{};
          alignas(cmsghdr) char control[256];
          iovec iov{buf.data(), buf.size()};
          msghdr msg{};
          msg.msg_name = &from;
          msg.msg_namelen = sizeof from;
          msg.msg_iov = &iov;
          msg.msg_iovlen = 1;
          msg.msg_control = control;
          msg.msg_controllen = sizeof control;
          ssize_t got = recvmsg(fd, &msg, 0);
          if (got < 0) break;
          ir::IpAddr src_addr = addr_of(from);
          if (r.proto == ir::kUDP) {
            std::string text(reinterpret_cast<char*>(buf.data()), static_cast<size_t>(got));
            unsigned long rr = 0, idx = 0;
            if (std::sscanf(text.c_str(), "nvk %lu %lu", &rr, &idx) != 2 || rr != round) continue;
            if (idx >= probes.size()) throw std::runtime_error("bad UDP probe number: " + text);
            const Probe& p = probes[idx];
            if (&topo_.netns_of(topo_.pods()[p.dst]) != r.ns || r.port != p.port ||
                src_addr != *topo_.pods()[p.src].ip(p.family))
              throw std::runtime_error("UDP probe arrived at " + r.ns->name() + ":" + std::to_string(r.port) +
                                       " from " + src_addr.str() + ": " + describe(p));
            resolve(idx, true);
            continue;
          }
          // SCTP on a raw socket: IPv4 comes with its IP header, IPv6 without.
          const uint8_t* sctp = buf.data();
          size_t len = static_cast<size_t>(got);
          ir::IpAddr dst_addr;
          if (r.family == ir::Family::V4) {
            size_t ihl = (buf[0] & 0x0F) * 4u;
            if (len < ihl + 12) continue;
            std::memcpy(dst_addr.bytes.data(), &buf[16], 4);
            sctp += ihl;
            len -= ihl;
          } else {
            dst_addr.family = ir::Family::V6;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
              if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
                std::memcpy(dst_addr.bytes.data(), &reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c))->ipi6_addr, 16);
          }
          if (len < 32) continue;
          uint16_t sport = get16(sctp), dport = get16(sctp + 2);
          uint8_t type = sctp[12];
          if (type == 2) {
            if (get32(sctp + 4) >> 16 == round) ++last_.sctp_init_acks;
            continue;
          }
          if (type != 1) continue;
          uint32_t tag = get32(sctp + 16);
          if (tag >> 16 != round) continue;  // from an earlier run
          size_t idx = tag & 0xFFFF;
          if (idx >= probes.size()) throw std::runtime_error("bad SCTP probe number");
          const Probe& p = probes[idx];
          if (&topo_.netns_of(topo_.pods()[p.dst]) != r.ns || dport != p.port ||
              dst_addr != *topo_.pods()[p.dst].ip(p.family) || src_addr != *topo_.pods()[p.src].ip(p.family))
            throw std::runtime_error("SCTP INIT arrived at " + r.ns->name() + " " + dst_addr.str() + ":" +
                                     std::to_string(dport) + " from " + src_addr.str() + ": " + describe(p));
          resolve(idx, true);
          auto ack = sctp_init_ack(dport, sport, tag);
          if (send_from(fd, dst_addr, sockaddr_of(src_addr, 0), ack.data(), ack.size()) < 0)
            throw std::runtime_error(errno_text("send SCTP INIT-ACK " + describe(p)));
        }
      }
    }
  } catch (...) {
    cleanup();
    throw;
  }
  // Let INIT-ACKs already on their way arrive (they only feed the statistics).
  cleanup();
  for (bool d : delivered) last_.delivered += d;
  last_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return delivered;
}

}  // namespace nv::kernel
