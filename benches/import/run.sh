#!/usr/bin/env bash
# Import benchmark: N generated old-style pages (5–40 KB) imported by
# `sidarkiv import`, and the same work by a BeautifulSoup+lxml script and a
# selectolax (lexbor) script writing the same outputs (a WARC segment, a
# CDXJ index, the page JSON), three runs each in one invocation,
# interleaved. Reports each run, the medians, peak RSS, and where
# sidarkiv's time went (its -v line: parse, compression, writes, syncs).
#
# usage: benches/import/run.sh [N]     (N pages, default 10000)
#        ONLY=sidarkiv benches/import/run.sh 100000   (sidarkiv alone)
#
# Every run writes a fresh archive and none is deleted before the end: on
# ext4 a file created soon after tens of thousands were deleted costs up to
# ten times as much (the inode allocator skips recently freed inodes one by
# one), which made later runs slower than the first. For the same reason,
# wait ~6 minutes after an invocation before the next (the trap below
# deletes everything).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/sidarkiv-import-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "${ONLY:-}" != sidarkiv ]; then
  python3 -c "import bs4, lxml, selectolax, warcio, surt" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check beautifulsoup4 lxml selectolax warcio surt
fi
cargo build --release --quiet

python3 benches/import/gen_pages.py "$work/pages" "$N"
sync

declare -A times
measure() { # name, run, command...
  local name=$1 run=$2; shift 2
  sync
  /usr/bin/time -v "$@" >"$work/out" 2>"$work/time"
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  printf '%-18s run %d %8.2f s  %8.0f pages/s  peak RSS %7.1f MiB\n' "$name" "$run" "$secs" \
    "$(echo "$N / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  times[$name]="${times[$name]:-} $secs"
  if [ "$name" = sidarkiv ]; then
    test "$(grep -c '"status":"ok"' "$work/out")" -eq "$N"
    grep -o 'import: .*' "$work/time" | sed 's/^/                   /'
  fi
}

echo "pages: $N   cores: $(nproc)"
for run in $(seq 1 "$RUNS"); do
  measure sidarkiv "$run" target/release/sidarkiv -v import "$work/pages" --archive "$work/a-sidarkiv-$run"
  if [ "${ONLY:-}" != sidarkiv ]; then
    measure selectolax "$run" python3 benches/import/py_import.py selectolax "$work/pages" "$work/a-selectolax-$run"
    measure bs4+lxml "$run" python3 benches/import/py_import.py bs4 "$work/pages" "$work/a-bs4-$run"
  fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "medians of $RUNS:"
for name in "${!times[@]}"; do
  printf '  %-18s %8.2f s\n' "$name" "$(echo "${times[$name]}" | median)"
done
if [ -n "${times[bs4+lxml]:-}" ]; then
  s=$(echo "${times[sidarkiv]}" | median)
  printf '  sidarkiv is %.1fx the BeautifulSoup script, %.1fx the selectolax script\n' \
    "$(echo "$(echo "${times[bs4+lxml]}" | median) / $s" | bc -l)" \
    "$(echo "$(echo "${times[selectolax]}" | median) / $s" | bc -l)"
fi
