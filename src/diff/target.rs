//! What a change is about, as a type: which field, or which list item and
//! which of its fields. The diff JSON's `path` (an RFC 6901 JSON Pointer in
//! which list items are named by key) is built from it when a change is
//! written, and read back into it when a diff is read; the report matches
//! on the type and never splits pointers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A top-level field of the page JSON that is compared as one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Url,
    Title,
    Updated,
    Lang,
    Intro,
    Organisation,
    Published,
    Breadcrumb,
    Attachments,
    Status,
    Redirect,
}

impl Field {
    const ALL: [Field; 11] = [
        Field::Url,
        Field::Title,
        Field::Updated,
        Field::Lang,
        Field::Intro,
        Field::Organisation,
        Field::Published,
        Field::Breadcrumb,
        Field::Attachments,
        Field::Status,
        Field::Redirect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Url => "url",
            Field::Title => "title",
            Field::Updated => "updated",
            Field::Lang => "lang",
            Field::Intro => "intro",
            Field::Organisation => "organisation",
            Field::Published => "published",
            Field::Breadcrumb => "breadcrumb",
            Field::Attachments => "attachments",
            Field::Status => "status",
            Field::Redirect => "redirect",
        }
    }
}

/// A list of the page JSON whose items are matched by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Keyed by heading.
    Sections,
    /// Keyed by acronym, else name.
    Networks,
    /// Keyed by name.
    Contacts,
}

impl List {
    const ALL: [List; 3] = [List::Sections, List::Networks, List::Contacts];

    pub fn as_str(self) -> &'static str {
        match self {
            List::Sections => "sections",
            List::Networks => "networks",
            List::Contacts => "contacts",
        }
    }
}

/// Where in the page a change is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A whole top-level field (`/title`, or `/organisation` appearing or going).
    Field(Field),
    /// One field of the organisation (`/organisation/fax`).
    Organisation(String),
    /// A whole list item: added, removed, moved or renamed (`/networks/UBC`).
    Item { list: List, key: String },
    /// One field of a list item (`/networks/UBC/description`).
    ItemField {
        list: List,
        key: String,
        field: String,
    },
}

impl Target {
    /// The list item this change concerns, if any.
    pub fn item(&self) -> Option<(List, &str)> {
        match self {
            Target::Item { list, key } | Target::ItemField { list, key, .. } => {
                Some((*list, key.as_str()))
            }
            _ => None,
        }
    }

    /// The JSON Pointer of the diff JSON.
    pub fn pointer(&self) -> String {
        match self {
            Target::Field(f) => format!("/{}", f.as_str()),
            Target::Organisation(k) => format!("/organisation/{}", escape(k)),
            Target::Item { list, key } => format!("/{}/{}", list.as_str(), escape(key)),
            Target::ItemField { list, key, field } => {
                format!("/{}/{}/{}", list.as_str(), escape(key), escape(field))
            }
        }
    }

    /// Reads a pointer written by [`Target::pointer`].
    pub fn from_pointer(pointer: &str) -> Option<Target> {
        let mut tokens = pointer.strip_prefix('/')?.split('/').map(unescape);
        let first = tokens.next()?;
        let rest: Vec<String> = tokens.collect();
        if let Some(list) = List::ALL.into_iter().find(|l| l.as_str() == first) {
            return match <[String; 2]>::try_from(rest) {
                Ok([key, field]) => Some(Target::ItemField { list, key, field }),
                Err(rest) => match <[String; 1]>::try_from(rest) {
                    Ok([key]) => Some(Target::Item { list, key }),
                    Err(_) => None,
                },
            };
        }
        let field = Field::ALL.into_iter().find(|f| f.as_str() == first)?;
        match (field, <[String; 1]>::try_from(rest)) {
            (Field::Organisation, Ok([key])) => Some(Target::Organisation(key)),
            (_, Err(rest)) if rest.is_empty() => Some(Target::Field(field)),
            _ => None,
        }
    }
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pointer())
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.pointer())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Target::from_pointer(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a page JSON path")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_round_trip_with_escapes() {
        for t in [
            Target::Field(Field::Updated),
            Target::Organisation("fax".into()),
            Target::Item {
                list: List::Networks,
                key: "UBC".into(),
            },
            Target::ItemField {
                list: List::Sections,
                key: "Skola/förskola ~ 2010".into(),
                field: "paragraphs".into(),
            },
        ] {
            let p = t.pointer();
            assert_eq!(Target::from_pointer(&p), Some(t), "{p}");
        }
        assert_eq!(
            Target::ItemField {
                list: List::Sections,
                key: "a/b~c".into(),
                field: "links".into()
            }
            .pointer(),
            "/sections/a~1b~0c/links"
        );
        for bad in [
            "",
            "title",
            "/nothing",
            "/title/x",
            "/networks",
            "/networks/a/b/c",
        ] {
            assert_eq!(Target::from_pointer(bad), None, "{bad}");
        }
    }
}
