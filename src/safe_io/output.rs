//! Opening files aescope writes (run records, sweep results): never through a symlink, never
//! onto a device, a directory, the preset being run or an existing file unless asked, and never
//! onto a file another running aescope holds. The hold is an advisory `flock`, which the kernel
//! releases when the holder dies, so a killed run never leaves a stale lock behind.

use super::input::file_kind;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output file was refused.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{}: cannot open it for writing: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: refusing to write to {kind}; give the path of a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: already exists; refusing to overwrite it (use --force to replace it{resume_hint})", path.display())]
    Exists { path: PathBuf, resume_hint: String },
    #[error("{}: refusing to write over the {what} itself", path.display())]
    IsInput { path: PathBuf, what: &'static str },
    #[error("{}: another running aescope is writing it (it holds the file's lock); pick another path or stop that run first", path.display())]
    Locked { path: PathBuf },
    #[error("{}: does not exist, so there is nothing to continue", path.display())]
    Missing { path: PathBuf },
}

/// How an existing file is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// The file must not exist yet.
    CreateNew,
    /// An existing regular file is emptied (`--force`).
    Replace,
    /// An existing regular file is kept and written at its end (`--resume`).
    Continue,
    /// Only take the lock (created if missing; contents untouched): for lock files beside
    /// outputs that are replaced by rename.
    LockOnly,
}

/// An open, locked output file; the lock is released when it is dropped.
#[derive(Debug)]
pub struct OutputFile {
    pub file: File,
    pub path: PathBuf,
}

impl OutputFile {
    /// Open `path` as `mode` says. `inputs` are files this run reads (the preset): writing
    /// over one of them is refused whatever the mode.
    pub fn open(
        path: &Path,
        mode: OutputMode,
        inputs: &[(&Path, &'static str)],
    ) -> Result<OutputFile, OutputError> {
        let io = |error| OutputError::Io {
            path: path.to_path_buf(),
            error,
        };
        let existing = match std::fs::symlink_metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        if let Some(m) = &existing {
            if !m.is_file() {
                return Err(OutputError::NotRegular {
                    path: path.to_path_buf(),
                    kind: file_kind(&m.file_type()),
                });
            }
            for (input, what) in inputs {
                if let Ok(im) = std::fs::metadata(input)
                    && im.dev() == m.dev()
                    && im.ino() == m.ino()
                {
                    return Err(OutputError::IsInput {
                        path: path.to_path_buf(),
                        what,
                    });
                }
            }
        } else if mode == OutputMode::Continue {
            return Err(OutputError::Missing {
                path: path.to_path_buf(),
            });
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
        // Appending: after a failed write is cut back, the next line lands at the new end.
        opts.append(true);
        if existing.is_none() {
            if mode == OutputMode::LockOnly {
                opts.create(true);
            } else {
                opts.create_new(true);
            }
        }
        let file = opts.open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(OutputError::NotRegular {
                path: path.to_path_buf(),
                kind: file_kind(&meta.file_type()),
            });
        }
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                OutputError::Locked {
                    path: path.to_path_buf(),
                }
            } else {
                io(e)
            });
        }
        if existing.is_some() {
            match mode {
                OutputMode::CreateNew => {
                    return Err(OutputError::Exists {
                        path: path.to_path_buf(),
                        resume_hint: String::new(),
                    });
                }
                OutputMode::Replace => file.set_len(0).map_err(io)?,
                OutputMode::Continue | OutputMode::LockOnly => {}
            }
        }
        Ok(OutputFile {
            file,
            path: path.to_path_buf(),
        })
    }
}

/// `--resume` as the way out of an [`OutputError::Exists`] (for run records).
pub fn with_resume_hint(e: OutputError) -> OutputError {
    match e {
        OutputError::Exists { path, .. } => OutputError::Exists {
            path,
            resume_hint: ", or --resume with one of its checkpoints to continue it".into(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("run.jsonl");
        let first = OutputFile::open(&p, OutputMode::CreateNew, &[])?;
        // Held by `first`: refused even with --force.
        let e = OutputFile::open(&p, OutputMode::Replace, &[]);
        assert!(matches!(e, Err(OutputError::Locked { .. })), "{e:?}");
        drop(first);
        let e = OutputFile::open(&p, OutputMode::CreateNew, &[]);
        assert!(matches!(e, Err(OutputError::Exists { .. })), "{e:?}");
        std::fs::write(&p, "old")?;
        OutputFile::open(&p, OutputMode::Replace, &[])?;
        assert_eq!(std::fs::read(&p)?.len(), 0);
        let e = OutputFile::open(&p, OutputMode::Replace, &[(&p, "preset")]);
        assert!(matches!(e, Err(OutputError::IsInput { .. })), "{e:?}");
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&p, &link)?;
        let e = OutputFile::open(&link, OutputMode::Replace, &[]);
        assert!(matches!(
            e,
            Err(OutputError::NotRegular {
                kind: "a symbolic link",
                ..
            })
        ));
        let e = OutputFile::open(Path::new("/dev/null"), OutputMode::Replace, &[]);
        assert!(matches!(e, Err(OutputError::NotRegular { .. })), "{e:?}");
        let e = OutputFile::open(dir.path(), OutputMode::Replace, &[]);
        assert!(matches!(
            e,
            Err(OutputError::NotRegular {
                kind: "a directory",
                ..
            })
        ));
        Ok(())
    }
}
