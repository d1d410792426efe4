//! Settings, read once: the config file (`sidarkiv.toml`), then
//! `SIDARKIV_<KEY>` environment variables, then command-line flags — each
//! wins over the one before. The rest of the program only sees [`Settings`],
//! checked and typed.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;
use url::Url;

use crate::timestamp::{Edge, Timestamp};

/// The config file's name, looked for in the working directory.
pub const DEFAULT_FILE: &str = "sidarkiv.toml";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// toml's message names the line and column and what was expected.
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: {key} = {value:?} is not valid: {expected}")]
    Value {
        origin: String,
        key: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// The keys of the config file, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub archive: Option<PathBuf>,
    pub wayback: Option<String>,
    pub user_agent: Option<String>,
    pub cdx_per_minute: Option<f64>,
    pub captures_per_second: Option<f64>,
    pub rate_limit_wait_seconds: Option<f64>,
    pub max_retries: Option<u32>,
    pub timeout_seconds: Option<f64>,
    pub max_body_bytes: Option<u64>,
    pub page_time_budget_seconds: Option<f64>,
    pub cdx_filter: Option<Vec<String>>,
    pub download_attachments: Option<bool>,
    #[serde(default)]
    pub page: Vec<PageConfig>,
    #[serde(default)]
    pub site: Vec<SiteConfig>,
}

/// One whole site (`[[site]]`) as the file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub prefix: String,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A whole site, checked: every HTML page under `prefix` that the
/// listing names, narrowed by `include` / `exclude` (regular expressions
/// on the URL; a URL must match an include, when there are any, and no
/// exclude).
#[derive(Debug, Clone)]
pub struct TrackedSite {
    pub prefix: String,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub include: Vec<regex::Regex>,
    pub exclude: Vec<regex::Regex>,
}

impl TrackedSite {
    pub fn wants(&self, url: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(url)))
            && !self.exclude.iter().any(|r| r.is_match(url))
    }
}

/// One tracked page (`[[page]]`) as the file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageConfig {
    pub url: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One tracked page, checked: `from` is the start of its period, `to` the end.
#[derive(Debug, Clone)]
pub struct TrackedPage {
    pub url: String,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Everything checked and typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub archive: PathBuf,
    pub wayback: Url,
    pub user_agent: String,
    /// `None`: no limit.
    pub cdx_per_minute: Option<f64>,
    pub captures_per_second: Option<f64>,
    pub rate_limit_wait: Duration,
    pub max_retries: u32,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    /// How long one page may take to parse in `import` and `sync`; a page
    /// over it is an error line, not a stalled run.
    pub page_time_budget: Duration,
    /// CDX filter expressions sent with every listing; empty: every capture.
    pub cdx_filter: Vec<String>,
    /// Store the documents pages link to (PDF, Word, …) as captures too.
    pub download_attachments: bool,
    pub pages: Vec<TrackedPage>,
    pub sites: Vec<TrackedSite>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            archive: PathBuf::from("archive"),
            wayback: Url::parse("https://web.archive.org").expect("static URL"),
            user_agent: format!(
                "sidarkiv/{} (+https://github.com/karlskrona/sidarkiv)",
                env!("CARGO_PKG_VERSION")
            ),
            cdx_per_minute: Some(24.0),
            captures_per_second: Some(4.0),
            rate_limit_wait: Duration::from_secs(60),
            max_retries: 5,
            timeout: Duration::from_secs(30),
            max_body_bytes: 20_000_000,
            page_time_budget: Duration::from_secs(10),
            cdx_filter: Vec::new(),
            download_attachments: false,
            pages: Vec::new(),
            sites: Vec::new(),
        }
    }
}

/// Values given on the command line; `None` leaves the setting alone.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub archive: Option<PathBuf>,
    pub wayback: Option<String>,
}

