//! Reading an input whole, within `max_body_bytes`: `/dev/zero` or a huge
//! file named by mistake fails with a clear message instead of filling memory.

use std::io::{self, Read};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum InputError {
    #[error("cannot read {name}")]
    Read {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("{name} is larger than max_body_bytes ({limit} bytes)")]
    TooLarge { name: String, limit: u64 },
}

/// Reads a whole input, at most `limit` bytes.
pub fn read_capped(input: impl Read, limit: u64, name: &str) -> Result<Vec<u8>, InputError> {
    read_capped_into(Vec::new(), input, limit, name)
}

fn read_capped_into(
    mut buf: Vec<u8>,
    input: impl Read,
    limit: u64,
    name: &str,
) -> Result<Vec<u8>, InputError> {
    input
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| InputError::Read {
            name: name.to_owned(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge {
            name: name.to_owned(),
            limit,
        });
    }
    Ok(buf)
}

/// [`read_capped`] for a file.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    read_file_with_metadata(path, limit).map(|(bytes, _)| bytes)
}

/// [`read_file`], with the metadata of the file that was read (from the
/// open file: no second lookup of the path, which may have changed since).
pub fn read_file_with_metadata(
    path: &Path,
    limit: u64,
) -> Result<(Vec<u8>, Option<std::fs::Metadata>), InputError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Read {
        name: name.clone(),
        source,
    })?;
    let metadata = file.metadata().ok();
    // Sized from the file's length (the cap still applies: files can grow or
    // lie, /dev/zero says 0): two reads instead of a dozen growing ones.
    let size = metadata.as_ref().map_or(0, |m| m.len()).min(limit);
    let buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    Ok((read_capped_into(buf, file, limit, &name)?, metadata))
}
