// pps_udp: a bounded UDP packet blaster for bench/pps.sh (standard library and POSIX only).
//
//   pps_udp --src A.B.C.D --dst A.B.C.D --dport P [--sport-min N] [--sport-max N]
//           [--seconds S] [--max-packets N] [--batch N] [--size N]
//   pps_udp --sink PORT [--seconds S]
//
// Sends IPv4/UDP datagrams from a raw socket (IP_HDRINCL) with sendmmsg(2), as fast as it
// can, until S seconds (default 10, at most 600) or N packets (default 100,000,000) have
// gone, whichever comes first. Every packet has the next source port of the range
// [sport-min, sport-max] (default 1024..65535, wrapping), so consecutive packets are distinct
// flows. The UDP checksum is 0 (none, legal in IPv4); the kernel fills in the IP checksum.
// Run it inside the sender's network namespace (`ip netns exec`). Prints one line:
// "sent <packets> in <seconds> s: <pps> pps" to stdout; exit 1 on a setup error.
//
// --sink binds a UDP socket to PORT (any address) with the smallest receive buffer, never
// reads it, and sleeps S seconds: datagrams to PORT are then dropped by UDP on a full queue
// (RcvbufErrors) instead of being answered with ICMP port unreachable.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "pps_udp: %s\n", msg);
  std::fprintf(stderr,
               "usage: pps_udp --src IP --dst IP --dport P [--sport-min N] [--sport-max N] [--seconds S]\n"
               "               [--max-packets N] [--batch N] [--size N]\n"
               "       pps_udp --sink PORT [--seconds S]\n");
  std::exit(2);
}

long long num(const std::string& flag, const char* v, long long lo, long long hi) {
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(v, &end, 10);
  if (errno || !end || *end || x < lo || x > hi) usage(("bad value for " + flag).c_str());
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  std::string src, dst;
  long long sink = -1;
  long long dport = -1, sport_min = 1024, sport_max = 65535, seconds = 10, max_packets = 100000000, batch = 64,
            size = 18;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") usage(nullptr);
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const char* v = argv[++i];
    if (a == "--src") src = v;
    else if (a == "--dst") dst = v;
    else if (a == "--dport") dport = num(a, v, 1, 65535);
    else if (a == "--sport-min") sport_min = num(a, v, 1, 65535);
    else if (a == "--sport-max") sport_max = num(a, v, 1, 65535);
    else if (a == "--seconds") seconds = num(a, v, 1, 600);
    else if (a == "--max-packets") max_packets = num(a, v, 1, 10000000000LL);
    else if (a == "--batch") batch = num(a, v, 1, 1024);
    else if (a == "--size") size = num(a, v, 0, 1400);
    else if (a == "--sink") sink = num(a, v, 1, 65535);
    else usage(("unknown option " + a).c_str());
  }
  if (sink > 0) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rcvbuf = 1;  // the kernel rounds it up to its minimum
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in me{};
    me.sin_family = AF_INET;
    me.sin_port = htons(static_cast<uint16_t>(sink));
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) {
      std::perror("pps_udp: sink socket");
      return 1;
    }
    sleep(static_cast<unsigned>(seconds));
    close(fd);
    return 0;
  }
  if (src.empty() || dst.empty() || dport < 0) usage("--src, --dst and --dport are required");
  if (sport_min > sport_max) usage("--sport-min is above --sport-max");
  in_addr s{}, d{};
  if (inet_pton(AF_INET, src.c_str(), &s) != 1 || inet_pton(AF_INET, dst.c_str(), &d) != 1)
    usage("--src and --dst must be IPv4 addresses");

  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // IPPROTO_RAW implies IP_HDRINCL
  if (fd < 0) {
    std::perror("pps_udp: socket(AF_INET, SOCK_RAW)");
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  const size_t len = sizeof(iphdr) + sizeof(udphdr) + static_cast<size_t>(size);
  const size_t n = static_cast<size_t>(batch);
  std::vector<std::vector<unsigned char>> bufs(n, std::vector<unsigned char>(len, 0));
  std::vector<iovec> iov(n);
  std::vector<mmsghdr> msgs(n);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr = d;
  for (size_t k = 0; k < n; ++k) {
    auto* ip = reinterpret_cast<iphdr*>(bufs[k].data());
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(static_cast<uint16_t>(len));
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->saddr = s.s_addr;
    ip->daddr = d.s_addr;  // id and checksum 0: the kernel fills them in
    auto* udp = reinterpret_cast<udphdr*>(bufs[k].data() + sizeof(iphdr));
    udp->dest = htons(static_cast<uint16_t>(dport));
    udp->len = htons(static_cast<uint16_t>(sizeof(udphdr) + static_cast<size_t>(size)));
    iov[k] = {bufs[k].data(), len};
    msgs[k].msg_hdr.msg_name = &to;
    msgs[k].msg_hdr.msg_namelen = sizeof to;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  long long sent = 0, errors = 0;
  long long port = sport_min;
  while (sent < max_packets) {
    if (clock::now() >= deadline) break;
    size_t want = static_cast<size_t>(std::min<long long>(static_cast<long long>(n), max_packets - sent));
    for (size_t k = 0; k < want; ++k) {
      reinterpret_cast<udphdr*>(bufs[k].data() + sizeof(iphdr))->source = htons(static_cast<uint16_t>(port));
      if (++port > sport_max) port = sport_min;
    }
    int r = sendmmsg(fd, msgs.data(), static_cast<unsigned>(want), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN || errno == EPERM) {  // queue full or dropped: go on
        if (++errors > 100000000) break;
        continue;
      }
      std::perror("pps_udp: sendmmsg");
      return 1;
    }
    sent += r;
  }
  double secs = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("sent %lld in %.3f s: %.0f pps (send errors %lld)\n", sent, secs, sent / secs, errors);
  close(fd);
  return 0;
}
