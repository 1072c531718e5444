#!/usr/bin/env bash
# Packets per second through a node's forward path: 5,000-policy ruleset vs 1 policy vs none.
#
#   bench/pps.sh [BUILD_DIR] [--runs N] [--seconds S] [--warmup S] [--keep]
#
# Needs root, `ip netns`, nft, ipset, iptables-nft/ip6tables, conntrack, python3, and
# BUILD_DIR/netverify (or NETVERIFY=/path), BUILD_DIR/bench/gen_cluster and
# BUILD_DIR/bench/pps_udp. BUILD_DIR defaults to "build".
#
# 1. Generates the cluster of bench/compile.sh (`gen_cluster --namespaces 500 --pods 22000
#    --policies 5000 --seed 1 --pods-per-node 110`) and picks the same node (NODE=… to
#    override).
# 2. Compiles the node's firewall, both targets (--no-validate: validation changes only a
#    comment line of the output).
# 3. Picks a sender and a receiver pod on that node and a UDP port by evaluating the
#    emitted nft ruleset (an embedded python3 reader of its maps and chains): both pods'
#    directions isolated (egress of the sender and ingress to the receiver both classified),
#    the packet accepted, the longest chain walk first. `netverify query --expect allow`
#    must agree.
# 4. Writes a 1-policy set for the same inventory: in the receiver's namespace,
#    podSelector {} with ingress from the same namespace on that UDP port; compiles it for
#    the same node, both targets; `netverify query --expect allow` must agree.
# 5. Builds three namespaces, wired as tests/kernel does (Calico-style routed veths): the
#    node (forwarding, proxy ARP, 169.254.1.1 on lo, a /32 route per pod) and the two pods
#    (their /32 on eth0, default via 169.254.1.1 onlink). Only these namespaces are touched;
#    they are named nvbp<pid>-{node,s,r} and deleted on exit (trap).
# 6. For each run, for each configuration in turn (none, nft 1 policy, nft 5,000,
#    iptables 1 policy, iptables 5,000): flushes the node's firewall and ipsets, loads a
#    `notrack` chain at the raw priority (every configuration has it) and the ruleset,
#    starts a sink on the receiver (a bound UDP socket that is never read, so no ICMP), and
#    runs bench/pps_udp in the sender for warmup + S seconds: raw IPv4/UDP packets, a new
#    source port for each. The rate is the node's veth to the receiver: tx_packets over the
#    S seconds after the warmup (defaults: 5 runs, S = 5, warmup 2).
#
# Every packet is classified: with notrack the packets are UNTRACKED, so the rulesets'
# `ct state established,related accept` never matches and every packet walks the egress
# and ingress chains. Before the runs the script checks this with `nft monitor trace` (a
# few traced packets must reach the peer lookup and port chains, and be accepted) and
# after each run that the node's conntrack table is empty.
#
# Markdown report on stdout (medians; pps of each configuration and ratios to the 1-policy
# node), progress on stderr.
set -euo pipefail
export LC_ALL=C

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

BUILD_DIR=build
RUNS=5
SECS=5
WARM=2
KEEP=0
seen_dir=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --warmup) WARM=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage ;;
    -*) echo "pps.sh: unknown option: $1" >&2; usage ;;
    *)
      if [[ $seen_dir == 1 ]]; then echo "pps.sh: more than one BUILD_DIR given" >&2; usage; fi
      BUILD_DIR=$1; seen_dir=1 ;;
  esac
  shift
done
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 && $RUNS -le 50 ]] || { echo "pps.sh: --runs 1..50" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 && $SECS -le 120 ]] || { echo "pps.sh: --seconds 1..120" >&2; exit 2; }
[[ $WARM =~ ^[0-9]+$ && $WARM -le 60 ]] || { echo "pps.sh: --warmup 0..60" >&2; exit 2; }

NAMESPACES=${NAMESPACES:-500}
PODS=${PODS:-22000}
POLICIES=${POLICIES:-5000}
PER_NODE=${PER_NODE:-110}
SEED=${SEED:-1}
UDP_PORTS=${UDP_PORTS:-53,5353,8125,5000,5005,5010,9999}

