#!/usr/bin/env bash
# Replays every input in fuzz/regressions/<target>/ (crashes found before, kept after their
# fix) through its fuzz target once; fails if any of them crashes again.
#
# usage: fuzz/regress.sh [target ...]      (default: every target with a regressions folder)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if cargo +nightly --version >/dev/null 2>&1; then
  fuzz_cargo=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz_cargo=(cargo fuzz)
fi

if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for d in fuzz/regressions/*/; do
    [[ -d $d ]] && targets+=("$(basename "$d")")
  done
fi

mkdir -p fuzz/artifacts
known=$("${fuzz_cargo[@]}" list)
replayed=0
for t in "${targets[@]}"; do
  dir=fuzz/regressions/$t
  [[ -d $dir ]] || continue
  mapfile -t files < <(find "$dir" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' | sort)
  ((${#files[@]} > 0)) || continue
  grep -qx "$t" <<<"$known" || { echo "fuzz/regressions/$t: no fuzz target named $t" >&2; exit 1; }
  echo "regressions $t: ${#files[@]} input(s)"
  # Inputs given as files are run once each; nothing is written to any corpus.
  "${fuzz_cargo[@]}" run -O "$t" "${files[@]}" -- -rss_limit_mb=2048 >/dev/null 2>"fuzz/artifacts/regress-$t.log" || {
    echo "fuzz/regressions/$t: an input crashes again; see fuzz/artifacts/regress-$t.log" >&2
    tail -n 30 "fuzz/artifacts/regress-$t.log" >&2
    exit 1
  }
  replayed=$((replayed + ${#files[@]}))
done
echo "regressions: $replayed input(s) replayed, none crashed"
