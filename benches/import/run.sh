#!/usr/bin/env bash
# Import benchmark: 10,000 generated old-style pages (5–40 KB) imported by
# `sidarkiv import`, and the same work by a BeautifulSoup+lxml script and a
# selectolax (lexbor) script, in one run. Reports pages/s and peak RSS.
#
# usage: benches/import/run.sh [N]     (N pages, default 10000)
#
# Runs back to back are not comparable on ext4 without a journal: the trap
# below deletes tens of thousands of files, and for a few minutes after that
# the inode allocator skips the freed inodes one by one. Wait ~6 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
work=$(mktemp -d /tmp/sidarkiv-import-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 -c "import bs4, lxml, selectolax" 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check beautifulsoup4 lxml selectolax
cargo build --release --quiet

python3 benches/import/gen_pages.py "$work/pages" "$N"
sync

measure() { # name, command...
  local name=$1; shift
  sync
  /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time"
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/$name.time" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  printf '%-22s %8.2f s  %9.0f pages/s  peak RSS %7.1f MiB\n' "$name" "$secs" "$(echo "$N / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "pages: $N   cores: $(nproc)"
measure "sidarkiv import" target/release/sidarkiv import "$work/pages" --archive "$work/archive-sidarkiv"
measure "python selectolax" python3 benches/import/py_import.py selectolax "$work/pages" "$work/archive-selectolax"
measure "python bs4+lxml" python3 benches/import/py_import.py bs4 "$work/pages" "$work/archive-bs4"
test "$(grep -c '"status":"ok"' "$work/sidarkiv import.out")" -eq "$N"