GEN=$BUILD_DIR/bench/gen_cluster
BLAST=$BUILD_DIR/bench/pps_udp
if [[ -n ${NETVERIFY:-} ]]; then NV=$NETVERIFY
elif [[ -x $BUILD_DIR/netverify ]]; then NV=$BUILD_DIR/netverify
else NV=$BUILD_DIR/cli/netverify; fi

die() { echo "pps.sh: $*" >&2; exit 1; }
log() { echo "pps.sh: $*" >&2; }
[[ -x $NV ]] || die "netverify not found: $NV"
[[ -x $GEN ]] || die "gen_cluster not found: $GEN"
[[ -x $BLAST ]] || die "pps_udp not found: $BLAST (build target pps_udp)"
[[ $(id -u) == 0 ]] || die "needs root"
for t in ip nft ipset iptables ip6tables iptables-restore ip6tables-restore conntrack python3 timeout; do
  command -v "$t" >/dev/null || die "$t not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netverify-pps.XXXXXX")
P="nvbp$$-"
NSN=${P}node NSS=${P}s NSR=${P}r
PIDS=()
cleanup() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "$NSS" "$NSR" "$NSN"; do ip netns del "$ns" 2>/dev/null || true; done
  if [[ $KEEP == 1 ]]; then log "files kept in $TMP"; else rm -rf -- "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cp "$NV" "$TMP/netverify"
NVC=$TMP/netverify

median() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print "n/a"; exit }
      if (NR % 2) print v[(NR + 1) / 2]
      else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# ---- inputs and rulesets -----------------------------------------------------
DIR=$TMP/in
log "generating: $NAMESPACES namespaces, $PODS pods, $POLICIES policies, $PER_NODE pods per node, seed $SEED"
"$GEN" --namespaces "$NAMESPACES" --pods "$PODS" --policies "$POLICIES" --seed "$SEED" \
  --pods-per-node "$PER_NODE" --out "$DIR"
