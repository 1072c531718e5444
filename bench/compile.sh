#!/usr/bin/env bash
# netverify compile benchmark: one node's firewall in a 5,000-policy cluster.
#
#   bench/compile.sh [BUILD_DIR] [--runs N] [--validate-runs N] [--validate-cap S]
#                    [--query-timeout S] [--no-validate-runs] [--no-load] [--keep]
#
# Generates `gen_cluster --namespaces 500 --pods 22000 --policies 5000 --seed 1
# --pods-per-node 110` (200 nodes of about 110 pods), picks the node (NODE=… to override;
# default: the lowest-numbered node with exactly 110 pods, else the one closest to 110), and
# for each target (nft, iptables):
#
#   1. `netverify compile --no-validate` N times (default 5) under /usr/bin/time with
#      NETVERIFY_TIMINGS=1: median wall, peak RSS and phase times; the size of the output;
#   2. `netverify compile` with validation, --timeout S per query (default 60), each run
#      capped at --validate-cap seconds of wall time (default 600) by timeout(1); median of
#      --validate-runs runs (default 3); a capped run counts as "> cap";
#   3. loading (root, `ip netns`, nft, ipset, iptables-nft): in a fresh network namespace
#      per run, the first load and a reload over it, N runs each.
#      nft: `nft -f OUT`. iptables: `ipset restore -exist < OUT.ipset`,
#      `iptables-restore --noflush OUT`, `ip6tables-restore --noflush OUT.v6`.
#
# Markdown report on stdout, progress on stderr. Needs BUILD_DIR/netverify (or
# BUILD_DIR/cli/netverify, or NETVERIFY=/path) and BUILD_DIR/bench/gen_cluster; BUILD_DIR
# defaults to "build". --no-load skips step 3 (no root needed); --no-validate-runs skips 2.
# Network namespaces are named nvbc<pid>-<k> and removed on exit (trap).
set -euo pipefail
export LC_ALL=C

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

BUILD_DIR=build
RUNS=5
VRUNS=3
VCAP=600
QTIMEOUT=60
DO_VALIDATE=1
DO_LOAD=1
KEEP=0
seen_dir=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --validate-runs) VRUNS=$2; shift ;;
    --validate-cap) VCAP=$2; shift ;;
    --query-timeout) QTIMEOUT=$2; shift ;;
    --no-validate-runs) DO_VALIDATE=0 ;;
    --no-load) DO_LOAD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage ;;
    -*) echo "compile.sh: unknown option: $1" >&2; usage ;;
    *)
      if [[ $seen_dir == 1 ]]; then echo "compile.sh: more than one BUILD_DIR given" >&2; usage; fi
      BUILD_DIR=$1; seen_dir=1 ;;
  esac
  shift
done

NAMESPACES=${NAMESPACES:-500}
PODS=${PODS:-22000}
POLICIES=${POLICIES:-5000}
PER_NODE=${PER_NODE:-110}
SEED=${SEED:-1}
TIMEOUT=${NETVERIFY_BENCH_TIMEOUT:-1800}  # for the steps that are not capped otherwise

GEN=$BUILD_DIR/bench/gen_cluster
if [[ -n ${NETVERIFY:-} ]]; then NV=$NETVERIFY
elif [[ -x $BUILD_DIR/netverify ]]; then NV=$BUILD_DIR/netverify
else NV=$BUILD_DIR/cli/netverify; fi

