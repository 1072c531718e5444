#!/usr/bin/env bash
# netverify benchmark.
#
#   bench/run.sh [BUILD_DIR] [--large] [--keep]
#
# Expects an existing build: BUILD_DIR/netverify (or BUILD_DIR/cli/netverify;
# override with NETVERIFY=/path) and BUILD_DIR/bench/gen_cluster.  BUILD_DIR
# defaults to "build" (relative to the current directory).  Generates the
# inputs into a temporary directory with a fixed seed, runs
#
#   netverify matrix --cluster DIR/cluster.yaml --port 80 -o summary DIR/policies.yaml
#
# 5 times per input (3 for large) under /usr/bin/time and prints a markdown
# report (medians) on stdout; progress goes to stderr.  Exits non-zero if any
# run fails or exceeds NETVERIFY_BENCH_TIMEOUT seconds (default 1800).
#
#   small   1,000 pods,    20 namespaces,    200 policies
#   medium  10,000 pods,  200 namespaces,  2,000 policies
#   large   100,000 pods, 1,000 namespaces, 10,000 policies  (only with --large)
set -euo pipefail
export LC_ALL=C

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

BUILD_DIR=build
LARGE=0
KEEP=0
seen_dir=0
for arg in "$@"; do
  case "$arg" in
    --large) LARGE=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage ;;
    -*) echo "run.sh: unknown option: $arg" >&2; usage ;;
    *)
      if [[ $seen_dir == 1 ]]; then echo "run.sh: more than one BUILD_DIR given" >&2; usage; fi
      BUILD_DIR=$arg; seen_dir=1 ;;
  esac
done

SEED=1
RUNS=5
RUNS_LARGE=3
TIMEOUT=${NETVERIFY_BENCH_TIMEOUT:-1800}

GEN=$BUILD_DIR/bench/gen_cluster
if [[ -n ${NETVERIFY:-} ]]; then
  NV=$NETVERIFY
elif [[ -x $BUILD_DIR/netverify ]]; then
  NV=$BUILD_DIR/netverify
elif [[ -x $BUILD_DIR/cli/netverify ]]; then
  NV=$BUILD_DIR/cli/netverify
else
  NV=$BUILD_DIR/netverify
fi

die() { echo "run.sh: $*" >&2; exit 1; }
[[ -x $NV ]] || die "netverify not found or not executable: $NV (build first: cmake --build $BUILD_DIR)"
[[ -x $GEN ]] || die "generator not found or not executable: $GEN (build target gen_cluster)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
command -v timeout >/dev/null || die "timeout (coreutils) not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netverify-bench.XXXXXX")
cleanup() {
  if [[ $KEEP == 1 ]]; then
    echo "run.sh: inputs kept in $TMP" >&2
  else
    rm -rf -- "$TMP"
  fi
}
trap cleanup EXIT

# median < numbers (one per line) -> median (mean of the two middle values
# for an even count).
median() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) exit 1
      if (NR % 2) print v[(NR + 1) / 2]
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# timed OUT_FILE ERR_FILE CMD... : runs CMD (stdout discarded) under
# /usr/bin/time and timeout; writes "<wall seconds> <max RSS KiB>" to OUT_FILE.
timed() {
  local out=$1 err=$2 rc=0
  shift 2
  /usr/bin/time -f '%e %M' -o "$out.raw" timeout "$TIMEOUT" "$@" >/dev/null 2>"$err" || rc=$?
  # On failure GNU time prepends "Command exited with non-zero status N".
  tail -n 1 "$out.raw" >"$out" 2>/dev/null || true
  return "$rc"
}

fail_run() {  # what rc errfile
  local what=$1 rc=$2 err=$3
  if [[ $rc == 124 ]]; then
    echo "run.sh: $what timed out after ${TIMEOUT}s" >&2
  else
    echo "run.sh: $what failed (exit $rc); last lines of stderr:" >&2
  fi
  tail -n 20 "$err" >&2 || true
  exit 1
}

inputs=("small 1000 20 200 $RUNS" "medium 10000 200 2000 $RUNS")
if [[ $LARGE == 1 ]]; then
  inputs+=("large 100000 1000 10000 $RUNS_LARGE")
fi

results=()
genrows=()
for spec in "${inputs[@]}"; do
  read -r name pods nss pols runs <<<"$spec"
  dir=$TMP/$name
  echo "run.sh: generating $name ($pods pods, $nss namespaces, $pols policies)" >&2
  rc=0
  timed "$TMP/$name.gen.time" "$TMP/$name.gen.err" \
    "$GEN" --namespaces "$nss" --pods "$pods" --policies "$pols" --seed "$SEED" --out "$dir" || rc=$?
  [[ $rc == 0 ]] || fail_run "gen_cluster ($name)" "$rc" "$TMP/$name.gen.err"
  read -r gwall gkib <"$TMP/$name.gen.time"
  csize=$(stat -c %s "$dir/cluster.yaml")
  psize=$(stat -c %s "$dir/policies.yaml")
  genrows+=("$(awk -v n="$name" -v c="$csize" -v p="$psize" -v w="$gwall" -v k="$gkib" \
    'BEGIN { printf "| %s | %.1f | %.1f | %.2f | %.1f |", n, c / 1048576, p / 1048576, w, k / 1024 }')")

  : >"$TMP/$name.walls"
  : >"$TMP/$name.rss"
  for ((i = 1; i <= runs; i++)); do
    rc=0
    timed "$TMP/$name.run$i.time" "$TMP/$name.run$i.err" \
      "$NV" matrix --cluster "$dir/cluster.yaml" --port 80 -o summary "$dir/policies.yaml" || rc=$?
    [[ $rc == 0 ]] || fail_run "netverify ($name, run $i)" "$rc" "$TMP/$name.run$i.err"
    read -r wall kib <"$TMP/$name.run$i.time"
    [[ -n ${wall:-} && -n ${kib:-} ]] || die "could not read timing for $name run $i"
    echo "$wall" >>"$TMP/$name.walls"
    echo "$kib" >>"$TMP/$name.rss"
    echo "run.sh:   $name run $i/$runs: ${wall}s, $((kib / 1024)) MiB" >&2
  done
  mwall=$(median <"$TMP/$name.walls")
  mkib=$(median <"$TMP/$name.rss")
  results+=("$(awk -v n="$name" -v p="$pods" -v s="$nss" -v k="$pols" -v w="$mwall" -v r="$mkib" \
    'BEGIN { printf "| %s | %d | %d | %d | %.2f | %.1f |", n, p, s, k, w, r / 1024 }')")
done

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(free -g | awk '/^Mem:/ { print $2 }')
commit=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --short HEAD 2>/dev/null || echo "n/a")

echo "## netverify benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- machine: $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, ${mem} GiB RAM (free -g total)"
echo "- netverify: \`$NV\` (commit $commit)"
echo "- command: \`netverify matrix --cluster DIR/cluster.yaml --port 80 -o summary DIR/policies.yaml\`"
echo "- inputs: \`gen_cluster --seed $SEED\`; median of $RUNS runs ($RUNS_LARGE for large), wall time and peak RSS from \`/usr/bin/time -f '%e %M'\`"
echo
echo "| input | pods | namespaces | policies | median wall s | median peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${results[@]}"
echo
echo "Input generation (not included in the netverify times above):"
echo
echo "| input | cluster.yaml MiB | policies.yaml MiB | gen_cluster wall s | gen_cluster peak RSS MiB |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${genrows[@]}"
