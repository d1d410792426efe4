#!/usr/bin/env bash
# Export benchmark: N generated old-style pages (the import bench's
# generator) imported once, then `export --pages` to a directory of
# Markdown files and to JSON Lines, and `site-report`, RUNS times each,
# interleaved, each into a fresh output; then one `site-report` rebuild in
# place. Reports each run, peak RSS and the medians.
#
# usage: benches/export/run.sh [N]     (N pages, default 10000; RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/sidarkiv-export-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
python3 benches/import/gen_pages.py "$work/pages" "$N"
target/release/sidarkiv import "$work/pages" --archive "$work/archive" >/dev/null
sync

declare -A times
measure() { # name, run, output
  local name=$1 run=$2 out=$3
  sync
  if [ "${name%%-*}" = site ]; then
    /usr/bin/time -v target/release/sidarkiv site-report "$out" --archive "$work/archive" \
      >"$work/summary" 2>"$work/time"
  else
    /usr/bin/time -v target/release/sidarkiv export --pages "$out" --archive "$work/archive" \
      >"$work/summary" 2>"$work/time"
  fi
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  test "$(grep -o '"\(exported\|pages\)": [0-9]*' "$work/summary" | grep -o '[0-9]*$')" -eq "$N"
  printf '%-10s run %d %8.2f s  %8.0f pages/s  peak RSS %7.1f MiB\n' "$name" "$run" "$secs" \
    "$(echo "$N / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  times[$name]="${times[$name]:-} $secs"
}

echo "pages: $N   cores: $(nproc)"
for run in $(seq 1 "$RUNS"); do
  measure markdown "$run" "$work/md-$run"
  measure jsonl "$run" "$work/jsonl-$run/pages.jsonl"
  measure site "$run" "$work/site-$run"
done
measure site-again 1 "$work/site-1"
grep -E '"(written|unchanged)"' "$work/summary" | tr -d ' ,' | sed 's/^/  rebuild in place: /' 
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "medians of $RUNS:"
for name in "${!times[@]}"; do
  printf '  %-10s %8.2f s\n' "$name" "$(echo "${times[$name]}" | median)"
done
