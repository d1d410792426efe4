//! Group commit: files staged in `tmp/`, made durable together, renamed into
//! place, and their directory entries made durable.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ArchiveError, io};

/// Files written to `tmp/`, waiting to be made durable and renamed together.
pub(super) struct Staged {
    root: PathBuf,
    files: Vec<(tempfile::NamedTempFile, PathBuf, bool)>,
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
        let tmp_dir = self.root.join("tmp");
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(io(&tmp_dir))?;
        tmp.write_all(bytes).map_err(io(tmp.path()))?;
        self.files.push((tmp, dest, overwrite));
        Ok(())
    }

    /// Durable data, then renames, then durable directory entries.
    pub(super) fn commit(self) -> Result<(), ArchiveError> {
        if self.files.is_empty() {
            return Ok(());
        }
        let files: Vec<&File> = self.files.iter().map(|(t, _, _)| t.as_file()).collect();
        barrier(&self.root, &files, &[])?;
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (tmp, dest, overwrite) in self.files {
            let parent = dest.parent().unwrap_or(&self.root).to_path_buf();
            fs::create_dir_all(&parent).map_err(io(&parent))?;
            let persisted = if overwrite {
                tmp.persist(&dest).map(drop)
            } else {
                tmp.persist_noclobber(&dest).map(drop)
            };
            match persisted {
                Ok(()) => {}
                Err(e) if !overwrite && e.error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(&dest)(e.error)),
            }
            if !dirs.contains(&parent) {
                dirs.push(parent);
            }
        }
        barrier(&self.root, &[], &dirs)
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
