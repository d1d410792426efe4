//! Group commit: files staged in `tmp/`, made durable together, renamed into
//! place, and their directory entries made durable.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ArchiveError, io};

/// Files written to `tmp/`, waiting to be made durable and renamed together.
pub(super) struct Staged {
    root: PathBuf,
    files: Vec<StagedFile>,
}

struct StagedFile {
    tmp: tempfile::NamedTempFile,
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

    /// A file that refers to the others: it appears only after they are durable.
    pub(super) fn add_last(&mut self, dest: PathBuf, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.stage(dest, bytes, true, true)
    }

    fn stage(
        &mut self,
        dest: PathBuf,
        bytes: &[u8],
        overwrite: bool,
        last: bool,
    ) -> Result<(), ArchiveError> {
        let tmp_dir = self.root.join("tmp");
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(io(&tmp_dir))?;
        tmp.write_all(bytes).map_err(io(tmp.path()))?;
        self.files.push(StagedFile {
            tmp,
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
        let files: Vec<&File> = self.files.iter().map(|f| f.tmp.as_file()).collect();
        barrier(&self.root, &files, &[])?;
        let (last, first): (Vec<StagedFile>, Vec<StagedFile>) =
            self.files.into_iter().partition(|f| f.last);
        for group in [first, last] {
            if group.is_empty() {
                continue;
            }
            let mut dirs: HashSet<PathBuf> = HashSet::new();
            for f in group {
                let parent = f.dest.parent().unwrap_or(&self.root).to_path_buf();
                if !dirs.contains(&parent) {
                    fs::create_dir_all(&parent).map_err(io(&parent))?;
                    dirs.insert(parent);
                }
                let persisted = if f.overwrite {
                    f.tmp.persist(&f.dest).map(drop)
                } else {
                    f.tmp.persist_noclobber(&f.dest).map(drop)
                };
                match persisted {
                    Ok(()) => {}
                    Err(e)
                        if !f.overwrite && e.error.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io(&f.dest)(e.error)),
                }
            }
            barrier(&self.root, &[], &dirs.into_iter().collect::<Vec<_>>())?;
        }
        Ok(())
    }
}

/// Makes the given files' data and directories' entries durable. On Linux one
/// `syncfs` covers a whole batch (the cost of one journal commit instead of
/// one fsync per file); elsewhere each file and directory is fsynced.
fn barrier(root: &Path, files: &[&File], dirs: &[PathBuf]) -> Result<(), ArchiveError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = (files, dirs);
        let dir = File::open(root).map_err(io(root))?;
        // SAFETY: syncfs only reads the descriptor, which `dir` keeps open for the call.
        let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
        if rc != 0 {
            return Err(io(root)(std::io::Error::last_os_error()));
        }
        Ok(())
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
