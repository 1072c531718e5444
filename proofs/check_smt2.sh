#!/usr/bin/env bash
# Checks the committed SMT-LIB obligations (proofs/smt2): they must be exactly what
# nv_proofs emits now, and the z3 CLI must answer `unsat` to every one.
#   proofs/check_smt2.sh Z3 NV_PROOFS SMT2_DIR
# Regenerate after changing an obligation or the encoder:
#   rm proofs/smt2/*.smt2 && build/proofs/nv_proofs --emit proofs/smt2 --no-check
set -euo pipefail
z3=${1:?usage: check_smt2.sh Z3 NV_PROOFS SMT2_DIR}
nv_proofs=${2:?usage: check_smt2.sh Z3 NV_PROOFS SMT2_DIR}
dir=${3:?usage: check_smt2.sh Z3 NV_PROOFS SMT2_DIR}

if ! command -v "$z3" >/dev/null; then
  echo "check_smt2: the z3 command-line solver ($z3) is missing; apt-get install z3" >&2
  exit 1
fi

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$nv_proofs" --emit "$fresh" --no-check
if ! diff -r -q "$dir" "$fresh" >&2; then
  echo "check_smt2: $dir is out of date with nv_proofs; regenerate with" >&2
  echo "  rm proofs/smt2/*.smt2 && build/proofs/nv_proofs --emit proofs/smt2 --no-check" >&2
  exit 1
fi

shopt -s nullglob
files=("$dir"/*.smt2)
if ((${#files[@]} == 0)); then
  echo "check_smt2: no obligations in $dir" >&2
  exit 1
fi
status=0
for f in "${files[@]}"; do
  answer=$("$z3" -smt2 -T:60 "$f" 2>&1 || true)
  if [[ "$answer" == "unsat" ]]; then
    echo "unsat   $(basename "$f")"
  else
    echo "FAILED  $(basename "$f"): z3 answered: $answer" >&2
    status=1
  fi
done
exit $status
