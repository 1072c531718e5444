#!/usr/bin/env bash
# Loads every corpus ruleset (corpus/rulesets) into the kernel, so the subset the parsers
# read is known to be real syntax: each *.nft with `nft -c -f` and then for real (twice: the
# script must be idempotent); each *.rules after `ipset restore` of its .ipset file with
# `iptables-restore --test` (ip6tables-restore for ipt6_*) and then for real. Every ruleset
# gets a fresh network namespace, always deleted. Needs root, nft, iptables, ipset, ip.
# A FILE.rules with a FILE.rules.v6 beside it (netverify compile's iptables output) has
# the IPv6 half checked with ip6tables-restore too.
# Usage: tests/rulesets_kernel_check.sh [DIR...]   (exit 0: all loaded; 1: some failed)
set -uo pipefail
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$(dirname "$0")/../corpus/rulesets")
ns="nvrs-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

fresh_ns() {
  cleanup
  ip netns add "$ns" || { echo "cannot create network namespace $ns" >&2; exit 1; }
}
run() { ip netns exec "$ns" "$@"; }

status=0
count=0
for dir in "${dirs[@]}"; do
for f in "$dir"/*.nft; do
  [ -e "$f" ] || continue
  count=$((count + 1))
  fresh_ns
  if run nft -c -f "$f" && run nft -f "$f" && run nft -f "$f"; then
    echo "ok   $(basename "$f")"
  else
    echo "FAIL $(basename "$f")" >&2
    status=1
  fi
done
for f in "$dir"/*.rules; do
  [ -e "$f" ] || continue
  count=$((count + 1))
  fresh_ns
  restore=iptables-restore
  case "$(basename "$f")" in ipt6*) restore=ip6tables-restore ;; esac
  ok=1
  if [ -e "$f.ipset" ]; then
    run ipset restore < "$f.ipset" || ok=0
  fi
  if [ $ok = 1 ] && run "$restore" --test < "$f" && run "$restore" < "$f"; then
    echo "ok   $(basename "$f") ($restore)"
  else
    echo "FAIL $(basename "$f") ($restore)" >&2
    status=1
  fi
  if [ -e "$f.v6" ]; then
    if [ $ok = 1 ] && run ip6tables-restore --test < "$f.v6" && run ip6tables-restore < "$f.v6"; then
      echo "ok   $(basename "$f").v6 (ip6tables-restore)"
    else
      echo "FAIL $(basename "$f").v6 (ip6tables-restore)" >&2
      status=1
    fi
  fi
done
done
if [ $count = 0 ]; then
  echo "no rulesets in ${dirs[*]}" >&2
  exit 1
fi
exit $status