counts=$(grep -o 'nodeName: node-[0-9]*' "$DIR/cluster.yaml" | sed 's/.*node-//' | sort -n | uniq -c)
if [[ -z ${NODE:-} ]]; then
  NODE=node-$(awk -v t="$PER_NODE" '{ d = $1 - t; if (d < 0) d = -d; if (best == "" || d < bd) { best = $2; bd = d } }
    END { print best }' <<<"$counts")
fi
npods=$(awk -v n="${NODE#node-}" '$2 == n { print $1 }' <<<"$counts")
[[ -n $npods ]] || die "node $NODE has no pods"
log "node $NODE: $npods pods"

compile() {  # target policies out
  "$NVC" compile --target "$1" --cluster "$DIR/cluster.yaml" --node "$NODE" "$2" -o "$3" --no-validate
}
compile nft "$DIR/policies.yaml" "$TMP/big.nft"
compile iptables "$DIR/policies.yaml" "$TMP/big.ipt"

cat >"$TMP/pick.py" <<'EOF'
# Reads a netverify nft ruleset (sets of the node's pods, maps of address -> verdict, port
# sets, chains of set and vmap lookups, port checks and verdicts) and prints the local pod pair and UDP port whose
# accepted packet walks the longest chain path, with egress and ingress both classified.
import bisect, ipaddress, re, sys
text = open(sys.argv[1]).read()
ports = [int(x) for x in sys.argv[2].split(',')]
maps, chains = {}, {}
for m in re.finditer(r'\n\t(?:map|set) (\S+) \{(.*?)\n\t\}', text, re.S):
    el = re.search(r'elements = \{(.*?)\}', m.group(2), re.S)
    maps[m.group(1)] = [x.strip() for x in el.group(1).split(',') if x.strip()] if el else []
for m in re.finditer(r'\n\tchain (\S+) \{(.*?)\n\t\}', text, re.S):
    chains[m.group(1)] = [l.strip() for l in m.group(2).split('\n')
                          if l.strip() and not l.strip().startswith(('#', 'type '))]
def rng(k):
    if '-' in k:
        lo, hi = k.split('-')
        return int(ipaddress.ip_address(lo)), int(ipaddress.ip_address(hi))
    n = ipaddress.ip_network(k, strict=False)
    return int(n.network_address), int(n.broadcast_address)
index = {}
def vmap(name, a):
    if name not in index:
        rs = sorted(rng(k.strip()) + (v.strip(),) for k, v in (it.split(' : ') for it in maps[name]))
        index[name] = ([r[0] for r in rs], rs)
    los, rs = index[name]
    x = int(ipaddress.ip_address(a))
    i = bisect.bisect_right(los, x) - 1
    return rs[i][2] if i >= 0 and rs[i][0] <= x <= rs[i][1] else None
def port_in(name, proto, port):
    for it in maps[name]:
        p, r = [x.strip() for x in it.split(' . ')]
        lo, _, hi = r.partition('-')
        if p == proto and int(lo) <= port <= int(hi or lo):
            return True
    return False
def run(chain, s, d, port, trace):
    trace.append(chain)
    for r in chains[chain]:
        if r == 'ct state established,related accept':
            continue
        m = re.fullmatch(r'(ip6?) (saddr|daddr) vmap @(\S+)', r)
        k = re.fullmatch(r'(ip6?) (saddr|daddr) @(\S+) ((?:jump|goto) \S+)', r)
        if m:
            if m.group(1) == 'ip6':
                continue
            v = vmap(m.group(3), s if m.group(2) == 'saddr' else d)
        elif k:
            if k.group(1) == 'ip6':
                continue
            a = int(ipaddress.ip_address(s if k.group(2) == 'saddr' else d))
            inside = any(lo <= a <= hi for lo, hi in (rng(x) for x in maps[k.group(3)]))
            v = k.group(4) if inside else None
        else:
            m = re.fullmatch(r'meta l4proto \. th dport @(\S+) (\S+)', r)
            if m:
                v = m.group(2) if port_in(m.group(1), 'udp', port) else None
            else:
                v = r
        if v is None:
            continue
        res = verdict(v, s, d, port, trace)
        if res != 'continue':
            return res
    return 'return'
def verdict(v, s, d, port, trace):
    w = v.split()
    if w[0] in ('accept', 'drop', 'return'):
        return w[0]
    if w[0] == 'goto':
        return run(w[1], s, d, port, trace)
    if w[0] == 'jump':
        r = run(w[1], s, d, port, trace)
        return 'continue' if r == 'return' else r
    raise SystemExit('pick.py: unknown rule: ' + v)
def keys(name):
    return sorted((it.split(' : ')[0].strip() for it in maps.get(name, [])),
                  key=lambda k: int(ipaddress.ip_address(k)) if '/' not in k and '-' not in k else -1)
eg, ig = keys('egress4'), keys('ingress4')
best = None
for d in ig:
    for s in eg:
        if s == d or '/' in s + d or '-' in s + d:
            continue
        for port in ports:
            tr = []
            if run('forward', s, d, port, tr) in ('return', 'accept'):
                if best is None or len(tr) > len(best[3]):
                    best = (s, d, port, tr)
if best is None:
    raise SystemExit('pick.py: no accepted pair with egress and ingress both isolated')
print(best[0], best[1], best[2], ' '.join(best[3]))
EOF
read -r SRC DST PORT WALK < <(python3 "$TMP/pick.py" "$TMP/big.nft" "$UDP_PORTS") || die "no pod pair found"
log "pair: $SRC -> $DST UDP/$PORT; chain walk: $WALK"
q=$("$NVC" query --cluster "$DIR/cluster.yaml" "$DIR/policies.yaml" --from "$SRC" --to "$DST" --port "$PORT" \
  --protocol UDP --expect allow 2>&1) || die "netverify query does not allow it: $q"
log "$q"
RNS=$(head -n1 <<<"$q" | sed -E 's/.* -> ([^/]+)\/.*/\1/')
cat >"$TMP/one.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bench-one
  namespace: $RNS
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
    ports:
    - protocol: UDP
      port: $PORT
EOF
q1=$("$NVC" query --cluster "$DIR/cluster.yaml" "$TMP/one.yaml" --from "$SRC" --to "$DST" --port "$PORT" \
  --protocol UDP --expect allow 2>&1) || die "the 1-policy set does not allow it: $q1"
compile nft "$TMP/one.yaml" "$TMP/one.nft"
compile iptables "$TMP/one.yaml" "$TMP/one.ipt"

# ---- topology -----------------------------------------------------------------
log "namespaces $NSN $NSS $NSR"
ip netns add "$NSN"
ip netns add "$NSS"
ip netns add "$NSR"
nx() { ip netns exec "$NSN" "$@"; }
for ns in "$NSN" "$NSS" "$NSR"; do
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
nx sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.proxy_arp=1 net.ipv4.conf.default.proxy_arp=1
ip -n "$NSN" link set lo up
ip -n "$NSN" addr add 169.254.1.1/32 dev lo
wire() {  # pod-ns dev ip
  ip -n "$NSN" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$NSN" link set "$2" up
  ip -n "$NSN" route add "$3/32" dev "$2"
  ip -n "$1" link set lo up
  ip -n "$1" link set eth0 up
  ip -n "$1" addr add "$3/32" dev eth0
  ip -n "$1" route add default via 169.254.1.1 dev eth0 onlink
}
wire "$NSS" ps "$SRC"
wire "$NSR" pr "$DST"

fw_reset() {
  nx nft flush ruleset
  nx ipset destroy 2>/dev/null || true
  nx conntrack -F >/dev/null 2>&1 || true
  nx nft -f - <<'EOF'
table inet nvbench {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		notrack
	}
}
EOF
}
fw_load() {  # config
  fw_reset
  case "$1" in
    none) ;;
    nft-1) nx nft -f "$TMP/one.nft" ;;
    nft-5000) nx nft -f "$TMP/big.nft" ;;
    ipt-1|ipt-5000)
      local f=$TMP/one.ipt
      [[ $1 == ipt-5000 ]] && f=$TMP/big.ipt
      nx ipset restore -exist -file "$f.ipset"
      nx iptables-restore --noflush "$f"
      nx ip6tables-restore --noflush "$f.v6"
      nx iptables -I FORWARD 1 -j NETVERIFY
      nx ip6tables -I FORWARD 1 -j NETVERIFY ;;
  esac
}
txp() { nx cat /sys/class/net/pr/statistics/tx_packets; }

