// Kernel tests: real packets between the pods of a Topology, all from this one process.
//
// Sockets are created inside pod namespaces with setns(2) on the calling thread (a socket
// stays in the namespace it was created in). Every destination has a listening TCP socket
// and a UDP socket on each probed port, and a raw SCTP socket (this kernel has no SCTP:
// the source sends a real INIT, with its CRC32c, from a raw socket; the destination's raw
// socket receiving it is delivery, and it answers with an INIT-ACK so that conntrack sees
// a reply). A probe is delivered when:
//   TCP   the nonblocking connect completes (the SYN reached the listener, the SYN-ACK came back);
//   UDP   the datagram, tagged with the probe's number, arrives at the destination socket;
//   SCTP  the INIT, tagged (initiate tag) with the probe's number, arrives at the destination.
// All probes of a run go out at once and share one deadline, so a whole matrix costs about
// one timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "tests/kernel/netns.h"

namespace nv::kernel {

struct Probe {
  size_t src = 0, dst = 0;  // indices into Topology::pods()
  ir::Family family = ir::Family::V4;
  int proto = 6;  // ir::kTCP, kUDP or kSCTP
  uint16_t port = 0;
};

struct ProbeStats {
  size_t sent = 0, delivered = 0;
  size_t sctp_init_acks = 0;  // INIT-ACKs that made it back to the source
  std::chrono::milliseconds elapsed{0};
};

class Prober {
 public:
  explicit Prober(const Topology& topo);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // delivered[i] for probes[i] (at most 50,000 probes). Waits until every probe is delivered or `timeout` has
  // passed since the last one was sent. Throws std::runtime_error when the harness
  // itself fails (a socket cannot be created, a packet arrives where it should not).
  std::vector<bool> run(const std::vector<Probe>& probes,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(400));
  const ProbeStats& last() const { return last_; }

  std::string describe(const Probe& p) const;  // "x/a -> y/b TCP/80 (198.18.0.10 -> 198.18.1.11)"

 private:
  struct Receiver {
    const Netns* ns = nullptr;
    int proto = 0;
    uint16_t port = 0;  // TCP, UDP
    ir::Family family = ir::Family::V4;  // SCTP raw sockets
  };
  int listener(const Netns& ns, int proto, uint16_t port);
  int raw_socket(const Netns& ns, ir::Family f);
  void close_all();

  const Topology& topo_;
  std::map<std::tuple<const Netns*, int, uint16_t>, int> sockets_;  // TCP listeners, UDP receivers
  std::map<std::pair<const Netns*, int>, int> raw_;  // SCTP, per namespace and family
  std::map<int, Receiver> receivers_;  // by fd
  uint32_t round_ = 0;
  ProbeStats last_;
};

// CRC32c (Castagnoli), as SCTP uses it.
uint32_t crc32c(const uint8_t* data, size_t len);

}  // namespace nv::kernel
