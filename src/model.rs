//! The page JSON (`sidarkiv.page.v1`) as Rust types.
//!
//! Field order here is the key order of the JSON, which keeps archived JSON
//! stable under git. Every key is always serialised: unknown values are `null`,
//! empty lists `[]` (the contract's rule), so `Option` fields never use
//! `skip_serializing_if`.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// Schema tag written into every page document.
pub const PAGE_SCHEMA: &str = "sidarkiv.page.v1";

/// One parsed page: what a reader saw ([`Content`]), where the bytes came
/// from ([`Source`]) and what could not be read (`warnings`). Its fields
/// read through to the content (`page.title`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub schema: String,
    /// Flattened: the content's keys sit between `schema` and `source`, as
    /// the contract orders them.
    #[serde(flatten)]
    pub content: Content,
    pub source: Source,
    /// Plain-words notes on what could not be read, for reviewing a migration.
    pub warnings: Vec<String>,
}

impl Content {
    /// Whether this answer says something about the page, and so is
    /// compared with the captures around it: the page itself (2xx, or no
    /// status), a redirect, or its removal (404, 410). An archived 429 or
    /// 503 tells of the server that day, not of the page.
    pub fn is_compared(&self) -> bool {
        self.status
            .is_none_or(|s| (200..400).contains(&s) || s == 404 || s == 410)
    }
}

impl std::ops::Deref for Page {
    type Target = Content;
    fn deref(&self) -> &Content {
        &self.content
    }
}

impl std::ops::DerefMut for Page {
    fn deref_mut(&mut self) -> &mut Content {
        &mut self.content
    }
}

/// What the page says, as the extractor reads it and the page JSON holds
/// it: the one struct both use, so a new field is added once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Canonical URL: "Länk till sidan", else `<link rel=canonical>`, else the source URL.
    pub url: Option<String>,
    pub title: Option<String>,
    /// ISO date (`YYYY-MM-DD`) from "Sidan uppdaterad" or an equivalent label.
    pub updated: Option<String>,
    pub lang: Option<String>,
    pub intro: Option<String>,
    pub sections: Vec<Section>,
    pub networks: Vec<Network>,
    pub contacts: Vec<Contact>,
    pub organisation: Option<Organisation>,
    /// ISO date of "Publicerad" / "Publicerat" (news items), else `None`.
    pub published: Option<String>,
    /// The "Du är här" trail: each step's text and link.
    pub breadcrumb: Vec<Link>,
    /// Links to documents: PDF, Word, Excel, PowerPoint, OpenDocument, RTF.
    pub attachments: Vec<Link>,
    /// The capture's HTTP status; `None` for a local file or a page read
    /// alone. Page JSON written before this field reads as `None`.
    #[serde(default)]
    pub status: Option<u16>,
    /// Where a 3xx capture points; else `None`.
    #[serde(default)]
    pub redirect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// `None` for the page's untitled body text after the intro.
    pub heading: Option<String>,
    pub level: u8,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub text: String,
    pub href: String,
}

/// A network or organisation the municipality takes part in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    pub acronym: Option<String>,
    /// The section's paragraphs joined by a blank line.
    pub description: String,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: Option<String>,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
}

impl Contact {
    /// Someone named, before any way to reach them is read.
    pub fn named(name: String, role: Option<String>) -> Contact {
        Contact {
            name,
            role,
            phones: Vec::new(),
            emails: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The page's own text, e.g. `0455-30 30 27`.
    pub display: String,
    /// E.164 form, e.g. `+46455303027`; `null` when the digits cannot be a Swedish
    /// or international number.
    pub e164: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub name: Option<String>,
    pub org_number: Option<String>,
    pub org_number_valid: Option<bool>,
    pub postal_address: Option<Address>,
    pub invoice_address: Option<Address>,
    pub phone: Option<Phone>,
    pub fax: Option<Phone>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// None where the address is a postal code and town only ("371 83 Karlskrona").
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

/// Where a capture's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A Wayback capture: fetched raw, or a view-mode copy read from a file.
    Wayback,
    /// The page from its own site.
    Live,
    /// A local HTML file.
    #[default]
    File,
    /// Standard input.
    Stdin,
    /// A record of a WARC file.
    Warc,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Wayback => "wayback",
            SourceKind::Live => "live",
            SourceKind::File => "file",
            SourceKind::Stdin => "stdin",
            SourceKind::Warc => "warc",
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the bytes came from and how they were read. Never part of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    pub original_url: Option<String>,
    /// The Wayback timestamp, when known.
    pub timestamp: Option<Timestamp>,
    /// Base32 SHA-1 of the raw bytes, the form of the CDX `digest` field.
    pub sha1: String,
    /// Hex SHA-256 of the raw bytes.
    pub sha256: String,
    /// WHATWG name of the encoding used.
    pub encoding: String,
    /// `bom`, `http`, `meta`, `detected` or `default`.
    pub encoding_source: String,
    pub decode_errors: u64,
    pub wayback_artifacts_removed: bool,
}