die() { echo "compile.sh: $*" >&2; exit 1; }
log() { echo "compile.sh: $*" >&2; }
[[ -x $NV ]] || die "netverify not found: $NV"
[[ -x $GEN ]] || die "gen_cluster not found: $GEN"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
if [[ $DO_LOAD == 1 ]]; then
  [[ $(id -u) == 0 ]] || die "loading needs root (or pass --no-load)"
  for t in ip nft ipset iptables-restore ip6tables-restore; do command -v "$t" >/dev/null || die "$t not found"; done
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netverify-compile.XXXXXX")
NS_PREFIX="nvbc$$-"
NSES=()
cleanup() {
  local ns
  for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [[ $KEEP == 1 ]]; then log "files kept in $TMP"; else rm -rf -- "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The binary is copied so that a rebuild cannot change it between runs.
cp "$NV" "$TMP/netverify"
NVC=$TMP/netverify

median() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print "n/a"; exit }
      if (NR % 2) print v[(NR + 1) / 2]
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# ---- input -----------------------------------------------------------------
DIR=$TMP/in
log "generating: $NAMESPACES namespaces, $PODS pods, $POLICIES policies, $PER_NODE pods per node, seed $SEED"
"$GEN" --namespaces "$NAMESPACES" --pods "$PODS" --policies "$POLICIES" --seed "$SEED" \
  --pods-per-node "$PER_NODE" --out "$DIR"
npol=$(grep -c '^kind: NetworkPolicy' "$DIR/policies.yaml")
counts=$(grep -o 'nodeName: node-[0-9]*' "$DIR/cluster.yaml" | sed 's/.*node-//' | sort -n | uniq -c)
nnodes=$(wc -l <<<"$counts")
if [[ -z ${NODE:-} ]]; then
  NODE=node-$(awk -v t="$PER_NODE" '{ d = $1 - t; if (d < 0) d = -d; if (best == "" || d < bd) { best = $2; bd = d } }
    END { print best }' <<<"$counts")
fi
npods=$(awk -v n="${NODE#node-}" '$2 == n { print $1 }' <<<"$counts")
[[ -n $npods ]] || die "node $NODE has no pods"
log "node $NODE: $npods pods ($nnodes nodes, $npol policies)"

# ---- compile ---------------------------------------------------------------
PHASES="parse lower plan emit parse-back validate-ipv4 validate-ipv6"
out_name() { [[ $1 == nft ]] && echo "$TMP/$NODE.nft" || echo "$TMP/$NODE.iptables"; }

# compile_runs TARGET LABEL RUNS CAP EXTRA... -> rows in $TMP/LABEL.TARGET.{wall,rss,rc,PHASE}
compile_runs() {
  local target=$1 label=$2 runs=$3 cap=$4 out i rc wall kib
  shift 4
  out=$(out_name "$target")
  for ((i = 1; i <= runs; i++)); do
    rc=0
    NETVERIFY_TIMINGS=1 /usr/bin/time -f '%e %M' -o "$TMP/t.raw" timeout "$cap" \
      "$NVC" compile --target "$target" --cluster "$DIR/cluster.yaml" --node "$NODE" "$DIR/policies.yaml" \
      -o "$out.$label" "$@" >/dev/null 2>"$TMP/$label.$target.err$i" || rc=$?
    read -r wall kib < <(tail -n 1 "$TMP/t.raw")
    echo "$rc" >>"$TMP/$label.$target.rc"
    if [[ $rc == 124 ]]; then
      log "  $target $label run $i/$runs: capped at ${cap}s (timeout), $((kib / 1024)) MiB"
      echo "$cap" >>"$TMP/$label.$target.wall"   # counts as the cap: the median is then ">= cap"
    else
      [[ $rc == 0 ]] || { log "  $target $label run $i: exit $rc"; tail -n 5 "$TMP/$label.$target.err$i" >&2; }
      log "  $target $label run $i/$runs: ${wall}s, $((kib / 1024)) MiB, exit $rc"
      echo "$wall" >>"$TMP/$label.$target.wall"
    fi
    echo "$kib" >>"$TMP/$label.$target.rss"
    local p
    for p in $PHASES; do
      awk -v p="$p" '$1 == "timing:" && $2 == p { print $3 }' "$TMP/$label.$target.err$i" >>"$TMP/$label.$target.$p"
    done
  done
}

phase_str() {  # label target
  local p v s=""
  for p in $PHASES; do
    [[ -s $TMP/$1.$2.$p ]] || continue
    v=$(median <"$TMP/$1.$2.$p")
    s+="$p $v s, "
  done
  echo "${s%, }"
}

size_row() {  # target -> markdown cells
  local t=$1 out
  out=$(out_name "$t").novalidate
  if [[ $t == nft ]]; then
    # Elements: the comma-separated items inside `elements = { ... }` of sets and maps.
    local elems bytes lines sets maps rules
    # netverify writes one element per line.
    elems=$(awk '/elements = \{/ { on = 1; next } on && /^[ \t]*\}/ { on = 0; next } on && NF { n++ } END { print n + 0 }' "$out")
    sets=$(grep -cE '^\s*set ' "$out" || true)
    maps=$(grep -cE '^\s*map ' "$out" || true)
    rules=$(awk '/^[ \t]*chain /{ c = 1; next } /^[ \t]*\}/{ c = 0 } c && !/^[ \t]*(type|#)/ && NF' "$out" | wc -l)
    echo "| nft | $(wc -l <"$out") lines, $(stat -c %s "$out") bytes | $sets sets, $maps maps, $elems elements | $rules rule lines |"
  else
    local v4=$out v6=$out.v6 ips=$out.ipset
    echo "| iptables | v4 $(wc -l <"$v4") lines ($(grep -c '^-A' "$v4") rules), v6 $(wc -l <"$v6") lines ($(grep -c '^-A' "$v6") rules), ipset $(wc -l <"$ips") lines; $(cat "$v4" "$v6" "$ips" | wc -c) bytes | $(grep -c '^create' "$ips") ipsets, $(grep -c '^add' "$ips") elements | $(( $(grep -c '^-A' "$v4") + $(grep -c '^-A' "$v6") )) rules |"
  fi
}

for t in nft iptables; do
  log "compile --no-validate, $t, $RUNS runs"
  compile_runs "$t" novalidate "$RUNS" "$TIMEOUT" --no-validate
  grep -qv '^0$' "$TMP/novalidate.$t.rc" && die "compile --no-validate failed ($t)"
  if [[ $DO_VALIDATE == 1 ]]; then
    log "compile with validation, $t, $VRUNS runs, --timeout $QTIMEOUT, capped at ${VCAP}s"
    compile_runs "$t" validate "$VRUNS" "$VCAP" --timeout "$QTIMEOUT"
  fi
done

# ---- load ------------------------------------------------------------------
# tm FILE CMD... : wall seconds of CMD appended to FILE; fails loudly.
tm() {
  local f=$1 s e rc=0
  shift
  s=$(date +%s.%N)
  timeout "$TIMEOUT" "$@" >"$TMP/load.out" 2>&1 || rc=$?
  e=$(date +%s.%N)
  [[ $rc == 0 ]] || { cat "$TMP/load.out" >&2; die "failed (exit $rc): $*"; }
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }' >>"$f"
}

