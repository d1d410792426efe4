#!/usr/bin/env python3
"""The same work as `sidarkiv import`, written as one would in Python, for the
benchmark: decode, parse, extract the same fields (title, intro, sections,
contacts, organisation number and addresses, update date, page URL), and
write the same outputs as sidarkiv's archive: each page as a WARC `resource`
record (warcio, gzip per record) appended to one segment, the page JSON
beside it, and a sorted CDXJ index; durably (the segment fsynced after each
record, each JSON file through a tmp file, fsync, rename, directory fsync).

usage: py_import.py bs4|selectolax IN_DIR OUT_DIR
"""
import datetime
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path

UPDATED = re.compile(r"(?:Sidan uppdaterad|Senast uppdaterad)\s*:?\s*(\d{4}-\d{2}-\d{2})")
PAGE_LINK = re.compile(r"Länk till sidan\s*:?\s*(\S+)")
ORG = re.compile(r"organisationsnummer\s*:?\s*(\d{6}-?\d{4})")
ADDRESS = re.compile(r"(Postadress|Fakturaadress)\s*:?\s*([^,]+),\s*(\d{3}\s?\d{2})\s+(\w+)")
PHONE = re.compile(r"\+?\d[\d \-]{5,}\d")
CONTACT = re.compile(r"^(För mer information kontakta|Kontakt)", re.I)


def decode(raw):
    m = re.search(rb'charset=["\']?([\w-]+)', raw[:1024])
    enc = m.group(1).decode() if m else "windows-1252"
    if enc.lower() in ("iso-8859-1", "latin-1", "latin1"):
        enc = "cp1252"
    try:
        return raw.decode(enc, errors="replace")
    except LookupError:
        return raw.decode("cp1252", errors="replace")


def fold(s):
    return " ".join(s.split())


def extract_bs4(text):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(text, "lxml")
    for s in soup(["script", "style"]):
        s.decompose()
    h1 = soup.find("h1")
    blocks = [(t.name, fold(t.get_text(" "))) for t in soup.find_all(["h1", "h2", "h3", "p"])]
    return fold(h1.get_text(" ")) if h1 else None, blocks, fold(soup.get_text(" "))


def extract_selectolax(text):
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(text)
    for s in tree.css("script, style"):
        s.decompose()
    h1 = tree.css_first("h1")
    blocks = [(n.tag, fold(n.text(separator=" "))) for n in tree.css("h1, h2, h3, p")]
    return fold(h1.text(separator=" ")) if h1 else None, blocks, fold(tree.body.text(separator=" ") if tree.body else "")


def page_json(title, blocks, alltext):
    intro, sections, contacts = [], [], []
    in_contact = False
    started = False
    for tag, text in blocks:
        if tag == "h1":
            started = True
            continue
        if not started or not text:
            continue
        if CONTACT.match(text):
            in_contact = True
            continue
        if in_contact and tag == "p":
            phone = PHONE.search(text)
            contacts.append({"text": text, "phone": phone.group(0) if phone else None})
            continue
        if tag in ("h2", "h3"):
            sections.append({"heading": text, "paragraphs": []})
        elif sections:
            sections[-1]["paragraphs"].append(text)
        else:
            intro.append(text)
    updated = UPDATED.search(alltext)
    link = PAGE_LINK.search(alltext)
    org = ORG.search(alltext)
    return {
        "title": title,
        "url": link.group(1) if link else None,
        "updated": updated.group(1) if updated else None,
        "intro": "\n\n".join(intro) or None,
        "sections": sections,
        "contacts": contacts,
        "org_number": org.group(1) if org else None,
        "addresses": [m.groups() for m in ADDRESS.finditer(alltext)],
    }


def write_durably(path, data, tmpdir):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmpdir)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)


def main():
    from surt import surt
    from warcio.warcwriter import WARCWriter

    kind, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    extract = extract_bs4 if kind == "bs4" else extract_selectolax
    tmpdir = out / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    (out / "warcs").mkdir(parents=True, exist_ok=True)
    (out / "indexes").mkdir(parents=True, exist_ok=True)
    name = "segment.warc.gz"
    lines = []
    n = 0
    with open(out / "warcs" / name, "wb") as seg:
        writer = WARCWriter(seg, gzip=True)
        for path in sorted(src.rglob("*.html")):
            raw = path.read_bytes()
            sha = hashlib.sha256(raw).hexdigest()
            doc = page_json(*extract(decode(raw)))
            url = doc["url"] or path.resolve().as_uri()
            mtime = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)
            date = mtime.strftime("%Y-%m-%dT%H:%M:%SZ")
            offset = seg.tell()
            record = writer.create_warc_record(
                url, "resource", payload=io.BytesIO(raw),
                warc_content_type="text/html", warc_headers_dict={"WARC-Date": date})
            writer.write_record(record)
            seg.flush()
            os.fsync(seg.fileno())
            ts = mtime.strftime("%Y%m%d%H%M%S")
            fields = {"url": url, "mime": "text/html", "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                      "length": str(seg.tell() - offset), "offset": str(offset), "filename": name, "sha256": sha}
            lines.append(f"{surt(url)} {ts} {json.dumps(fields)}\n")
            write_durably(out / "pages" / f"{ts}-{sha[:12]}.json", json.dumps(doc, ensure_ascii=False, indent=2).encode(), tmpdir)
            n += 1
    write_durably(out / "indexes" / f"{name}.cdxj", "".join(sorted(lines)).encode(), tmpdir)
    print(n, file=sys.stderr)


if __name__ == "__main__":
    main()
