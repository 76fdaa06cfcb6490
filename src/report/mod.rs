//! Everything a run leaves behind: CSV tables, charts, the HTML page, the headline.
//!
//! [`rows`] is the output schema (one row type per CSV file, written and read back);
//! [`summary`] and [`runs`] turn results into rows; [`write`](mod@write) writes a finished study
//! into its folder; [`data`] reads a folder back, and [`charts`] and [`html`] draw from
//! it. Exporters are pure (results in, bytes out); [`write_atomic`] is the one place
//! that writes files, so an interrupted run never leaves a half-written one.

pub mod brief;
pub mod charts;
pub mod data;
pub mod decision;
pub mod html;
pub mod optimise;
pub mod outages;
pub mod rows;
pub mod runs;
pub mod sensitivity;
pub mod summary;
pub mod variants;
pub mod verdict;
pub mod warnings;
pub mod write;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A file that could not be written.
#[derive(Debug, Error)]
#[error(
    "cannot write {path}: {source}; expected a folder you can write to, with free space (choose another with --out)"
)]
pub struct WriteError {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What the system said.
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename,
/// so readers see the old file or the new one, never a truncated one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Opens `path` for appending whole lines (a part's ledger of finished items, whose
/// every line is written once, after the files it describes), creating it; a link at
/// `path` is not followed.
pub fn open_append(path: &Path) -> Result<fs::File, WriteError> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })
}

/// Like [`write_atomic`], for content produced piece by piece (large tables are
/// streamed to the temporary file rather than built in memory).
pub fn write_atomic_with(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let wrap = |p: &Path| {
        let p = p.to_path_buf();
        move |source| WriteError { path: p, source }
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(wrap(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Created exclusively (O_EXCL) under an unpredictable name: a link planted in the
    // folder is never followed, and the file is removed if anything fails.
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // As fs::File::create would: readable by others, as the umask allows.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let result = (|| {
        let tmp = builder.tempfile_in(dir)?;
        let mut f = std::io::BufWriter::new(tmp);
        produce(&mut f)?;
        let tmp = f.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    result.map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })
}

/// An exclusive lock on a report folder, held while a run writes into it (released when
/// dropped, or when the process ends, however it ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
}

/// The lock file in a report folder; it holds the holder's process id.
pub const LOCK_FILE: &str = ".watchsim.lock";

/// Takes the exclusive lock on report folder `dir` (creating it), or fails, naming the
/// process that holds it, when another run is writing there: two runs into one folder
/// would mix their replications.
pub fn lock_report_dir(dir: &Path) -> crate::error::Result<FolderLock> {
    let path = dir.join(LOCK_FILE);
    let io = |source| {
        crate::error::Error::Write(WriteError {
            path: path.clone(),
            source,
        })
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never through a planted link.
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(&path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::io::{Read, Seek, Write};
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a file descriptor we own, for the life of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::WouldBlock {
                return Err(io(err));
            }
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder: String = holder
                .trim()
                .chars()
                .take(80)
                .filter(|c| !c.is_control())
                .collect();
            return Err(crate::error::Error::report_folder(format!(
                "{} is in use by another watchsim run ({}); wait for it to finish, or choose another folder with --out",
                dir.display(),
                if holder.is_empty() {
                    "process unknown"
                } else {
                    &holder
                }
            )));
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "pid {}", std::process::id()).map_err(io)?;
    }
    Ok(FolderLock { _file: file })
}

/// Hands memory freed by the allocator back to the system. glibc keeps freed small
/// blocks (a study's pooled histograms) in its arenas, where the charts' large buffers,
/// mapped apart, cannot reuse them: without this the peak counts both.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory that is free; nothing refers to it.
    unsafe {
        libc::malloc_trim(0);
    }
}
