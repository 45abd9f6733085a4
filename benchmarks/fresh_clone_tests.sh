#!/usr/bin/env bash
# Usage: benchmarks/fresh_clone_tests.sh N
#
# Is `make test` deterministic on a fresh checkout? Clones this repository's committed HEAD into a
# new temporary directory N times, runs `make test` once in each clone, checks that no .hypothesis
# directory appears, and prints the pass/fail counts (exit 1 if any run failed).
#
# One virtualenv serves every clone, so nothing is reinstalled: $VENV if set, else this checkout's
# .venv if `make` has set it up, else one made once in the temporary directory. The Makefile's
# install stamp is marked up to date (`make -o`), and PYTHONPATH puts each clone's src/ ahead of the
# venv's editable install, so each run tests the clone's own code (checked before the run).
set -euo pipefail

N=${1:?usage: $0 N (number of fresh clones to test)}
case $N in '' | *[!0-9]*) echo "N must be a whole number, got '$N'" >&2; exit 2 ;; esac

REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
COMMIT=$(git -C "$REPO" rev-parse HEAD)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/costlm-fresh-clones-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes in $REPO are not tested (the clones hold $COMMIT)" >&2
fi

if [ -z "${VENV:-}" ]; then
  if [ -f "$REPO/.venv/.installed" ]; then VENV=$REPO/.venv; else VENV=$WORK/venv; fi
fi
VENV=$(cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")
if [ ! -f "$VENV/.installed" ]; then
  echo "setting up $VENV once (make's install step in a throwaway clone)"
  git clone -q "$REPO" "$WORK/bootstrap"
  git -C "$WORK/bootstrap" checkout -q --detach "$COMMIT"
  make -C "$WORK/bootstrap" --no-print-directory VENV="$VENV" "$VENV/.installed"
fi

pass=0
fail=0
for i in $(seq 1 "$N"); do
  clone=$WORK/clone-$i
  git clone -q "$REPO" "$clone"
  git -C "$clone" checkout -q --detach "$COMMIT"
  log=$WORK/clone-$i.log
  where=$(cd "$clone" && env PYTHONPATH="$clone/src" "$VENV/bin/python" -c 'import costlm; print(costlm.__file__)')
  start=$(date +%s)
  status=ok
  if [ "$where" != "$clone/src/costlm/__init__.py" ]; then
    status="FAIL (imports costlm from $where, not the clone)"
  elif ! (cd "$clone" && env -u HYPOTHESIS_PROFILE -u HYPOTHESIS_STORAGE_DIRECTORY PYTHONPATH="$clone/src" \
    make --no-print-directory VENV="$VENV" -o "$VENV/.installed" test) >"$log" 2>&1; then
    status="FAIL (make test; last lines below)"
  elif [ -e "$clone/.hypothesis" ]; then
    status="FAIL (.hypothesis directory created)"
  fi
  seconds=$(($(date +%s) - start))
  summary=$(grep -E '^[0-9]+ passed|^=+ .*(passed|failed)' "$log" | tail -n 1 || true)
  if [ "$status" = ok ]; then
    pass=$((pass + 1))
    echo "run $i/$N: pass in ${seconds}s: ${summary}"
  else
    fail=$((fail + 1))
    echo "run $i/$N: $status after ${seconds}s"
    tail -n 25 "$log" | sed 's/^/    /'
  fi
  rm -rf "$clone"
done

echo "fresh clones of ${COMMIT:0:12}: $pass passed, $fail failed (of $N); venv $VENV"
[ "$fail" -eq 0 ]
