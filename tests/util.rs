//! Helpers shared by the integration tests: run the real binary, find fixtures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// The external conformance material, when this checkout has it beside it.
pub fn conformance(sub: &str) -> Option<PathBuf> {
    let dir = root()
        .join("..")
        .join("shared")
        .join("conformance")
        .join(sub);
    if available(
        &format!("the conformance material {}", dir.display()),
        dir.is_dir(),
    ) {
        Some(dir)
    } else {
        None
    }
}

/// Whether a test's outside requirement (a tool, external material) is
/// there. When it is not, the test says so loudly and is skipped, except
/// under `CI=true`, where a missing requirement fails the test: CI installs
/// everything, so absence there is a broken set-up, not a skip.
#[track_caller]
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{what} is missing, and CI=true: the README's test command (scripts/test) installs it"
        );
    }
    eprintln!(
        "\n==== SKIPPED: {what} is missing; the test at {} did not run ====\n",
        std::panic::Location::caller()
    );
    false
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Standard output as JSON Lines.
pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// Every file under `dir`, in name order.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn sidarkiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sidarkiv"))
}

/// Asserts the exit code, showing stderr when it differs.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `sidarkiv` with `args`, optionally feeding `stdin`.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = sidarkiv();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn sidarkiv");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait for sidarkiv")
}

/// `sidarkiv parse PATH` → the page JSON; panics with stderr on failure.
pub fn parse_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let path = path.to_str().expect("utf-8 path");
    let mut args = vec!["parse", path];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(
        out.status.success(),
        "parse {path} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("page JSON")
}

/// `sidarkiv parse -` with `bytes` on stdin: the page JSON, the run asserted to succeed.
pub fn parse_stdin(bytes: &[u8]) -> serde_json::Value {
    let out = run(&["parse", "-"], Some(bytes));
    assert!(
        out.status.success(),
        "parse - failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("page JSON")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sidarkiv-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `sidarkiv` in an empty directory (no stray `sidarkiv.toml`) with
/// the given environment on top of a test baseline: limits off, short waits.
pub fn run_net(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = temp_dir(&format!("net-{}", fastrand_name()));
    let mut cmd = sidarkiv();
    cmd.current_dir(&dir)
        .args(args)
        .stdin(Stdio::null())
        .env("SIDARKIV_CDX_PER_MINUTE", "0")
        .env("SIDARKIV_CAPTURES_PER_SECOND", "0")
        .env("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "1")
        .env("SIDARKIV_MAX_RETRIES", "3")
        .env("SIDARKIV_TIMEOUT_SECONDS", "5");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run sidarkiv");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn fastrand_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

/// The `key` of each object in a JSON list ("" where it has none), in order.
pub fn names(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|v| v[key].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}
