//! Text as the differ compares it: words, whitespace-insensitive, with
//! double-encoding mojibake undone; and word-level diffs for editors.

use serde_json::Value;
use similar::{Algorithm, DiffOp};

use super::Words;

/// Equal as text an editor reads: whitespace runs are one space, and
/// UTF-8-read-as-Latin-1 mojibake is undone on both sides — a capture the
/// server double-encoded says the same thing as a clean one.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y || comparable(x) == comparable(y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The words of `s`, mojibake undone word by word, joined by single spaces.
/// For comparison only: stored and reported text is never "repaired".
pub fn comparable(s: &str) -> String {
    s.split_whitespace()
        .map(unmangle)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word with UTF-8 mojibake undone ("EspaÃ±ol" → "Español"). A lone "Â"
/// is what is left of a double-encoded no-break space once whitespace is
/// folded: it is dropped. A word that is not windows-1252-encodable, or whose
/// bytes are not UTF-8, is returned as it is.
fn unmangle(word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !word.chars().any(|c| ('\u{c2}'..='\u{f4}').contains(&c)) {
        return Cow::Borrowed(word);
    }
    if word == "\u{c2}" {
        return Cow::Borrowed("");
    }
    // Back to the bytes the text was misread from: Latin-1 for U+0000–U+00FF
    // (servers that double-encode often used it, C1 controls included), the
    // windows-1252 byte for its punctuation (€, –, ’ …).
    let mut bytes = Vec::with_capacity(word.len());
    for c in word.chars() {
        if let Ok(b) = u8::try_from(u32::from(c)) {
            bytes.push(b);
            continue;
        }
        let mut buf = [0u8; 4];
        let (encoded, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if unmappable || encoded.len() != 1 {
            return Cow::Borrowed(word);
        }
        bytes.push(encoded[0]);
    }
    match String::from_utf8(bytes) {
        Ok(fixed) => Cow::Owned(fixed),
        Err(_) => Cow::Borrowed(word),
    }
}

/// A word-level diff as runs of equal / deleted / inserted words.
pub fn word_diff(before: &str, after: &str) -> Vec<Words> {
    let a: Vec<&str> = before.split_whitespace().collect();
    let b: Vec<&str> = after.split_whitespace().collect();
    let ops = similar::capture_diff_slices(Algorithm::Patience, &a, &b);
    let mut runs: Vec<Words> = Vec::new();
    let mut push = |run: Words| match (runs.last_mut(), run) {
        (Some(Words::Equal(s)), Words::Equal(t))
        | (Some(Words::Delete(s)), Words::Delete(t))
        | (Some(Words::Insert(s)), Words::Insert(t)) => {
            s.push(' ');
            s.push_str(&t);
        }
        (_, run) => runs.push(run),
    };
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                push(Words::Equal(a[old_index..old_index + len].join(" ")))
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(Words::Delete(a[old_index..old_index + old_len].join(" "))),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(Words::Insert(b[new_index..new_index + new_len].join(" "))),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(Words::Delete(a[old_index..old_index + old_len].join(" ")));
                push(Words::Insert(b[new_index..new_index + new_len].join(" ")));
            }
        }
    }
    runs
}
