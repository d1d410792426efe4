#!/usr/bin/env python3
"""Generates N old-style karlskrona.se pages (2010 template, windows-1252, 5–40 KB,
varied text) into a folder, for the import benchmark. Deterministic for a seed.
Each file's modification time is its capture time: page i at 2010-01-01 plus
i seconds. With `one-url`, every page names the same URL ("Länk till sidan"):
N captures of one URL, for the scale benchmark (`scale.sh`).

usage: gen_pages.py OUT_DIR [N] [SEED] [one-url]
"""
import os
import random
import sys
from pathlib import Path

WORDS = ("kommun nätverk samarbete utveckling Östersjön region medlem förening projekt "
         "invånare miljö transport kultur skola omsorg näringsliv hamn skärgård "
         "fritid idrott förvaltning beslut fullmäktige styrelse nämnd budget plan "
         "översikt säkerhet vatten avlopp trafik cykel buss tåg färja besök turism").split()
NAMES = ["Tore Almlöf", "Anna Lindqvist", "Per Öberg", "Karin Åström", "Lars Nyström", "Eva Sjöberg"]
ROLES = ["Chef för strategisk planering", "Internationell samordnare", "Kommunsekreterare", "Utvecklingsledare"]


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def page(i, rng, one_url=False):
    target = rng.randint(5_000, 40_000)
    url = "http://www.karlskrona.se/sv/Om-kommunen/" if one_url else f"http://www.karlskrona.se/sv/Om-kommunen/sida-{i}/"
    head = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="sv" lang="sv">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>Sida {i} - Karlskrona kommun</title>
<script type="text/javascript">var svDocumentId = "4.{i}";</script>
</head>
<body>
<div id="header"><ul><li><a href="/sv/">Startsida</a></li><li><a href="/sv/Om-kommunen/">Kommun och politik</a></li></ul></div>
<div id="content">
<h1>Sida {i}: {rng.choice(WORDS).capitalize()} och {rng.choice(WORDS)}</h1>
<p class="ingress">{paragraph(rng)}</p>
"""
    body = []
    size = len(head)
    n = 0
    while size < target - 1500:
        n += 1
        acronym = "".join(rng.choice("ABCDEFGHKLMNPRSTU") for _ in range(3))
        section = f'<h2>{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {n}, {acronym}</h2>\n'
        for _ in range(rng.randint(1, 3)):
            section += f'<p class="normal">{paragraph(rng)}</p>\n'
        body.append(section)
        size += len(section.encode("utf-8"))
    name = rng.choice(NAMES)
    tail = f"""<h3>För mer information kontakta</h3>
<p>{name}<br />{rng.choice(ROLES)}<br />0455-30 {rng.randint(10, 99)} {rng.randint(10, 99)}</p>
</div>
<div id="footer"><p>Postadress: Östra Hamngatan 7B, 371 83 Karlskrona, organisationsnummer 212000-0829, Tfn 0455-30 30 00<br />
Fax 0455-30 30 30, Fakturaadress: Box 79, 371 21 Karlskrona</p>
<p>Sidan uppdaterad: 20{rng.randint(5, 11):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</p>
<p>Länk till sidan: <a href="{url}">{url}</a></p></div>
</body>
</html>
"""
    return (head + "".join(body) + tail).encode("cp1252")


def main():
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 2010
    one_url = len(sys.argv) > 4 and sys.argv[4] == "one-url"
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        data = page(i, rng, one_url)
        total += len(data)
        path = out / f"sida-{i:06d}.html"
        path.write_bytes(data)
        when = 1262304000 + i  # 2010-01-01T00:00:00Z + i s
        os.utime(path, (when, when))
    print(f"{n} pages, {total / 1e6:.1f} MB, mean {total / n / 1024:.1f} KiB", file=sys.stderr)


if __name__ == "__main__":
    main()