if [[ $DO_LOAD == 1 ]]; then
  nft_out=$(out_name nft).novalidate
  ipt_out=$(out_name iptables).novalidate
  for ((i = 1; i <= RUNS; i++)); do
    ns=${NS_PREFIX}$i
    ip netns add "$ns"; NSES+=("$ns")
    tm "$TMP/load.nft.first" ip netns exec "$ns" nft -f "$nft_out"
    tm "$TMP/load.nft.reload" ip netns exec "$ns" nft -f "$nft_out"
    ip netns exec "$ns" nft flush ruleset
    for phase in first reload; do
      tm "$TMP/load.ipset.$phase" ip netns exec "$ns" ipset restore -exist -file "$ipt_out.ipset"
      tm "$TMP/load.ipt4.$phase" ip netns exec "$ns" iptables-restore --noflush "$ipt_out"
      tm "$TMP/load.ipt6.$phase" ip netns exec "$ns" ip6tables-restore --noflush "$ipt_out.v6"
      # The FORWARD jump (not timed), so that the reload replaces a ruleset in use.
      if [[ $phase == first ]]; then
        ip netns exec "$ns" iptables -I FORWARD 1 -j NETVERIFY
        ip netns exec "$ns" ip6tables -I FORWARD 1 -j NETVERIFY
      fi
    done
    ip netns del "$ns"
    log "  load run $i/$RUNS: nft $(tail -n1 "$TMP/load.nft.first") / $(tail -n1 "$TMP/load.nft.reload") s;" \
      "ipset $(tail -n1 "$TMP/load.ipset.first") / $(tail -n1 "$TMP/load.ipset.reload") s;" \
      "iptables-restore $(tail -n1 "$TMP/load.ipt4.first") / $(tail -n1 "$TMP/load.ipt4.reload") s;" \
      "ip6tables-restore $(tail -n1 "$TMP/load.ipt6.first") / $(tail -n1 "$TMP/load.ipt6.reload") s"
  done
  for phase in first reload; do
    paste -d' ' "$TMP/load.ipset.$phase" "$TMP/load.ipt4.$phase" "$TMP/load.ipt6.$phase" |
      awk '{ printf "%.3f\n", $1 + $2 + $3 }' >"$TMP/load.ipt.$phase"
  done
