#!/usr/bin/env bash
# netverify equivalence benchmark.
#
#   bench/equiv.sh [BUILD_DIR] [--runs N] [--keep] [--strict]
#
# Expects an existing build: BUILD_DIR/netverify (or BUILD_DIR/cli/netverify;
# override with NETVERIFY=/path and describe it with NETVERIFY_LABEL=text) and
# BUILD_DIR/bench/gen_equiv.  BUILD_DIR defaults to "build".  Generates, with
# `gen_equiv --seed 1` (1,000 policies, 60 namespaces), a policy set `base` and
# its variants `copy`, `reformatted` and `one-rule-1` .. `one-rule-5` in a
# temporary directory, then runs each comparison N times (default 5) under
# /usr/bin/time and NETVERIFY_TIMINGS=1, with a copy of the binary taken first:
#
#   netverify equiv base copy           expect exit 0  (target: under 5 s)
#   netverify equiv base reformatted    expect exit 0  (target: under 5 s)
#   netverify equiv base one-rule-K     expect exit 1  (target: under 2 s), K = 1..5
#   netverify diff  base one-rule-1     expect exit 1  (no target)
#
# and prints a markdown report on stdout (medians; progress goes to stderr).
# Exits 1 if any exit code is not the expected one, a run exceeds
# NETVERIFY_BENCH_TIMEOUT seconds (default 600) or the inputs are not what
# they should be (copy not byte-identical, a one-rule-K differing from base
# in other than one file).  With --strict, also exits 1 if a median misses
# its target.  --keep keeps the generated inputs.
set -euo pipefail
export LC_ALL=C

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

BUILD_DIR=build
RUNS=5
KEEP=0
STRICT=0
seen_dir=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --strict) STRICT=1 ;;
    --runs)
      [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "equiv.sh: --runs needs a positive number" >&2; usage; }
      RUNS=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "equiv.sh: unknown option: $1" >&2; usage ;;
    *)
      if [[ $seen_dir == 1 ]]; then echo "equiv.sh: more than one BUILD_DIR given" >&2; usage; fi
      BUILD_DIR=$1; seen_dir=1 ;;
  esac
  shift
done

SEED=1
POLICIES=1000
NAMESPACES=60
MUTATIONS=5
TIMEOUT=${NETVERIFY_BENCH_TIMEOUT:-600}
TARGET_EQUIV=5
TARGET_CEX=2

GEN=$BUILD_DIR/bench/gen_equiv
if [[ -n ${NETVERIFY:-} ]]; then
  NV=$NETVERIFY
elif [[ -x $BUILD_DIR/netverify ]]; then
  NV=$BUILD_DIR/netverify
elif [[ -x $BUILD_DIR/cli/netverify ]]; then
  NV=$BUILD_DIR/cli/netverify
else
  NV=$BUILD_DIR/netverify
fi

die() { echo "equiv.sh: $*" >&2; exit 1; }
[[ -x $NV ]] || die "netverify not found or not executable: $NV (build first: ninja -C $BUILD_DIR)"
[[ -x $GEN ]] || die "generator not found or not executable: $GEN (build target gen_equiv)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
NV=$(realpath "$NV")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netverify-equiv.XXXXXX")
cleanup() {
  if [[ $KEEP == 1 ]]; then
    echo "equiv.sh: inputs and outputs kept in $TMP" >&2
  else
    rm -rf -- "$TMP"
  fi
}
trap cleanup EXIT

median() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) exit 1
      if (NR % 2) print v[(NR + 1) / 2]
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# Every run uses this snapshot of the binary: a rebuild during the benchmark
# (other work in the same tree) cannot swap it between runs.
cp "$NV" "$TMP/netverify"
NV_RUN=$TMP/netverify

# --- inputs ---------------------------------------------------------------
IN=$TMP/in
echo "equiv.sh: generating $POLICIES policies in $NAMESPACES namespaces (seed $SEED)" >&2
gstart=$(date +%s.%N)
"$GEN" --policies "$POLICIES" --namespaces "$NAMESPACES" --mutations "$MUTATIONS" --seed "$SEED" --out "$IN" \
  || die "gen_equiv failed"
