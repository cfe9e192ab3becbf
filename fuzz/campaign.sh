#!/usr/bin/env bash
# A fuzzing campaign over every cargo-fuzz target: seeds in, libFuzzer with -fork and the
# target's dictionaries, corpus minimised with `cargo fuzz cmin`, crashes copied into
# fuzz/regressions/, one summary table at the end and a line per target appended to
# fuzz/campaign-log.tsv (the running total in SECURITY.md comes from that file).
#
# usage: fuzz/campaign.sh [seconds-per-target] [target ...]
#        fuzz/campaign.sh --totals        # sum fuzz/campaign-log.tsv per target
# env:   FUZZ_JOBS      parallel fuzzing processes (-fork=N), default: nproc
#        FUZZ_RSS_MB    libFuzzer -rss_limit_mb, default 2048
#        FUZZ_NO_CMIN=1 skip corpus minimisation
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log_tsv=fuzz/campaign-log.tsv

if [[ ${1:-} == --totals ]]; then
  [[ -f $log_tsv ]] || { echo "no campaign has run yet ($log_tsv missing)"; exit 0; }
  printf "%-24s %10s %14s %8s %8s\n" target cpu-hours execs max-cov crashes
  awk -F'\t' 'NR > 1 {
      cpu[$3] += $4; execs[$3] += $5; crash[$3] += $8
      if ($6 > cov[$3]) cov[$3] = $6
      tc += $4; te += $5; tk += $8
    }
    END {
      for (t in cpu) printf "%-24s %10.3f %14d %8d %8d\n", t, cpu[t] / 3600, execs[t], cov[t], crash[t] | "sort"
      close("sort")
      printf "%-24s %10.3f %14d %8s %8d\n", "TOTAL", tc / 3600, te, "", tk
    }' "$log_tsv"
  exit 0
fi

seconds=${1:-600}
shift || true
[[ $seconds =~ ^[0-9]+$ ]] || { echo "seconds-per-target must be a number, got '$seconds'" >&2; exit 2; }
jobs=${FUZZ_JOBS:-$(nproc)}
rss=${FUZZ_RSS_MB:-2048}

if cargo +nightly --version >/dev/null 2>&1; then
  fuzz_cargo=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz_cargo=(cargo fuzz)
fi
"${fuzz_cargo[@]}" --version >/dev/null 2>&1 || { echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2; exit 2; }