CONFIGS="none nft-1 nft-5000 ipt-1 ipt-5000"

# ---- the packets are classified: trace a few ------------------------------------
for c in nft-1 nft-5000 ipt-1 ipt-5000; do
  fw_load "$c"
  nx nft add rule inet nvbench pre ip daddr "$DST" udp dport "$PORT" meta nftrace set 1
  # nft monitor reads the whole ruleset before it prints traces: wait until it listens.
  timeout 60 ip netns exec "$NSN" nft monitor trace >"$TMP/trace.$c" 2>&1 &
  tpid=$!; PIDS+=("$tpid")
  for ((k = 0; k < 50; k++)); do
    ip netns exec "$NSS" "$BLAST" --src "$SRC" --dst "$DST" --dport "$PORT" --max-packets 1 --seconds 1 >/dev/null
    grep -q 'policy accept\|verdict accept\|verdict drop' "$TMP/trace.$c" && break
    sleep 0.5
  done
  sleep 0.5
  ip netns exec "$NSS" "$BLAST" --src "$SRC" --dst "$DST" --dport "$PORT" --max-packets 3 --seconds 1 >/dev/null
  sleep 1
  kill "$tpid" 2>/dev/null || true
  wait "$tpid" 2>/dev/null || true
  accepted=$(grep -c 'verdict accept\|policy accept' "$TMP/trace.$c" || true)
  dropped=$(grep -c 'verdict drop\|policy drop' "$TMP/trace.$c" || true)
  if [[ $c == nft-* ]]; then
    walked=$(grep -oE 'netverify (e4|i4|e4_g[0-9]+|i4_g[0-9]+|pp_[0-9]+) ' "$TMP/trace.$c" | awk '{ print $2 }' | sed -E 's/(_g|pp_)[0-9]+$/\1/' | sort -u | paste -sd' ' || true)
  else
    walked=$(grep -oE 'filter (NV-E4-C|NV-I4-C|NV-PP-)[0-9]+' "$TMP/trace.$c" | awk '{ print $2 }' | sed -E 's/[0-9]+$//' | sort -u | paste -sd' ' || true)
  fi
  log "trace $c: chains walked: ${walked:-none}; accept verdicts: $accepted, drop verdicts: $dropped"
  [[ -n $walked ]] || { tail -n 30 "$TMP/trace.$c" >&2; die "trace $c: the packets did not reach the policy chains"; }
  [[ $dropped == 0 ]] || { tail -n 30 "$TMP/trace.$c" >&2; die "trace $c: packets were dropped"; }
  echo "$walked" >"$TMP/walked.$c"
