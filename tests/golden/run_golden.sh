#!/usr/bin/env bash
# One golden case: CASE/cmd holds netverify's arguments (one line, word-split, run from the
# repository root), CASE/stdin (optional) is fed to it, and stdout, stderr and the exit
# status must equal CASE/stdout, CASE/stderr and CASE/status.
# An argument containing @OUT@ names a fresh directory; every file the command writes there
# must equal the file of the same name in CASE/out/.
# NETVERIFY_UPDATE_GOLDEN=1 rewrites the expectations instead of comparing.
set -uo pipefail
bin="$1"
case_dir="$2"
read -r -a args < "$case_dir/cmd"
stdin=/dev/null
[ -f "$case_dir/stdin" ] && stdin="$case_dir/stdin"
out=$(mktemp) err=$(mktemp) outdir=$(mktemp -d)
trap 'rm -rf "$out" "$err" "$outdir"' EXIT
args=("${args[@]//@OUT@/$outdir}")
NO_COLOR=1 timeout 60 "$bin" "${args[@]}" < "$stdin" > "$out" 2> "$err"
status=$?
if [ "${NETVERIFY_UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$out" "$case_dir/stdout"
  cp "$err" "$case_dir/stderr"
  echo "$status" > "$case_dir/status"
  if [ -n "$(ls -A "$outdir")" ]; then
    rm -rf "$case_dir/out"
    cp -r "$outdir" "$case_dir/out"
  fi
  echo "updated $case_dir"
  exit 0
fi
fail=0
if [ "$status" != "$(cat "$case_dir/status")" ]; then
  echo "exit status $status, expected $(cat "$case_dir/status")"
  fail=1
fi
diff -u "$case_dir/stdout" "$out" || fail=1
diff -u "$case_dir/stderr" "$err" || fail=1
if [ -d "$case_dir/out" ] || [ -n "$(ls -A "$outdir")" ]; then
  diff -ru "$case_dir/out" "$outdir" || fail=1
fi
exit $fail
