#include "tests/kernel/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace nv::kernel {

namespace {

// The namespaces this process owns, for the signal handler: fixed storage, no allocation.
constexpr size_t kMaxNamespaces = 1024;
constexpr size_t kMaxPath = 128;
char g_paths[kMaxNamespaces][kMaxPath];
std::atomic<bool> g_used[kMaxNamespaces];

int register_path(const std::string& path) {
  if (path.size() >= kMaxPath) throw std::runtime_error("namespace path too long: " + path);
  for (size_t i = 0; i < kMaxNamespaces; ++i) {
    bool expected = false;
    if (g_used[i].load() || !g_used[i].compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
    return static_cast<int>(i);
  }
  throw std::runtime_error("too many namespaces");
}

void remove_path(const char* path) {
  umount2(path, MNT_DETACH);  // what `ip netns del` does
  unlink(path);
}

void on_signal(int sig) {
  for (size_t i = 0; i < kMaxNamespaces; ++i)
    if (g_used[i].load()) remove_path(g_paths[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool in(const ir::IpAddr& a, const char* cidr) { return ir::Cidr::parse(cidr)->contains(a); }

std::string host_route(const ir::IpAddr& a) {
  return a.str() + (a.family == ir::Family::V4 ? "/32" : "/128");
}

std::atomic<int> g_topologies{0};

// Alive and not a zombie (a killed run's process may wait a while to be reaped).
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  int fd = open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // cannot tell: leave its namespaces alone
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return true;
  buf[n] = 0;
  const char* paren = std::strrchr(buf, ')');  // "pid (comm) S ..."
  return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, const std::string& input, int netns_fd) {
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe"));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe"));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) _exit(126);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  RunResult r;
  size_t written = 0;
  int wfd = in_pipe[1];
  if (input.empty()) {
    close(wfd);
    wfd = -1;
  } else {
    fcntl(wfd, F_SETFL, O_NONBLOCK);
  }
  for (;;) {
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {wfd, POLLOUT, 0}};
    if (poll(fds, wfd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (wfd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(wfd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) {
        close(wfd);
        wfd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) break;
      r.output.append(buf, static_cast<size_t>(n));
    }
  }
  if (wfd >= 0) close(wfd);
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (r.status == 127) r.output += "(could not run " + argv[0] + ")";
  if (r.status == 126) r.output += "(could not enter the network namespace)";
  return r;
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  std::string path = "/run/netns/" + name_;
  auto r = run({"ip", "netns", "add", name_});
  if (r.status != 0) throw std::runtime_error("ip netns add " + name_ + ": " + r.output);
  int slot = register_path(path);
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    std::string err = errno_text("open " + path);
    remove_path(path.c_str());
    g_used[slot].store(false);
    throw std::runtime_error(err);
  }
}

Netns::~Netns() {
  if (fd_ >= 0) close(fd_);
  std::string path = "/run/netns/" + name_;
  remove_path(path.c_str());
  for (size_t i = 0; i < kMaxNamespaces; ++i)
    if (g_used[i].load() && path == g_paths[i]) g_used[i].store(false);
}

void Netns::sysctl(const std::string& key, const std::string& value) const {
  EnterNetns enter(fd_);
  std::string path = "/proc/sys/" + key;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text("open " + path + " in " + name_));
  ssize_t n = write(fd, value.data(), value.size());
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) throw std::runtime_error(errno_text("write " + path));
}

void Netns::ip_batch(const std::string& commands) const {
  auto r = run({"ip", "-n", name_, "-batch", "-"}, commands);
  if (r.status != 0)
    throw std::runtime_error("ip -n " + name_ + " -batch failed: " + r.output + "\ncommands:\n" + commands);
}

EnterNetns::EnterNetns(int fd) {
  saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_ < 0) throw std::runtime_error(errno_text("open /proc/thread-self/ns/net"));
  if (setns(fd, CLONE_NEWNET) != 0) {
    close(saved_);
    throw std::runtime_error(errno_text("setns"));
  }
}

EnterNetns::~EnterNetns() {
  if (setns(saved_, CLONE_NEWNET) != 0) std::abort();  // a thread in the wrong namespace
  close(saved_);
}

std::optional<ir::IpAddr> PodSlot::ip(ir::Family f) const {
  for (const auto& a : ips)
    if (a.family == f) return a;
  return std::nullopt;
}

bool allowed_test_address(const ir::IpAddr& a) {
  return in(a, "198.18.0.0/15") || in(a, "192.0.2.0/24") || in(a, "2001:db8::/32");
}

