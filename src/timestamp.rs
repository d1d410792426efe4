//! The Wayback timestamp (`20100426093512`, UTC) as a value that checks,
//! prints and (de)serialises itself, and the one parser for the dates that
//! flags take (`--from`, `--to`, `--since`, `--at`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A capture time: 14 digits `YYYYMMDDhhmmss`, a real UTC date and time.
/// Its order is time order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp([u8; 14]);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimestampError {
    #[error("{0:?} is not a Wayback timestamp (14 digits, YYYYMMDDhhmmss)")]
    NotTimestamp(String),
    #[error(
        "{0:?} is not a date: expected YYYY, YYYY-MM, YYYY-MM-DD or a Wayback timestamp (4 to 14 digits)"
    )]
    NotDate(String),
}

/// Which end of a period a date given as a prefix stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `--from`, `--since`: `2010` is 2010-01-01 00:00:00.
    Start,
    /// `--to`, `--at`: `2010` is 2010-12-31 23:59:59.
    End,
}

impl Timestamp {
    /// Exactly 14 digits naming a real date and time.
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let bad = || TimestampError::NotTimestamp(s.to_owned());
        let bytes: [u8; 14] = s.as_bytes().try_into().map_err(|_| bad())?;
        let t = Timestamp(bytes);
        if !bytes.iter().all(u8::is_ascii_digit) || t.civil().is_none() {
            return Err(bad());
        }
        Ok(t)
    }

    /// A date a user typed: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or a Wayback
    /// timestamp prefix of 4 to 14 digits, taken as the start or the end
    /// of the period it names.
    pub fn bound(s: &str, edge: Edge) -> Result<Timestamp, TimestampError> {
        let bad = || TimestampError::NotDate(s.to_owned());
        let t = s.trim();
        let digits: String = match t.len() {
            7 | 10 if t.as_bytes()[4] == b'-' && (t.len() == 7 || t.as_bytes()[7] == b'-') => {
                t.split('-').collect()
            }
            _ => t.to_owned(),
        };
        if !(4..=14).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let pad = match edge {
            Edge::Start => b'0',
            Edge::End => b'9',
        };
        let mut b = [pad; 14];
        b[..digits.len()].copy_from_slice(digits.as_bytes());
        // Fields the prefix left open, or only began, are brought to their
        // range: month 00 → 01, 19 → 12; day 99 → the month's last.
        let field =
            |b: &[u8; 14], i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
        let set = |b: &mut [u8; 14], i: usize, v: u32| {
            b[i] = b'0' + (v / 10) as u8;
            b[i + 1] = b'0' + (v % 10) as u8;
        };
        let given = digits.len();
        let clamp = |b: &mut [u8; 14], i: usize, lo: u32, hi: u32| {
            let v = field(b, i);
            // A field the user wrote in full must be valid as written.
            if given >= i + 2 && !(lo..=hi).contains(&v) {
                return false;
            }
            set(b, i, v.clamp(lo, hi));
            true
        };
        let year = i16::try_from(field(&b, 0) * 100 + field(&b, 2)).map_err(|_| bad())?;
        if !clamp(&mut b, 4, 1, 12) {
            return Err(bad());
        }
        let month = i8::try_from(field(&b, 4)).map_err(|_| bad())?;
        let last_day = jiff::civil::date(year.max(1), month, 1).days_in_month();
        let ok = clamp(&mut b, 6, 1, u32::try_from(last_day).map_err(|_| bad())?)
            && clamp(&mut b, 8, 0, 23)
            && clamp(&mut b, 10, 0, 59)
            && clamp(&mut b, 12, 0, 59);
        if !ok {
            return Err(bad());
        }
        let t = Timestamp(b);
        t.civil().ok_or_else(bad)?;
        Ok(t)
    }

    /// The UTC time of a `jiff` timestamp, to the second.
    pub fn from_jiff(t: jiff::Timestamp) -> Timestamp {
        let s = t.strftime("%Y%m%d%H%M%S").to_string();
        // strftime of a jiff timestamp in 0001–9999 is always 14 digits.
        Timestamp::parse(&s).unwrap_or(Timestamp(*b"00010101000000"))
    }

    pub fn now() -> Timestamp {
        Timestamp::from_jiff(jiff::Timestamp::now())
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000000000000")
    }

    /// `2010-04-26T09:35:12Z`, as WARC-Date and RFC 3339 write it.
    pub fn iso(&self) -> String {
        let s = self.as_str();
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &s[..4],
            &s[4..6],
            &s[6..8],
            &s[8..10],
            &s[10..12],
            &s[12..14]
        )
    }

    /// `2010-04-26`.
    pub fn date(&self) -> String {
        let s = self.as_str();
        format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..8])
    }

    fn civil(&self) -> Option<jiff::civil::DateTime> {
        let n = |i: usize, len: usize| self.as_str().get(i..i + len)?.parse::<i16>().ok();
        jiff::civil::DateTime::new(
            n(0, 4)?,
            i8::try_from(n(4, 2)?).ok()?,
            i8::try_from(n(6, 2)?).ok()?,
            i8::try_from(n(8, 2)?).ok()?,
            i8::try_from(n(10, 2)?).ok()?,
            i8::try_from(n(12, 2)?).ok()?,
            0,
        )
        .ok()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_str())
    }
}

impl PartialEq<str> for Timestamp {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Timestamp {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(s: &str) -> String {
        Timestamp::bound(s, Edge::Start)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| e.to_string())
    }
    fn end(s: &str) -> String {
        Timestamp::bound(s, Edge::End)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn every_date_form_means_the_start_or_end_of_its_period() {
        assert_eq!(start("2011"), "20110101000000");
        assert_eq!(end("2010"), "20101231235959");
        assert_eq!(start("2010-02"), "20100201000000");
        assert_eq!(end("2010-02"), "20100228235959");
        assert_eq!(end("2012-02"), "20120229235959");
        assert_eq!(start("2010-04-26"), "20100426000000");
        assert_eq!(end("2010-04-26"), "20100426235959");
        assert_eq!(end("201004"), "20100430235959");
        assert_eq!(start("20101"), "20101001000000");
        assert_eq!(end("20101"), "20101231235959");
        assert_eq!(end("2010042609"), "20100426095959");
        assert_eq!(start("20100426093512"), "20100426093512");
        assert_eq!(end("20100426093512"), "20100426093512");
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "",
            "201",
            "2010-13",
            "2010-02-30",
            "20101301",
            "2010-4-26",
            "abcd",
            "20100426093512345",
            "2010/04",
        ] {
            assert!(Timestamp::bound(bad, Edge::Start).is_err(), "{bad}");
        }
        assert!(Timestamp::parse("20100230000000").is_err());
        assert!(Timestamp::parse("2010").is_err());
        assert!(Timestamp::parse("20100426093512").is_ok());
    }

    #[test]
    fn prints_and_round_trips() {
        let t = Timestamp::parse("20100426093512").expect("valid");
        assert_eq!(t.iso(), "2010-04-26T09:35:12Z");
        assert_eq!(t.date(), "2010-04-26");
        let json = serde_json::to_string(&t).expect("serialise");
        assert_eq!(json, "\"20100426093512\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).expect("back"), t);
        assert!(serde_json::from_str::<Timestamp>("\"2010\"").is_err());
        assert!(Timestamp::parse("20100101000000").expect("a") < t);
    }
}
