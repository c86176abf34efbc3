//! Bytes on disk: SHA-256 hashes (a report's identity, the model's checks, cache keys) and
//! atomic writes (a file is written beside its place and renamed over it, so a reader never
//! sees half a file). Every other module hashes and writes through here.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// How the temporary files of outputs being written begin (hidden, and skipped as inputs).
pub const TEMP_PREFIX: &str = ".ofsted-themes-tmp-";

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of what `reader` yields, read in chunks, and how many bytes it
/// yielded.
pub fn sha256_of(mut reader: impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let n = io::copy(&mut reader, &mut hasher)?;
    Ok((hex(&hasher.finalize()), n))
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (sha, _) = sha256_of(file).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(sha)
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `path` atomically: `fill` writes into a temporary file beside it, which is then
/// renamed over `path`. On error the temporary file is removed and `path` is untouched.
pub fn atomic_write(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let tmp = write_temporary(parent_of(path), path, fill)?;
    persist(tmp, path)
}

/// [`atomic_write`] of everything `reader` yields.
pub fn atomic_copy(reader: &mut impl Read, path: &Path) -> Result<()> {
    atomic_write(path, |out| {
        io::copy(reader, out)?;
        Ok(())
    })
}

/// A new temporary file in `dir`, named [`TEMP_PREFIX`]….
pub fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
}

/// Writes a temporary file in `dir` with `fill`, readable by others and synced, ready to be
/// renamed over `path`. `path` only names the output in errors.
pub fn write_temporary(
    dir: &Path,
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<tempfile::NamedTempFile> {
    let mut tmp = temp_file_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        fill(&mut out).with_context(|| format!("cannot write {}", path.display()))?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    make_readable(tmp.as_file())
        .with_context(|| format!("cannot set permissions on {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(tmp)
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Renames a finished temporary file over `path`.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    // The error's own message is the I/O error's, so only that is kept (not both).
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot move the finished file into {}", path.display()))?;
    Ok(())
}

/// Temporary files are created private (0600); a finished output is an ordinary file that
/// others may read, as if created with the default umask.
#[cfg(unix)]
fn make_readable(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn make_readable(_file: &fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_the_old_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        fs::write(&path, "old").unwrap();
        let result = atomic_write(&path, |out| {
            out.write_all(b"half a fi")?;
            anyhow::bail!("interrupted")
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "the temporary file was not cleaned up");

        atomic_write(&path, |out| Ok(out.write_all(b"new")?)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "outputs must be readable by others");
        }
    }

    #[test]
    fn hashes_agree_whichever_way_the_bytes_come() {
        let sha = sha256_hex(b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_of(&b"abc"[..]).unwrap(), (sha, 3));
    }
}