gwall=$(awk -v a="$gstart" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')

diff -r -q "$IN/base" "$IN/copy" >/dev/null || die "copy is not byte-identical to base"
for ((k = 1; k <= MUTATIONS; k++)); do
  n=$( (diff -r -q "$IN/base" "$IN/one-rule-$k" || true) | wc -l)
  [[ $n == 1 ]] || die "one-rule-$k differs from base in $n files, not 1"
done

count_docs() {  # DIR -> number of NetworkPolicy objects
  grep -rhoE '(^|[^A-Za-z])kind"?:[[:space:]]*"?'"'"'?NetworkPolicy([^A-Za-z]|$)' "$1" | wc -l
}
nfiles() { find "$1" -type f \( -name '*.yaml' -o -name '*.json' \) | wc -l; }
dsize() { du -sk "$1" | awk '{ printf "%.0f", $1 }'; }
for d in base reformatted; do
  c=$(count_docs "$IN/$d")
  [[ $c == "$POLICIES" ]] || die "$d holds $c NetworkPolicies, not $POLICIES"
done

# --- runs -----------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# run NAME EXPECTED_RC TARGET_S SUBCOMMAND A B
rows=()
bad=0
missed=0
run() {
  local name=$1 want=$2 target=$3 sub=$4 a=$5 b=$6
  local out=$TMP/out/$name
  mkdir -p "$out"
  : >"$out/walls"; : >"$out/rss"; : >"$out/load"; : >"$out/cpu"
  local rcs="" i rc wrong=0
  for ((i = 1; i <= RUNS; i++)); do
    rc=0
    (cd "$IN" && NETVERIFY_TIMINGS=1 /usr/bin/time -f '%e %M %U %S' -o "$out/time$i.raw" \
      timeout "$TIMEOUT" "$NV_RUN" "$sub" "$a" "$b" >"$out/stdout$i" 2>"$out/stderr$i") || rc=$?
    tail -n 1 "$out/time$i.raw" >"$out/time$i"
    local wall kib usr sys
    read -r wall kib usr sys <"$out/time$i"
    [[ -n ${wall:-} && -n ${kib:-} && -n ${sys:-} ]] || die "could not read the timing of $name run $i"
    echo "$wall" >>"$out/walls"
    awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }' >>"$out/cpu"
    echo "$kib" >>"$out/rss"
    # Reading and lowering both sets: the parse and lower phases of NETVERIFY_TIMINGS.
    awk '$1 == "timing:" && ($2 == "parse" || $2 == "lower") { s += $3 } END { printf "%.3f\n", s }' \
      "$out/stderr$i" >>"$out/load"
    rcs+="${rcs:+ }$rc"
    echo "equiv.sh:   $name run $i/$RUNS: exit $rc, ${wall}s, $((kib / 1024)) MiB" >&2
    if [[ $rc != "$want" ]]; then
      bad=1
      wrong=1
      if [[ $rc == 124 ]]; then
        echo "equiv.sh: $name timed out after ${TIMEOUT}s" >&2
      else
        echo "equiv.sh: $name exited $rc, expected $want; last lines of its output:" >&2
        tail -n 5 "$out/stdout$i" "$out/stderr$i" >&2 || true
      fi
    fi
  done
  local mwall mkib mload mcpu lo hi verdict
  mwall=$(median <"$out/walls")
  mcpu=$(median <"$out/cpu")
  mkib=$(median <"$out/rss")
  mload=$(median <"$out/load")
  lo=$(sort -g "$out/walls" | head -n 1)
  hi=$(sort -g "$out/walls" | tail -n 1)
  verdict="—"
  if [[ $wrong == 1 ]]; then
    verdict="**wrong exit code**"
  elif [[ $target != - ]]; then
    if awk -v w="$mwall" -v t="$target" 'BEGIN { exit !(w < t) }'; then
      verdict="yes (< $target s)"
    else
      verdict="**no** (≥ $target s)"
      missed=1
    fi
  fi
  local uniq_rc
  uniq_rc=$(tr ' ' '\n' <<<"$rcs" | sort -u | paste -sd, -)
  rows+=("$(awk -v n="$name" -v c="netverify $sub base $b" -v e="$want" -v r="$uniq_rc" -v w="$mwall" \
    -v lo="$lo" -v hi="$hi" -v l="$mload" -v u="$mcpu" -v k="$mkib" -v v="$verdict" \
    'BEGIN { printf "| %s | `%s` | %s | %s | %.2f | %.2f–%.2f | %.2f | %.2f | %.0f | %s |", n, c, e, r, w, lo, hi, u, l, k / 1024, v }')")
}

run copy 0 $TARGET_EQUIV equiv base copy
run reformatted 0 $TARGET_EQUIV equiv base reformatted
for ((k = 1; k <= MUTATIONS; k++)); do
  run "one-rule-$k" 1 $TARGET_CEX equiv base "one-rule-$k"
done
run "diff one-rule-1" 1 - diff base one-rule-1

# --- report ---------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(free -g | awk '/^Mem:/ { print $2 }')
srcdir=$(dirname "${BASH_SOURCE[0]}")
commit=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo "n/a")
dirty=$(git -C "$srcdir" status --porcelain --untracked-files=no 2>/dev/null | grep -c . || true)

echo "## netverify equivalence benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- machine: $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, ${mem} GiB RAM (free -g total)"
if [[ -n ${NETVERIFY_LABEL:-} ]]; then
  what=$NETVERIFY_LABEL
elif [[ -n ${NETVERIFY:-} ]]; then
  what="an external binary (NETVERIFY; set NETVERIFY_LABEL to say what it is built from)"
else
  what="built from the working tree at commit $commit$([[ ${dirty:-0} != 0 ]] && echo ", $dirty tracked files modified")"
fi
echo "- netverify: \`$NV\`, copied before the runs; $what"
echo "- inputs: \`gen_equiv --policies $POLICIES --namespaces $NAMESPACES --mutations $MUTATIONS --seed $SEED\` (${gwall} s):" \
  "base $(nfiles "$IN/base") files, $(dsize "$IN/base") KiB; reformatted $(nfiles "$IN/reformatted") files," \
  "$(dsize "$IN/reformatted") KiB"
echo "- $RUNS run(s) each; wall time, peak RSS and CPU time from \`/usr/bin/time -f '%e %M %U %S'\`;" \
  "CPU = user + system time; load = the parse and lower phases of \`NETVERIFY_TIMINGS=1\` for both sets" \
  "(the rest is the verifier)"
echo "- load average (1, 5, 15 min) before the runs: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| comparison | command | expected exit | exit | median wall s | min–max wall s | median CPU s | median load s | median peak RSS MiB | target met (wall) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Mutations (\`mutations.txt\`):"
echo
sed 's/^/- /' "$IN/mutations.txt"

if [[ $bad != 0 ]]; then
  echo "equiv.sh: FAILED: some exit code was not the expected one" >&2
  exit 1
fi
if [[ $missed != 0 ]]; then
  echo "equiv.sh: some median missed its target" >&2
  [[ $STRICT == 1 ]] && exit 1
fi
exit 0
