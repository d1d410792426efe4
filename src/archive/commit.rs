//! Group commit: files staged unnamed in their destination directory (Linux
//! `O_TMPFILE`, possibly by other threads beforehand) or named in `tmp/`,
//! made durable together, linked or renamed into place, and their directory
//! entries made durable.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use super::{ArchiveError, io};

/// Files written (unnamed, or named in `tmp/`), waiting to be made durable
/// and named together.
pub(super) struct Staged {
    root: PathBuf,
    files: Vec<StagedFile>,
}

struct StagedFile {
    body: Body,
    dest: PathBuf,
    overwrite: bool,
    /// Renamed only once every other file of the batch is durably in place
    /// (the indexes: the commit point).
    last: bool,
}

impl Staged {
    pub(super) fn new(root: &Path) -> Staged {
        Staged {
            root: root.to_path_buf(),
            files: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        dest: PathBuf,
        bytes: &[u8],
        overwrite: bool,
    ) -> Result<(), ArchiveError> {
        self.stage(dest, bytes, overwrite, false)
    }

    /// A file already written unnamed in `dest`'s directory ([`write_unnamed`]).
    pub(super) fn add_unnamed(&mut self, dest: PathBuf, file: Unnamed, overwrite: bool) {
        self.files.push(StagedFile {
            body: Body::Unnamed(file.0),
            dest,
            overwrite,
            last: false,
        });
    }

    fn stage(
        &mut self,
        dest: PathBuf,
        bytes: &[u8],
        overwrite: bool,
        last: bool,
    ) -> Result<(), ArchiveError> {
        let tmp_dir = self.root.join("tmp");
        let mut tmp = temp_file_in(&tmp_dir).map_err(io(&dest))?;
        // Errors name the file being stored, not the temporary one (whose
        // name means nothing to a user); the plain File's errors carry no
        // path of their own, unlike tempfile's wrapper.
        tmp.as_file_mut().write_all(bytes).map_err(io(&dest))?;
        self.files.push(StagedFile {
            body: Body::Named(tmp),
            dest,
            overwrite,
            last,
        });
        Ok(())
    }

    /// Durable data (of every file, the last ones included), then the renames
    /// of the others and their durable directory entries, then the renames of
    /// the last ones, made durable too: three barriers per batch.
    pub(super) fn commit(self) -> Result<(), ArchiveError> {
        if self.files.is_empty() {
            return Ok(());
        }
        let files: Vec<&File> = self.files.iter().map(|f| f.body.file()).collect();
        barrier(&self.root, &files, &[])?;
        // An unnamed file was created in its destination directory, so that
        // directory exists: no `mkdir` for it (three per capture otherwise).
        let mut existing: HashSet<PathBuf> = self
            .files
            .iter()
            .filter(|f| matches!(f.body, Body::Unnamed(_)))
            .filter_map(|f| f.dest.parent().map(Path::to_path_buf))
            .collect();
        let (last, first): (Vec<StagedFile>, Vec<StagedFile>) =
            self.files.into_iter().partition(|f| f.last);
        for group in [first, last] {
            if group.is_empty() {
                continue;
            }
            let mut dirs: HashSet<PathBuf> = HashSet::new();
            for f in group {
                let parent = f.dest.parent().unwrap_or(&self.root).to_path_buf();
                if !existing.contains(&parent) {
                    fs::create_dir_all(&parent).map_err(io(&parent))?;
                    existing.insert(parent.clone());
                }
                dirs.insert(parent);
                match f.body.put(&f.dest, f.overwrite, &self.root) {
                    Ok(()) => {}
                    Err(e) if !f.overwrite && e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io(&f.dest)(e)),
                }
            }
            barrier(&self.root, &[], &dirs.into_iter().collect::<Vec<_>>())?;
        }
        Ok(())
    }
}

/// A temporary file in `dir` that becomes a file for others to read: created
/// 0644 less the umask, like any file the user writes, not 0600 as tempfile
/// makes them (a shared archive's indexes, an exported WARC, a report).
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir)
}

/// A file written but not yet named: its data is in place, its name comes
/// at commit. Dropped unnamed, it leaves nothing behind.
pub struct Unnamed(File);

impl std::fmt::Debug for Unnamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unnamed")
    }
}

/// Writes `bytes` as an unnamed file in `dest`'s directory, to be named
/// `dest` by a later commit. None where the system cannot (not Linux, a file
/// system without `O_TMPFILE`, no `/proc`, out of descriptors): the caller then
/// stages the bytes the usual way. Needs no lock: nothing is visible yet.
pub(super) fn write_unnamed(dest: &Path, bytes: &[u8]) -> Option<Unnamed> {
    let mut file = unnamed::create(dest.parent()?).ok()??;
    file.write_all(bytes).ok()?;
    Some(Unnamed(file))
}

