//! Hostile pages: inputs under 2 MB that once held a worker for minutes.
//! Shared by `benches/hostile.rs` (timings for docs/performance.md) and the
//! integration tests (a generous guard against hangs, never a timing).

#![allow(dead_code)]

/// `n` nested `<div>`s around one word: html5ever scans its stack of open
/// elements at every start tag (27–47 s at 100,000 before the depth cap).
pub fn nested_divs(n: usize) -> String {
    format!(
        "<html><head><title>Djup</title></head><body><h1>Djup</h1>{}innerst{}\
         <p>Sidan uppdaterad: 2010-04-26</p></body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    )
}

/// `n` distinct unclosed `<b id=…>`, then `n` paragraphs: each paragraph
/// reopens every one of them (over 300 s at 100,000 before the bound).
pub fn reopened_formatting(n: usize) -> String {
    let mut page = String::from("<html><head><title>Fet</title></head><body><h1>Fet</h1><p>");
    for i in 0..n {
        page.push_str(&format!("<b id={i}>"));
    }
    page.push_str("</p>");
    for _ in 0..n {
        page.push_str("<p>x</p>");
    }
    page.push_str("</body></html>");
    page
}

/// `n` nested `<table>`s with a cell each: nesting through table scopes.
pub fn nested_tables(n: usize) -> String {
    format!(
        "<html><body><h1>Tabeller</h1>{}cell{}</body></html>",
        "<table><tr><td>".repeat(n),
        "</td></tr></table>".repeat(n)
    )
}

/// A page with `n` sections, each heading `prefix` and a number.
pub fn sections(n: usize, prefix: &str) -> String {
    let mut page = String::from("<html><head><title>Avsnitt</title></head><body><h1>Avsnitt</h1>");
    for i in 0..n {
        page.push_str(&format!(
            "<h2>{prefix} {i}</h2><p>Stycke {i} om n\u{e4}tverket, med n\u{e5}gra ord till.</p>"
        ));
    }
    page.push_str("<p>Sidan uppdaterad: 2010-04-26</p></body></html>");
    page
}