Topology::Topology(const ir::Inventory& inv, const std::vector<std::string>& extra_nodes,
                   const std::vector<ExternalHost>& externals) {
  std::set<std::string> names(extra_nodes.begin(), extra_nodes.end());
  for (const auto& e : externals) names.insert(e.node);
  for (const auto& n : inv.nodes) names.insert(n.name);
  for (const auto& p : inv.pods) {
    if (p.ips.empty()) continue;
    if (p.node.empty()) throw std::runtime_error("pod " + p.id() + " has no nodeName");
    names.insert(p.node);
  }
  if (names.empty() || names.size() > 8)
    throw std::runtime_error("a topology needs 1 to 8 nodes, not " + std::to_string(names.size()));
  std::string base = prefix() + std::to_string(g_topologies++) + "-";
  std::map<std::string, size_t> index;
  for (const auto& name : names) {
    index[name] = nodes_.size();
    nodes_.push_back({name, nullptr, {}});
  }
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (allowed_test_address(a)) nodes_[index[n.name]].host_addrs.push_back(a);
  for (const auto& p : inv.pods) {
    if (p.ips.empty()) continue;
    for (const auto& a : p.ips)
      if (!allowed_test_address(a))
        throw std::runtime_error("pod " + p.id() + " has address " + a.str() +
                                 " outside 198.18.0.0/15, 192.0.2.0/24 and 2001:db8::/32");
    PodSlot s;
    s.id = p.id();
    s.pod = &p;
    s.node = index[p.node];
    s.host = p.host_network;
    s.ips = p.ips;
    if (s.host)
      for (const auto& a : p.ips) nodes_[s.node].host_addrs.push_back(a);
    pods_.push_back(std::move(s));
  }
  // A Node's own addresses (those no hostNetwork pod has) are endpoints too: node
  // selectors and the node-local rule decide packets from and to them.
  for (const auto& n : inv.nodes) {
    PodSlot s;
    s.id = "node/" + n.name;
    s.node = index[n.name];
    s.host = true;
    for (const auto& a : n.addresses)
      if (allowed_test_address(a) && !inv.find_pod_by_ip(a)) s.ips.push_back(a);
    if (!s.ips.empty()) pods_.push_back(std::move(s));
  }
  for (const auto& e : externals) {
    if (e.ips.empty()) throw std::runtime_error("an external host needs an address");
    for (const auto& a : e.ips)
      if (!allowed_test_address(a) || inv.find_pod_by_ip(a) || inv.node_of_ip(a))
        throw std::runtime_error("external address " + a.str() + " is in the inventory or outside the test ranges");
    PodSlot s;
    s.id = "external/" + e.ips.front().str();
    s.node = index[e.node];
    s.ips = e.ips;
    pods_.push_back(std::move(s));
  }
  for (auto& n : nodes_) {
    std::sort(n.host_addrs.begin(), n.host_addrs.end());
    n.host_addrs.erase(std::unique(n.host_addrs.begin(), n.host_addrs.end()), n.host_addrs.end());
  }

  auto common_sysctls = [](const Netns& ns) {
    ns.sysctl("net/ipv6/conf/all/accept_dad", "0");
    ns.sysctl("net/ipv6/conf/default/accept_dad", "0");
    ns.sysctl("net/ipv4/conf/all/rp_filter", "0");
    ns.sysctl("net/ipv4/conf/default/rp_filter", "0");
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto& n = nodes_[i];
    n.ns = std::make_unique<Netns>(base + "n" + std::to_string(i));
    common_sysctls(*n.ns);
    n.ns->sysctl("net/ipv4/ip_forward", "1");
    n.ns->sysctl("net/ipv6/conf/all/forwarding", "1");
    n.ns->sysctl("net/ipv4/conf/all/proxy_arp", "1");
    n.ns->sysctl("net/ipv4/conf/default/proxy_arp", "1");
    std::string cmds = "link set lo up\naddr add 169.254.1.1/32 dev lo\n";
    for (const auto& a : n.host_addrs)
      cmds += "addr add " + host_route(a) + " dev lo" + (a.family == ir::Family::V6 ? " nodad" : "") + "\n";
    n.ns->ip_batch(cmds);
  }
  for (size_t k = 0; k < pods_.size(); ++k) {
    auto& p = pods_[k];
    if (p.host) continue;
    p.own_ns = std::make_unique<Netns>(base + "p" + std::to_string(k));
    common_sysctls(*p.own_ns);
    const Netns& node = *nodes_[p.node].ns;
    std::string dev = "p" + std::to_string(k);
    std::string cmds = "link add " + dev + " type veth peer name eth0 netns " + p.own_ns->name() + "\n" +
                       "link set " + dev + " up\naddr add fe80::1/64 dev " + dev + " nodad\n";
    for (const auto& a : p.ips) cmds += "route add " + host_route(a) + " dev " + dev + "\n";
    node.ip_batch(cmds);
    cmds = "link set lo up\nlink set eth0 up\n";
    for (const auto& a : p.ips)
      cmds += "addr add " + host_route(a) + " dev eth0" + (a.family == ir::Family::V6 ? " nodad" : "") + "\n";
    cmds += "route add default via 169.254.1.1 dev eth0 onlink\nroute add default via fe80::1 dev eth0\n";
    p.own_ns->ip_batch(cmds);
  }
  // Node links: on node i, the interface to node j is n<j>, with 169.254.2.<i+1>/32 and
  // fe80::2:<i+1>; node i routes node j's addresses via those of node j.
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (size_t j = i + 1; j < nodes_.size(); ++j)
      nodes_[i].ns->ip_batch("link add n" + std::to_string(j) + " type veth peer name n" +
                             std::to_string(i) + " netns " + nodes_[j].ns->name() + "\n");
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::string cmds;
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (i == j) continue;
      std::string dev = "n" + std::to_string(j), me = std::to_string(i + 1), peer = std::to_string(j + 1);
      cmds += "link set " + dev + " up\naddr add 169.254.2." + me + "/32 dev " + dev + "\naddr add fe80::2:" +
              me + "/64 dev " + dev + " nodad\nroute add 169.254.2." + peer + "/32 dev " + dev + " scope link\n";
      auto route = [&](const ir::IpAddr& a) {
        cmds += "route add " + host_route(a) +
                (a.family == ir::Family::V4 ? " via 169.254.2." + peer + " dev " + dev + " onlink\n"
                                            : " via fe80::2:" + peer + " dev " + dev + "\n");
      };
      for (const auto& a : nodes_[j].host_addrs) route(a);
      for (const auto& p : pods_)
        if (p.node == j && !p.host)
          for (const auto& a : p.ips) route(a);
    }
    if (!cmds.empty()) nodes_[i].ns->ip_batch(cmds);
  }
}