/// A staged file's bytes: unnamed in the destination directory, or a named
/// file in `tmp/`.
enum Body {
    Unnamed(File),
    Named(tempfile::NamedTempFile),
}

impl Body {
    fn file(&self) -> &File {
        match self {
            Body::Unnamed(f) => f,
            Body::Named(t) => t.as_file(),
        }
    }

    /// Gives the file its name `dest`; an existing `dest` is replaced only
    /// when `overwrite` (atomically, by a rename), else AlreadyExists.
    fn put(self, dest: &Path, overwrite: bool, root: &Path) -> std::io::Result<()> {
        let named = match self {
            Body::Named(tmp) => tmp,
            Body::Unnamed(file) => match unnamed::link(&file, dest) {
                Ok(()) => return Ok(()),
                Err(e) if !overwrite && e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(e);
                }
                // To replace a file, or where this file system will not link
                // an unnamed file: its bytes go to a named file in `tmp/`,
                // made durable here (the batch's barrier has passed).
                Err(_) => {
                    let mut tmp = temp_file_in(&root.join("tmp"))?;
                    let mut source = &file;
                    source.seek(std::io::SeekFrom::Start(0))?;
                    std::io::copy(&mut source, &mut tmp)?;
                    tmp.as_file().sync_all()?;
                    tmp
                }
            },
        };
        if overwrite {
            named.persist(dest).map(drop).map_err(|e| e.error)
        } else {
            named.persist_noclobber(dest).map(drop).map_err(|e| e.error)
        }
    }
}

/// Unnamed files (`O_TMPFILE`) and naming them through `/proc/self/fd`,
/// which needs no privilege (`AT_EMPTY_PATH` does). Neither std nor tempfile
/// offers this, hence rustix.
#[cfg(target_os = "linux")]
mod unnamed {
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::path::Path;
    use std::sync::OnceLock;

    pub(super) fn create(dir: &Path) -> std::io::Result<Option<File>> {
        static PROC: OnceLock<bool> = OnceLock::new();
        if !*PROC.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
            return Ok(None);
        }
        let open = || {
            // Readable too: if linking fails at commit, the bytes are copied out.
            let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
            rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o644))
                .map(File::from)
                .map_err(std::io::Error::from)
        };
        match open() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)?;
                open().map(Some)
            }
            other => other.map(Some),
        }
    }

    pub(super) fn link(file: &File, dest: &Path) -> std::io::Result<()> {
        // `file` keeps the descriptor that the /proc path names open.
        let src = format!("/proc/self/fd/{}", file.as_raw_fd());
        rustix::fs::linkat(CWD, src.as_str(), CWD, dest, AtFlags::SYMLINK_FOLLOW)
            .map_err(std::io::Error::from)
    }
}

#[cfg(not(target_os = "linux"))]
mod unnamed {
    use std::fs::File;
    use std::path::Path;

    pub(super) fn create(_dir: &Path) -> std::io::Result<Option<File>> {
        Ok(None)
    }

    pub(super) fn link(_file: &File, _dest: &Path) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// Makes the given files' data and directories' entries durable. On Linux one
/// `syncfs` covers a whole batch (the cost of one journal commit instead of
/// one fsync per file); elsewhere each file and directory is fsynced.
fn barrier(root: &Path, files: &[&File], dirs: &[PathBuf]) -> Result<(), ArchiveError> {
    #[cfg(target_os = "linux")]
    {
        let _ = (files, dirs);
        let dir = File::open(root).map_err(io(root))?;
        rustix::fs::syncfs(&dir).map_err(|e| io(root)(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        for f in files {
            f.sync_all().map_err(io(root))?;
        }
        for d in dirs {
            File::open(d).and_then(|d| d.sync_all()).map_err(io(d))?;
        }
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn an_unnamed_file_that_cannot_be_linked_is_copied_into_place() {
        let unique = format!(
            "sidarkiv-commit-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        );
        let here = std::env::temp_dir().join(&unique);
        let there = Path::new("/dev/shm").join(&unique);
        fs::create_dir_all(&here).expect("here");
        if fs::create_dir_all(there.join("tmp")).is_err()
            || fs::metadata(&here).expect("here").dev()
                == fs::metadata(&there).expect("there").dev()
        {
            eprintln!("SKIPPED: no second file system (/dev/shm) to make linking fail");
            return;
        }
        let Some(file) = write_unnamed(&here.join("x"), b"bytes") else {
            eprintln!("SKIPPED: no O_TMPFILE on {}", here.display());
            return;
        };
        // Linking across file systems fails (EXDEV): the bytes are copied.
        Body::Unnamed(file.0)
            .put(&there.join("x"), false, &there)
            .expect("put");
        assert_eq!(fs::read(there.join("x")).expect("read"), b"bytes");
        assert_eq!(fs::read_dir(there.join("tmp")).expect("tmp").count(), 0);
        let _ = fs::remove_dir_all(&here);
        let _ = fs::remove_dir_all(&there);
    }
}
