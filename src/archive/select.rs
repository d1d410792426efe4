//! Which capture stands for a page as of a date: the latest at or before
//! it, else (the page was first captured later) the earliest after it.

use super::CaptureRecord;
use crate::timestamp::Timestamp;

/// The capture chosen for a date, and whether it is from after the date.
#[derive(Debug, Clone, Copy)]
pub struct Chosen<'a> {
    pub record: &'a CaptureRecord,
    pub after: bool,
}

/// `captures` are one URL's, oldest first; `at` `None` means now.
pub fn as_of(captures: &[CaptureRecord], at: Option<Timestamp>) -> Option<Chosen<'_>> {
    let Some(at) = at else {
        return captures.last().map(|record| Chosen {
            record,
            after: false,
        });
    };
    let before = captures.partition_point(|c| c.timestamp <= at);
    match before.checked_sub(1) {
        Some(i) => Some(Chosen {
            record: &captures[i],
            after: false,
        }),
        None => captures.first().map(|record| Chosen {
            record,
            after: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceKind;

    fn record(ts: &str) -> CaptureRecord {
        CaptureRecord {
            url: "http://x.se/".into(),
            timestamp: ts.parse().expect("timestamp"),
            sha256: ts.into(),
            sha1: String::new(),
            kind: SourceKind::Wayback,
            original_url: None,
            status: Some(200),
            content_type: None,
            stored_at: String::new(),
            record: crate::archive::RecordType::Response,
            location: crate::archive::Location {
                filename: String::new(),
                offset: 0,
                length: 0,
            },
            reconstructed: false,
            attachment: false,
        }
    }

    #[test]
    fn latest_at_or_before_else_earliest_after() {
        let c = vec![
            record("20090101000000"),
            record("20100426093512"),
            record("20110315120000"),
        ];
        let at = |s: &str| Some(Timestamp::bound(s, crate::timestamp::Edge::End).expect("date"));
        assert_eq!(
            as_of(&c, at("2010")).map(|x| x.record.sha256.as_str()),
            Some("20100426093512")
        );
        assert_eq!(
            as_of(&c, at("20100426093512")).map(|x| x.record.sha256.as_str()),
            Some("20100426093512")
        );
        let early = as_of(&c, at("2008")).expect("one");
        assert!(early.after && early.record.sha256 == "20090101000000");
        assert_eq!(
            as_of(&c, None).map(|x| x.record.sha256.as_str()),
            Some("20110315120000")
        );
        assert!(as_of(&[], None).is_none());
    }
}