impl Settings {
    /// Reads `file` (or `./sidarkiv.toml` when it exists), the environment and `flags`.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, flags, |k| std::env::var(k).ok())
    }

    /// As [`Settings::load`], with the environment given (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        flags: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
        };
        let mut s = Settings::default();
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let fc: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.clone(),
                message: e.to_string().trim_end().to_owned(),
            })?;
            s.apply(fc, &path.display().to_string())
                .map_err(|e| with_line(e, &text))?;
        }
        s.apply(from_env(&env)?, "environment")?;
        if let Some(a) = &flags.archive {
            s.archive = a.clone();
        }
        if let Some(w) = &flags.wayback {
            s.wayback = wayback_url(w, "--wayback")?;
        }
        Ok(s)
    }

    fn apply(&mut self, fc: FileConfig, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &'static str, value: String, expected: &'static str| ConfigError::Value {
            origin: origin.to_owned(),
            key,
            value,
            expected,
        };
        if let Some(a) = fc.archive {
            self.archive = a;
        }
        if let Some(w) = fc.wayback {
            self.wayback = wayback_url(&w, origin)?;
        }
        if let Some(ua) = fc.user_agent {
            if ua.trim().is_empty() || ua.chars().any(char::is_control) {
                return Err(bad("user_agent", ua, "a non-empty header value"));
            }
            self.user_agent = ua;
        }
        if let Some(n) = fc.cdx_per_minute {
            self.cdx_per_minute = rate(n).ok_or_else(|| {
                bad(
                    "cdx_per_minute",
                    n.to_string(),
                    "a number ≥ 0 (0: no limit)",
                )
            })?;
        }
        if let Some(n) = fc.captures_per_second {
            self.captures_per_second = rate(n).ok_or_else(|| {
                bad(
                    "captures_per_second",
                    n.to_string(),
                    "a number ≥ 0 (0: no limit)",
                )
            })?;
        }
        if let Some(n) = fc.rate_limit_wait_seconds {
            self.rate_limit_wait = seconds(n)
                .ok_or_else(|| bad("rate_limit_wait_seconds", n.to_string(), "seconds ≥ 0"))?;
        }
        if let Some(n) = fc.max_retries {
            self.max_retries = n;
        }
        if let Some(n) = fc.timeout_seconds {
            self.timeout = seconds(n)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| bad("timeout_seconds", n.to_string(), "seconds > 0"))?;
        }
        if let Some(n) = fc.max_body_bytes {
            if n == 0 {
                return Err(bad("max_body_bytes", n.to_string(), "a byte count > 0"));
            }
            self.max_body_bytes = n;
        }
        if let Some(n) = fc.page_time_budget_seconds {
            self.page_time_budget = seconds(n)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| bad("page_time_budget_seconds", n.to_string(), "seconds > 0"))?;
        }
        if let Some(filters) = fc.cdx_filter {
            for f in &filters {
                crate::wayback::check_filter(f)
                    .map_err(|expected| bad("cdx_filter", f.clone(), expected))?;
            }
            self.cdx_filter = filters;
        }
        if let Some(b) = fc.download_attachments {
            self.download_attachments = b;
        }
        let date = |key: &'static str, value: &Option<String>, edge| {
            value
                .as_deref()
                .map(|v| {
                    Timestamp::bound(v, edge).map_err(|_| {
                        bad(
                            key,
                            v.to_owned(),
                            "a date: YYYY, YYYY-MM, YYYY-MM-DD or a Wayback timestamp prefix",
                        )
                    })
                })
                .transpose()
        };
        let http = |key: &'static str, url: &str| match Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => Err(bad(key, url.to_owned(), "an http(s) URL")),
        };
        let mut pages = Vec::with_capacity(fc.page.len());
        for p in fc.page {
            http("page.url", &p.url)?;
            pages.push(TrackedPage {
                from: date("page.from/to", &p.from, Edge::Start)?,
                to: date("page.from/to", &p.to, Edge::End)?,
                url: p.url,
            });
        }
        if !pages.is_empty() {
            self.pages = pages;
        }
        let mut sites = Vec::with_capacity(fc.site.len());
        for s in fc.site {
            http("site.prefix", &s.prefix)?;
            let patterns = |key: &'static str, list: &[String]| {
                list.iter()
                    .map(|p| {
                        regex::Regex::new(p)
                            .map_err(|_| bad(key, p.clone(), "a regular expression"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            sites.push(TrackedSite {
                from: date("site.from/to", &s.from, Edge::Start)?,
                to: date("site.from/to", &s.to, Edge::End)?,
                include: patterns("site.include", &s.include)?,
                exclude: patterns("site.exclude", &s.exclude)?,
                prefix: s.prefix,
            });
        }
        if !sites.is_empty() {
            self.sites = sites;
        }
        Ok(())
    }
}

/// Points a value error at the line of the file that holds the value.
fn with_line(e: ConfigError, text: &str) -> ConfigError {
    match e {
        ConfigError::Value {
            origin,
            key,
            value,
            expected,
        } => {
            let needle = format!("\"{value}\"");
            let line = text
                .lines()
                .position(|l| {
                    l.contains(&needle) || l.split('#').next().is_some_and(|l| l.contains(&value))
                })
                .map(|i| i + 1);
            ConfigError::Value {
                origin: line.map_or(origin.clone(), |n| format!("{origin}, line {n}")),
                key,
                value,
                expected,
            }
        }
        other => other,
    }
}

/// `SIDARKIV_<KEY>` variables, read into the file's shape.
fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<FileConfig, ConfigError> {
    fn parse<T: std::str::FromStr>(
        env: &impl Fn(&str) -> Option<String>,
        key: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, ConfigError> {
        let var = format!("SIDARKIV_{}", key.to_ascii_uppercase());
        match env(&var) {
            None => Ok(None),
            Some(v) => {
                v.trim()
                    .replace('_', "")
                    .parse()
                    .map(Some)
                    .map_err(|_| ConfigError::Value {
                        origin: format!("environment variable {var}"),
                        key,
                        value: v,
                        expected,
                    })
            }
        }
    }
    let text = |key: &str| env(&format!("SIDARKIV_{}", key.to_ascii_uppercase()));
    Ok(FileConfig {
        archive: text("archive").map(PathBuf::from),
        wayback: text("wayback"),
        user_agent: text("user_agent"),
        cdx_per_minute: parse(env, "cdx_per_minute", "a number")?,
        captures_per_second: parse(env, "captures_per_second", "a number")?,
        rate_limit_wait_seconds: parse(env, "rate_limit_wait_seconds", "a number of seconds")?,
        max_retries: parse(env, "max_retries", "a whole number")?,
        timeout_seconds: parse(env, "timeout_seconds", "a number of seconds")?,
        max_body_bytes: parse(env, "max_body_bytes", "a whole number of bytes")?,
        page_time_budget_seconds: parse(env, "page_time_budget_seconds", "a number of seconds")?,
        cdx_filter: filter_list(text("cdx_filter"))?,
        download_attachments: parse(env, "download_attachments", "true or false")?,
        page: Vec::new(),
        site: Vec::new(),
    })
}

/// `SIDARKIV_CDX_FILTER`: a TOML array (`["statuscode:200"]`), or one
/// expression; empty means none.
fn filter_list(value: Option<String>) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if !t.starts_with('[') {
        return Ok(Some(vec![t.to_owned()]));
    }
    #[derive(Deserialize)]
    struct Wrap {
        v: Vec<String>,
    }
    toml::from_str::<Wrap>(&format!("v = {t}"))
        .map(|w| Some(w.v))
        .map_err(|_| ConfigError::Value {
            origin: "environment variable SIDARKIV_CDX_FILTER".into(),
            key: "cdx_filter",
            value: v.clone(),
            expected: "a list of CDX filters such as [\"statuscode:200\"], or one filter",
        })
}

fn wayback_url(s: &str, origin: &str) -> Result<Url, ConfigError> {
    match Url::parse(s.trim_end_matches('/')) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(ConfigError::Value {
            origin: origin.to_owned(),
            key: "wayback",
            value: s.to_owned(),
            expected: "an http(s) base URL such as https://web.archive.org",
        }),
    }
}

fn rate(n: f64) -> Option<Option<f64>> {
    if !n.is_finite() || n < 0.0 {
        None
    } else {
        Some((n > 0.0).then_some(n))
    }
}

fn seconds(n: f64) -> Option<Duration> {
    (n.is_finite() && n >= 0.0).then(|| Duration::from_secs_f64(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = std::env::temp_dir().join(format!(
            "sidarkiv-config-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("sidarkiv.toml");
        std::fs::write(&path, toml).expect("write");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Settings::load_with_env(Some(&path), &Overrides::default(), |k| {
            env.iter().find(|(ek, _)| ek == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn file_then_environment_then_flags() {
        let s = load(
            "rate_limit_wait_seconds = 60\nmax_body_bytes = 20_000_000\n",
            &[("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "1")],
        )
        .expect("loads");
        assert_eq!(s.rate_limit_wait, Duration::from_secs(1));
        assert_eq!(s.max_body_bytes, 20_000_000);
        let flags = Overrides {
            wayback: Some("http://127.0.0.1:9/".into()),
            ..Overrides::default()
        };
        let s = Settings::load_with_env(None, &flags, |_| {
            Some("http://127.0.0.2".into()).filter(|_| false)
        })
        .expect("loads");
        assert_eq!(s.wayback.as_str(), "http://127.0.0.1:9/");
    }

    #[test]
    fn errors_name_the_file_line_and_expectation() {
        let e = load("archive = \"a\"\ncdx_per_minte = 3\n", &[])
            .expect_err("unknown key")
            .to_string();
        assert!(
            e.contains("sidarkiv.toml") && e.contains("line 2") && e.contains("cdx_per_minte"),
            "{e}"
        );
        let e = load("max_retries = \"five\"\n", &[])
            .expect_err("wrong type")
            .to_string();
        assert!(e.contains("line 1") && e.contains("max_retries"), "{e}");
        let e = load("[[page]]\nurl = \"not a url\"\n", &[])
            .expect_err("bad url")
            .to_string();
        assert!(e.contains("page.url") && e.contains("http(s) URL"), "{e}");
        let e = load("", &[("SIDARKIV_MAX_RETRIES", "lots")])
            .expect_err("bad env")
            .to_string();
        assert!(
            e.contains("SIDARKIV_MAX_RETRIES") && e.contains("lots"),
            "{e}"
        );
    }

    #[test]
    fn cdx_filters_from_file_and_environment() {
        assert!(load("", &[]).expect("loads").cdx_filter.is_empty());
        let s = load(
            "cdx_filter = [\"statuscode:200\", \"!mimetype:warc/revisit\"]\n",
            &[],
        )
        .expect("loads");
        assert_eq!(s.cdx_filter, ["statuscode:200", "!mimetype:warc/revisit"]);
        let s = load(
            "cdx_filter = [\"statuscode:200\"]\n",
            &[("SIDARKIV_CDX_FILTER", "")],
        )
        .expect("loads");
        assert!(s.cdx_filter.is_empty());
        let s = load(
            "",
            &[(
                "SIDARKIV_CDX_FILTER",
                "[\"statuscode:3..\", \"statuscode:200\"]",
            )],
        )
        .expect("loads");
        assert_eq!(s.cdx_filter, ["statuscode:3..", "statuscode:200"]);
        let s = load("", &[("SIDARKIV_CDX_FILTER", "!statuscode:404")]).expect("loads");
        assert_eq!(s.cdx_filter, ["!statuscode:404"]);
        let e = load("max_retries = 1\ncdx_filter = [\"status:200\"]\n", &[])
            .expect_err("bad field")
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("status:200") && e.contains("CDX field"),
            "{e}"
        );
        let e = load("", &[("SIDARKIV_CDX_FILTER", "[\"a\"")])
            .expect_err("bad list")
            .to_string();
        assert!(e.contains("SIDARKIV_CDX_FILTER"), "{e}");
    }

    #[test]
    fn sites_with_their_patterns() {
        let s = load(
            "download_attachments = true\n[[site]]\nprefix = \"http://www.karlskrona.se/sv/\"\nfrom = \"2008\"\nto = \"2015\"\nexclude = [\"/sv/Sok/\"]\n",
            &[],
        )
        .expect("loads");
        assert!(s.download_attachments);
        let site = &s.sites[0];
        assert_eq!(
            site.to.map(|t| t.to_string()).as_deref(),
            Some("20151231235959")
        );
        assert!(site.wants("http://www.karlskrona.se/sv/Om-kommunen/"));
        assert!(!site.wants("http://www.karlskrona.se/sv/Sok/?q=a"));
        let e = load(
            "[[site]]\nprefix = \"http://a.se/\"\ninclude = [\"(\"]\n",
            &[],
        )
        .expect_err("bad pattern")
        .to_string();
        assert!(e.contains("site.include") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn zero_rate_means_no_limit() {
        let s = load("cdx_per_minute = 0\ncaptures_per_second = 0\n", &[]).expect("loads");
        assert_eq!((s.cdx_per_minute, s.captures_per_second), (None, None));
    }
}
