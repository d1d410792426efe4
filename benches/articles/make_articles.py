#!/usr/bin/env python3
"""Writes the main-text benchmark's pages: every article of texts.py in
three of six page templates (old and newer municipal sites, a newspaper,
a blog, an English news site, a municipal page with menus and tools between
the title and the text), 30 pages in all, each with its golden main text:
title, lead, then the body's subheadings, quotations and paragraphs, one a
line. Templates and texts are written for sidarkiv; nothing is copied.

Usage: python3 benches/articles/make_articles.py OUTDIR
"""
import html
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from texts import ARTICLES  # noqa: E402

E = html.escape
DATES = ["2015-03-12", "2016-05-04", "2017-09-21", "2018-01-30", "2019-06-11",
         "2012-11-02", "2013-08-19", "2014-04-07", "2020-02-14", "2021-10-05"]
MONTHS_SV = ["januari", "februari", "mars", "april", "maj", "juni", "juli",
             "augusti", "september", "oktober", "november", "december"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December"]


def word_date(iso, lang):
    y, m, d = iso.split("-")
    months = MONTHS_SV if lang == "sv" else MONTHS_EN
    return f"{int(d)} {months[int(m) - 1]} {y}"


def body_html(parts, sub="h2"):
    out = []
    for p in parts:
        if isinstance(p, tuple) and p[0] == "h":
            out.append(f"<{sub}>{E(p[1])}</{sub}>")
        elif isinstance(p, tuple) and p[0] == "q":
            out.append(f"<blockquote><p>{E(p[1])}</p></blockquote>")
        else:
            out.append(f"<p>{E(p)}</p>")
    return "\n".join(out)


def teasers(others, lang):
    return "\n".join(f'<li><a href="/nyheter/{i}">{E(a[1])}</a></li>' for i, a in others)


def old_municipal(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}"><head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>{E(title)} - Karlskrona kommun</title></head><body>
<div id="top"><a href="/sv/">Startsida</a> | <a href="/sv/Sok/">Sök</a> | <a href="/en/">In English</a> | <a href="/sv/Lattlast/">Lättläst</a></div>
<div class="crumbs">Du är här: <a href="/sv/">Start</a> / <a href="/sv/Nyheter/">Nyheter</a> / {E(title)}</div>
<div id="menu"><ul><li><a href="/sv/Barn/">Barn och utbildning</a></li><li><a href="/sv/Bygga/">Bygga och bo</a></li><li><a href="/sv/Kultur/">Kultur och fritid</a></li><li><a href="/sv/Omsorg/">Omsorg och stöd</a></li><li><a href="/sv/Trafik/">Trafik och infrastruktur</a></li></ul></div>
<div id="content">
<h1>{E(title)}</h1>
<p class="date">Publicerad: {date}</p>
<p class="preamble"><strong>{E(lead)}</strong></p>
{body_html(parts)}
<p>Sidan uppdaterad: {date}</p>
<p>Länk till sidan: <a href="http://www.karlskrona.se/sv/Nyheter/sida/">http://www.karlskrona.se/sv/Nyheter/sida/</a></p>
</div>
<div id="news"><h2>Fler nyheter</h2><ul>{teasers(others, lang)}</ul></div>
<div id="footer"><p>Karlskrona kommun<br />Postadress: 371 83 Karlskrona<br />Telefon: 0455-30 30 00<br />Organisationsnummer: 212000-0829</p></div>
</body></html>"""


def newer_municipal(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{E(title)} – Karlskrona kommun</title></head><body>
<header><a href="/">Karlskrona kommun</a><nav aria-label="Huvudmeny"><ul><li><a href="/barn">Barn och utbildning</a></li><li><a href="/bo">Bygga, bo och miljö</a></li><li><a href="/kultur">Kultur och fritid</a></li></ul></nav></header>
<nav class="breadcrumbs"><a href="/">Start</a> <a href="/nyheter/">Nyheter</a></nav>
<main>
<h1>{E(title)}</h1>
<p class="lead">{E(lead)}</p>
<p class="meta">Publicerad {date} · Senast uppdaterad {date}</p>
<div class="tools">Dela | Skriv ut | Lyssna</div>
{body_html(parts)}
<section class="feedback"><p>Hittade du det du letade efter?</p><button>Ja</button><button>Nej</button></section>
</main>
<aside><h2>Fler nyheter</h2><ul>{teasers(others, lang)}</ul></aside>
<footer><p>Karlskrona kommun</p><p>371 83 Karlskrona</p><p>Telefon: 0455-30 30 00</p><p>E-post: kommunen@karlskrona.se</p></footer>
</body></html>"""


def newspaper(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{E(title)} | Blekingeposten</title></head><body>
<div class="topbar"><ul><li><a href="/">Nyheter</a></li><li><a href="/sport">Sport</a></li><li><a href="/noje">Nöje</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/familj">Familj</a></li></ul></div>
<article>
<h1>{E(title)}</h1>
<p class="byline">Av Anna Svensson</p>
<p class="time">Publicerad {word_date(date, lang)} 08:00</p>
<p class="time">Uppdaterad {word_date(date, lang)} 10:12</p>
<div class="share"><a href="#">Dela på Facebook</a> <a href="#">Twitter</a> <a href="#">Mejla</a></div>
<p class="ingress"><strong>{E(lead)}</strong></p>
{body_html(parts)}
</article>
<div class="related"><h2>Läs också</h2><ul>{teasers(others[:2], lang)}</ul></div>
<div class="mostread"><h2>Mest läst</h2><ol>{teasers(others, lang)}</ol></div>
<section class="comments"><h2>3 kommentarer</h2>
<div class="comment"><p>Johanna skriver:</p><p>Äntligen händer det något, det har vi väntat på länge!</p><a href="#">Svara</a></div>
<div class="comment"><p>Per-Olof skriver:</p><p>Undrar vad det kostar och vem som betalar.</p><a href="#">Svara</a></div>
<div class="comment"><p>Lisa skriver:</p><p>Bra initiativ.</p><a href="#">Svara</a></div>
</section>
<footer><p>Kontakta redaktionen: redaktionen@blekingeposten.se, 0455-12 34 56</p><p>Ansvarig utgivare: Karl Berg</p></footer>
</body></html>"""


def blog(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{E(title)} – Karins blogg om Karlskrona</title></head><body>
<div id="header"><h2 class="site">Karins blogg om Karlskrona</h2><ul class="menu"><li><a href="/">Hem</a></li><li><a href="/om">Om mig</a></li><li><a href="/arkiv">Arkiv</a></li></ul></div>
<div class="post">
<h1>{E(title)}</h1>
<p class="postmeta">Postat av Karin den {word_date(date, lang)}</p>
<p>{E(lead)}</p>
{body_html(parts, sub="h3")}
<p class="tags">Taggar: <a href="/t/karlskrona">Karlskrona</a>, <a href="/t/nyheter">nyheter</a></p>
</div>
<div id="comments"><h3>2 kommentarer</h3>
<p>Per skriver:</p><p>Tack för att du skriver om det här, jag hade missat det helt.</p><p><a href="#">Svara</a></p>
<p>Eva skriver:</p><p>Håller med!</p><p><a href="#">Svara</a></p>
</div>
<div id="sidebar"><h3>Senaste inläggen</h3><ul>{teasers(others, lang)}</ul><h3>Arkiv</h3><ul><li><a href="/2015/03">mars 2015</a></li><li><a href="/2015/02">februari 2015</a></li></ul></div>
</body></html>"""


def english_news(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{E(title)} - The Baltic Herald</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>{E(title)}</h1>
<div class="byline"><p>By Anna Svensson</p><p>Updated {word_date(date, 'en')}, 10:12</p></div>
<p><strong>{E(lead)}</strong></p>
{body_html(parts)}
</article>
<section class="related"><h2>Related articles</h2><ul>{teasers(others[:2], lang)}</ul></section>
<section class="popular"><h2>Most read</h2><ol>{teasers(others, lang)}</ol></section>
</main>
<footer><p>The Baltic Herald, Box 12, 371 21 Karlskrona. Tel +46 455 12 34 56. news@balticherald.example</p></footer>
</body></html>"""


def municipal_tools(a, date, others):
    lang, title, lead, parts = a
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{E(title)}</title></head><body>
<div class="site-header"><a href="/">Karlskrona kommun</a> <a href="/kontakt">Kontakt</a> <a href="/sok">Sök</a></div>
<div class="page">
<h1>{E(title)}</h1>
<ul class="submenu"><li><a href="/nyheter/">Alla nyheter</a></li><li><a href="/press/">Pressmeddelanden</a></li><li><a href="/rss/">Prenumerera via RSS</a></li></ul>
<p class="toolbar"><a href="#">Skriv ut</a> | <a href="#">Tipsa en vän</a> | <a href="#">Lyssna</a></p>
<p class="ingress">{E(lead)}</p>
{body_html(parts)}
<p class="updated">Senast uppdaterad: {date}</p>
</div>
<div class="footer"><p>Karlskrona kommun, 371 83 Karlskrona, växel 0455-30 30 00</p></div>
</body></html>"""


TEMPLATES = [old_municipal, newer_municipal, newspaper, blog, english_news, municipal_tools]


def golden(a):
    lang, title, lead, parts = a
    lines = [title, lead]
    for p in parts:
        lines.append(p[1] if isinstance(p, tuple) else p)
    return "\n".join(lines) + "\n"


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "benches/articles/pages")
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, a in enumerate(ARTICLES):
        others = [(j, b) for j, b in enumerate(ARTICLES) if j != i][:4]
        for k in range(3):
            t = TEMPLATES[(i + 2 * k) % len(TEMPLATES)]
            if a[0] == "en" and t in (old_municipal, municipal_tools):
                t = english_news if t is old_municipal else blog
            page = t(a, DATES[i], others)
            enc = "iso-8859-1" if t is old_municipal else "utf-8"
            name = f"{n:02d}-{t.__name__}"
            (out / f"{name}.html").write_bytes(page.encode(enc, errors="xmlcharrefreplace"))
            (out / f"{name}.txt").write_text(golden(a), encoding="utf-8")
            n += 1
    print(f"{n} pages in {out}")


if __name__ == "__main__":
    main()