fi

# ---- report ----------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(free -g | awk '/^Mem:/ { print $2 }')
commit=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --short HEAD 2>/dev/null || echo "n/a")
echo "## netverify compile benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem} GiB RAM; kernel $(uname -r)"
echo "- netverify: \`$NV\` (commit $commit)"
echo "- input: \`gen_cluster --namespaces $NAMESPACES --pods $PODS --policies $POLICIES --seed $SEED --pods-per-node $PER_NODE\`:" \
  "$nnodes nodes, $npol policies, cluster.yaml $(( $(stat -c %s "$DIR/cluster.yaml") / 1048576 )) MiB," \
  "policies.yaml $(( $(stat -c %s "$DIR/policies.yaml") / 1048576 )) MiB; node \`$NODE\` ($npods pods)"
echo
echo "### Compile (median of $RUNS; validation median of $VRUNS, --timeout $QTIMEOUT per query, capped at ${VCAP}s)"
echo
echo "| target | mode | exit codes | median wall s | median peak RSS MiB | median phases |"
echo "|---|---|---|---:|---:|---|"
for t in nft iptables; do
  for label in novalidate validate; do
    [[ -s $TMP/$label.$t.wall ]] || continue
    w=$(median <"$TMP/$label.$t.wall")
    grep -q '^124$' "$TMP/$label.$t.rc" && w="$w (runs capped at ${VCAP}s count as ${VCAP})"
    echo "| $t | $([[ $label == validate ]] && echo validate || echo --no-validate) | $(paste -sd, "$TMP/$label.$t.rc") |" \
      "$w | $(median <"$TMP/$label.$t.rss" | awk '{ printf "%.0f", $1 / 1024 }') | $(phase_str "$label" "$t") |"
  done
done
echo
echo "### Output size"
echo
echo "| target | text | sets and elements | rules |"
echo "|---|---|---|---|"
size_row nft
size_row iptables
if [[ $DO_LOAD == 1 ]]; then
  echo
  echo "### Loading into a fresh network namespace (median of $RUNS, wall s)"
  echo
  echo "| target | first load | reload over it |"
  echo "|---|---:|---:|"
  echo "| nft: \`nft -f\` | $(median <"$TMP/load.nft.first") | $(median <"$TMP/load.nft.reload") |"
  echo "| iptables: \`ipset restore -exist\` | $(median <"$TMP/load.ipset.first") | $(median <"$TMP/load.ipset.reload") |"
  echo "| iptables: \`iptables-restore --noflush\` | $(median <"$TMP/load.ipt4.first") | $(median <"$TMP/load.ipt4.reload") |"
  echo "| iptables: \`ip6tables-restore --noflush\` | $(median <"$TMP/load.ipt6.first") | $(median <"$TMP/load.ipt6.reload") |"
  echo "| iptables: all three (sum per run) | $(median <"$TMP/load.ipt.first") | $(median <"$TMP/load.ipt.reload") |"
fi
