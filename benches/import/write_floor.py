#!/usr/bin/env python3
"""The write side of `sidarkiv import` alone, for the README's account of
where the import's time goes: the files an import of N pages makes (a raw
object, a page JSON, an index and a directory per page, sizes as in the
benchmark's archive) written through a temporary file and a rename, with one
`sync` per 256 pages, and no parsing at all. Prints wall, user and system time.

usage: write_floor.py OUT_DIR [N]
"""
import os
import sys
import time

RAW, PAGE_JSON, INDEX = 21_000, 45_000, 800


def main():
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    raw, page, index = b"r" * RAW, b"p" * PAGE_JSON, b"i" * INDEX
    os.makedirs(f"{root}/tmp", exist_ok=True)
    start, t0 = time.time(), os.times()
    for i in range(n):
        page_dir = f"{root}/pages/{i}"
        os.makedirs(page_dir)
        files = [(f"{root}/objects/{i % 256:02x}", f"{i}", raw),
                 (page_dir, "page.json", page), (page_dir, "captures.json", index)]
        for directory, name, data in files:
            os.makedirs(directory, exist_ok=True)
            tmp = f"{root}/tmp/{i}-{name}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
            os.rename(tmp, f"{directory}/{name}")
        if i % 256 == 255:
            os.sync()
    os.sync()
    t1 = os.times()
    print(f"{n} pages: wall {time.time() - start:.2f} s, user {t1.user - t0.user:.2f} s, "
          f"system {t1.system - t0.system:.2f} s")


if __name__ == "__main__":
    main()