Topology::~Topology() {
  pods_.clear();
  nodes_.clear();
}

const NodeSlot& Topology::node(const std::string& name) const {
  for (const auto& n : nodes_)
    if (n.name == name) return n;
  throw std::runtime_error("no node " + name + " in the topology");
}

const PodSlot* Topology::pod(const std::string& id) const {
  for (const auto& p : pods_)
    if (p.id == id) return &p;
  return nullptr;
}

void Topology::flush_conntrack() const {
  for (const auto& n : nodes_) {
    for (const char* family : {"ipv4", "ipv6"}) {
      auto r = n.ns->exec({"conntrack", "-F", "-f", family});
      if (r.status != 0) throw std::runtime_error("conntrack -F in " + n.ns->name() + ": " + r.output);
    }
  }
}

void Topology::reset_firewalls() const {
  for (const auto& n : nodes_) {
    auto r = n.ns->exec({"nft", "flush", "ruleset"});
    if (r.status != 0) throw std::runtime_error("nft flush ruleset in " + n.ns->name() + ": " + r.output);
    r = n.ns->exec({"ipset", "destroy"});
    if (r.status != 0) throw std::runtime_error("ipset destroy in " + n.ns->name() + ": " + r.output);
  }
  flush_conntrack();
}

std::string Topology::prefix() { return "nvk" + std::to_string(getpid()) + "-"; }

int Topology::remove_stale() {
  int removed = 0;
  DIR* d = opendir("/run/netns");
  if (!d) return 0;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (!name.starts_with("nvk")) continue;
    size_t dash = name.find('-');
    if (dash == std::string::npos || dash == 3) continue;
    std::string digits = name.substr(3, dash - 3);
    if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid == getpid() || process_alive(pid)) continue;
    stale.push_back(name);
  }
  closedir(d);
  for (const auto& name : stale) {
    remove_path(("/run/netns/" + name).c_str());
    ++removed;
  }
  return removed;
}

void Topology::install_signal_cleanup() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) signal(sig, on_signal);
}

}  // namespace nv::kernel
