#!/usr/bin/env python3
"""Main text of sidarkiv against trafilatura on the article pages written by
make_articles.py, scored as the scrapinghub article-extraction-benchmark
scores article bodies: bags of word 4-grams (tokens are \\w+ runs), true
and false positives and negatives normalised per page, precision and recall
averaged over pages, F1 from the two averages. (Implemented here from that
definition.)

sidarkiv's main text: title, intro, then every section's heading and
paragraphs, in order. trafilatura's: its title, then its text.

Usage: python3 benches/articles/run.py [SIDARKIV_BINARY]
(needs `pip install trafilatura`)
"""
import collections
import json
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text, n=4):
    tokens = TOKEN.findall(text or "")
    grams = [tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))]
    return collections.Counter(g for g in grams if g)


def tp_fp_fn(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = sum(min(t[k], p[k]) for k in t.keys() | p.keys())
    fp = sum(max(0, p[k] - t[k]) for k in t.keys() | p.keys())
    fn = sum(max(0, t[k] - p[k]) for k in t.keys() | p.keys())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def score(triples):
    def prec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def rec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(prec(*x) for x in triples if x[0] + x[1] > 0)
    r = statistics.mean(rec(*x) for x in triples if x[0] + x[2] > 0)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def sidarkiv_text(binary, path):
    out = subprocess.run([binary, "parse", str(path)], capture_output=True, check=True)
    page = json.loads(out.stdout)
    parts = [page["title"] or "", page["intro"] or ""]
    for s in page["sections"]:
        if s["heading"]:
            parts.append(s["heading"])
        parts.extend(s["paragraphs"])
    return "\n".join(p for p in parts if p)


def trafilatura_text(path):
    import trafilatura

    raw = path.read_bytes()
    doc = trafilatura.bare_extraction(raw, with_metadata=True)
    if doc is None:
        return ""
    if not isinstance(doc, dict):
        doc = doc.as_dict()
    return "\n".join(x for x in [doc.get("title") or "", doc.get("text") or ""] if x)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(HERE.parents[1] / "target/release/sidarkiv")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(HERE / "make_articles.py"), tmp], check=True,
                       stdout=subprocess.DEVNULL)
        pages = sorted(pathlib.Path(tmp).glob("*.html"))
        results = {"sidarkiv": [], "trafilatura": []}
        per_page = []
        for html_path in pages:
            gold = html_path.with_suffix(".txt").read_text(encoding="utf-8")
            a = tp_fp_fn(gold, sidarkiv_text(binary, html_path))
            b = tp_fp_fn(gold, trafilatura_text(html_path))
            results["sidarkiv"].append(a)
            results["trafilatura"].append(b)
            per_page.append((html_path.stem, score([a])[2], score([b])[2]))
    print(f"{len(pages)} pages")
    for name, triples in results.items():
        p, r, f1 = score(triples)
        print(f"{name:<12} precision={p:.3f} recall={r:.3f} F1={f1:.3f}")
    print("per page (F1 sidarkiv, trafilatura):")
    for stem, a, b in per_page:
        print(f"  {stem:<24} {a:.3f} {b:.3f}")


if __name__ == "__main__":
    main()
