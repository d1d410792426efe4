#!/usr/bin/env bash
# Scale benchmark: `sidarkiv import` of N captures of one URL against N
# captures of N URLs, for N in the list given (default 1000 10000 60000):
# import time should grow linearly in N and be about the same for one URL
# as for many; peak RSS should stay flat. One run each; pages as in run.sh.
#
# usage: benches/import/scale.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 60000)
work=$(mktemp -d /tmp/sidarkiv-scale-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet

printf '%8s  %-9s %9s %11s %12s\n' N urls seconds "µs/capture" "peak RSS"
for n in "${sizes[@]}"; do
  for shape in many one; do
    rm -rf "$work/pages" "$work/archive"
    if [ "$shape" = one ]; then
      python3 benches/import/gen_pages.py "$work/pages" "$n" 2010 one-url 2>/dev/null
    else
      python3 benches/import/gen_pages.py "$work/pages" "$n" 2>/dev/null
    fi
    sync
    /usr/bin/time -v target/release/sidarkiv import "$work/pages" --archive "$work/archive" \
      >"$work/out" 2>"$work/time"
    test "$(grep -c '"status":"ok"' "$work/out")" -eq "$n"
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time" |
      awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    printf '%8d  %-9s %9.2f %11.0f %9.1f MiB\n' "$n" "$shape" "$secs" \
      "$(echo "$secs * 1000000 / $n" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  done
done