done

# ---- measure ------------------------------------------------------------------------
for ((run = 1; run <= RUNS; run++)); do
  for c in $CONFIGS; do
    fw_load "$c"
    ip netns exec "$NSR" "$BLAST" --sink "$PORT" --seconds $((WARM + SECS + 3)) &
    spid=$!; PIDS+=("$spid")
    sleep 0.3
    t0=$(txp)
    ip netns exec "$NSS" "$BLAST" --src "$SRC" --dst "$DST" --dport "$PORT" --seconds $((WARM + SECS + 1)) \
      >"$TMP/send.$c.$run" &
    bpid=$!; PIDS+=("$bpid")
    sleep "$WARM"
    a=$(txp); as=$(date +%s.%N)
    sleep "$SECS"
    b=$(txp); bs=$(date +%s.%N)
    wait "$bpid"
    t1=$(txp)
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    sent=$(awk '{ print $2 }' "$TMP/send.$c.$run")
    ct=$(nx conntrack -C 2>/dev/null || echo "?")
    pps=$(awk -v a="$a" -v b="$b" -v s="$as" -v e="$bs" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
    echo "$pps" >>"$TMP/pps.$c"
    delivered=$((t1 - t0))
    echo "$sent $delivered" >>"$TMP/count.$c"
    log "run $run/$RUNS $c: $pps pps forwarded; whole run sent $sent, forwarded $delivered; conntrack entries $ct"
    [[ $ct == 0 ]] || die "conntrack has entries in the node ($ct): packets were tracked"
  done
done
fw_reset

# ---- report -----------------------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --short HEAD 2>/dev/null || echo "n/a")
echo "## netverify forward-path packet rate"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}; kernel $(uname -r); $(nft --version); $(iptables --version)"
echo "- netverify: \`$NV\` (commit $commit)"
echo "- input: \`gen_cluster --namespaces $NAMESPACES --pods $PODS --policies $POLICIES --seed $SEED --pods-per-node $PER_NODE\`, node \`$NODE\` ($npods pods)"
echo "- traffic: $SRC -> $DST UDP/$PORT, raw IPv4/UDP 46-byte packets, new source port per packet, notrack at the raw priority;"
echo "  nft chain walk (5,000): $WALK"
echo "- $q" | head -n 1
echo "- 1-policy set: \`bench-one\` in $RNS (podSelector {}, ingress from the same namespace on UDP/$PORT)"
echo "- $RUNS runs per configuration, interleaved; each run ${WARM} s warmup + ${SECS} s measured (node veth to the receiver, tx_packets)"
echo
echo "| configuration | median pps | min–max | vs 1 policy, same target | vs no ruleset | chains walked (trace) |"
echo "|---|---:|---:|---:|---:|---|"
base=$(median <"$TMP/pps.none")
for c in $CONFIGS; do
  m=$(median <"$TMP/pps.$c")
  mn=$(sort -g "$TMP/pps.$c" | head -n1)
  mx=$(sort -g "$TMP/pps.$c" | tail -n1)
  case $c in nft-*) one=$(median <"$TMP/pps.nft-1") ;; ipt-*) one=$(median <"$TMP/pps.ipt-1") ;; *) one="" ;; esac
  r1=$([[ -n $one ]] && awk -v a="$m" -v b="$one" 'BEGIN { printf "%.0f%%", 100 * a / b }' || echo "—")
  r0=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  echo "| $c | $m | $mn–$mx | $r1 | $r0 | $(cat "$TMP/walked.$c" 2>/dev/null || echo —) |"
done