if (($# > 0)); then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz_cargo[@]}" list)
fi
((${#targets[@]} > 0)) || { echo "no fuzz targets" >&2; exit 2; }

[[ -x /usr/bin/time ]] || { echo "GNU time is missing (apt-get install time): it measures the campaign's CPU seconds" >&2; exit 2; }
timer=(/usr/bin/time -f '%U %S')

stamp=$(date -u +%Y%m%dT%H%M%SZ)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
work=fuzz/artifacts/campaign-$stamp
mkdir -p "$work/tmp"
# libFuzzer's fork and merge control files go to $TMPDIR named by PID: a private one keeps
# other fuzzers on the machine (other PID namespaces) from clobbering them.
export TMPDIR=$root/$work/tmp
echo "campaign $stamp at $rev: ${#targets[@]} targets, ${seconds}s each, -fork=$jobs; logs in $work"

"${fuzz_cargo[@]}" build -O

# The regressions first: a known crash that comes back stops the campaign.
fuzz/regress.sh "${targets[@]}"

# Joins the dictionaries targets.map names for $1 into one file; prints its path (or nothing).
dictionary() {
  local target=$1 names line out
  line=$(grep -E "^$target:" fuzz/dict/targets.map || grep -E '^\*:' fuzz/dict/targets.map || true)
  names=${line#*:}
  out=$work/$target.dict
  : >"$out"
  for n in $names; do
    [[ -f fuzz/dict/$n.dict ]] && cat "fuzz/dict/$n.dict" >>"$out"
  done
  [[ -s $out ]] && echo "$out"
}

replay_cov() { # edges covered by running target $1 once over directory $2
  "${fuzz_cargo[@]}" run -O "$1" "$2" -- -runs=0 -rss_limit_mb="$rss" 2>&1 |
    sed -nE 's/^#[0-9]+[[:space:]]+(INITED|DONE).* cov: ([0-9]+).*/\2/p' | tail -n 1 | grep . || echo 0
}

corpus_size() { # files and KiB of a directory
  local files kib
  files=$(find "$1" -type f | wc -l)
  kib=$(du -sk "$1" | cut -f1)
  echo "$files $kib"
}

[[ -f $log_tsv ]] || printf 'date\trev\ttarget\tcpu_seconds\texecs\tcov\tft\tcrashes\tcorpus_files\n' >"$log_tsv"
summary=()
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  # Committed seeds (fuzz/seeds, made by record_seeds from a real session) join the corpus.
  if [[ -d fuzz/seeds/$t ]]; then
    cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  fi
  before=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
  args=(-fork="$jobs" -max_total_time="$seconds" -rss_limit_mb="$rss" -ignore_crashes=1
        -ignore_timeouts=1 -ignore_ooms=1 -print_final_stats=1 -artifact_prefix="$artifacts/")
  dict=$(dictionary "$t" || true)
  [[ -n $dict ]] && args+=(-dict="$dict")
  echo "== $t: ${seconds}s, -fork=$jobs${dict:+, dict $(basename "$dict")}"
  log=$work/$t.log
  start=$(date +%s)
  # CPU time is measured (user + system of the whole process tree), not wall time x jobs: on a
  # shared machine a niced campaign gets less than its forks' share of the cores.
  cpu_file=$work/$t.cpu
  "${timer[@]}" -o "$cpu_file" "${fuzz_cargo[@]}" run -O "$t" "$corpus" -- "${args[@]}" >"$log" 2>&1 ||
    echo "   (libFuzzer exited non-zero; see $log)"
  wall=$(($(date +%s) - start))

  # libFuzzer's status lines: "#<execs> ... cov: <edges> ft: <features> corp: <n>/<size> ...".
  # In -fork mode the driver's lines sum over the jobs; take the last one.
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  # Without -fork (jobs=1 still forks) the final stats give the exact count.
  exact=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -n 1)
  [[ -n $exact ]] && execs=$exact

  after=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d' || true)
  crashes=0
  if [[ -n $new ]]; then
    crashes=$(wc -l <<<"$new")
    mkdir -p "fuzz/regressions/$t"
    while read -r f; do
      cp "$f" "fuzz/regressions/$t/"
      echo "   NEW $(basename "$f") -> fuzz/regressions/$t/ (reproduce: ${fuzz_cargo[*]} run -O $t fuzz/regressions/$t/$(basename "$f"))"
    done <<<"$new"
  fi

  if [[ ${FUZZ_NO_CMIN:-} != 1 ]]; then
    read -r files_before _ < <(corpus_size "$corpus")
    cov_before=$(replay_cov "$t" "$corpus")
    backup=$work/$t.corpus-before-cmin
    rm -rf "$backup"
    cp -r "$corpus" "$backup"
    "${fuzz_cargo[@]}" cmin -O "$t" "$corpus" -- -rss_limit_mb="$rss" >"$work/$t.cmin.log" 2>&1 ||
      echo "   (cmin failed, see $work/$t.cmin.log)"
    cov_after=$(replay_cov "$t" "$corpus")
    # Never keep a minimised corpus that covers less than the one it replaced.
    if ((cov_after < cov_before)); then
      rm -rf "$corpus"
      mv "$backup" "$corpus"
      echo "   cmin lost coverage ($cov_before -> $cov_after edges): corpus restored"
    else
      rm -rf "$backup"
    fi
    read -r files kib < <(corpus_size "$corpus")
    echo "   corpus $files_before -> $files files after cmin ($cov_before -> $cov_after edges on replay)"
  else
    read -r files kib < <(corpus_size "$corpus")
  fi

  cpu=$(tail -n 1 "$cpu_file" | awk '{printf "%d", $1 + $2 + 0.5}')
  printf '%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n' "$stamp" "$rev" "$t" "$cpu" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$crashes" "$files" >>"$log_tsv"
  summary+=("$(printf '%-24s %7d %6d %14s %8s %8s %8d %8d %8d' "$t" "$wall" "$cpu" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "$files" "$kib")")
done

echo
printf '%-24s %7s %6s %14s %8s %8s %8s %8s %8s\n' target wall-s cpu-s execs cov ft crashes corpus KiB
printf '%s\n' "${summary[@]}"
echo
echo "running total (fuzz/campaign-log.tsv):"
"$0" --totals
total_new=$(printf '%s\n' "${summary[@]}" | awk '{s += $7} END {print s + 0}')
if ((total_new > 0)); then
  echo "$total_new new crash(es): each is now in fuzz/regressions/<target>/; fix them, then commit the files" >&2
  exit 1
fi
