//! Reading presets, records and checkpoints: only regular files, never more than a cap.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an input file was not read.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("{}: cannot read it: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: not a regular file ({kind}); expected a {what}", path.display())]
    NotRegular {
        path: PathBuf,
        kind: &'static str,
        what: &'static str,
    },
    #[error("{}: {size} bytes is too large for a {what} (at most {cap} bytes)", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        cap: u64,
        what: &'static str,
    },
    #[error("{}: not UTF-8 text (a {what} is text)", path.display())]
    NotText { path: PathBuf, what: &'static str },
}

/// What a non-regular file is, for messages.
pub fn file_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Open `path` for reading if it is a regular file (symlinks to one are followed). Opened
/// non-blocking so that a FIFO swapped in after the check cannot hang the open; the check is
/// repeated on the open descriptor.
pub fn open_regular(path: &Path, what: &'static str) -> Result<File, InputError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |error| InputError::Io {
        path: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let not_regular = |ft: &std::fs::FileType| InputError::NotRegular {
        path: path.to_path_buf(),
        kind: file_kind(ft),
        what,
    };
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    Ok(file)
}

/// The bytes of a regular file of at most `cap` bytes.
pub fn read_bytes(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    let file = open_regular(path, what)?;
    let io = |error| InputError::Io {
        path: path.to_path_buf(),
        error,
    };
    let size = file.metadata().map_err(io)?.len();
    let too_large = |size| InputError::TooLarge {
        path: path.to_path_buf(),
        size,
        cap,
        what,
    };
    if size > cap {
        return Err(too_large(size));
    }
    // The file may grow while it is read: never take more than the cap.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The text of a regular file of at most `cap` bytes.
pub fn read_input(path: &Path, cap: u64, what: &'static str) -> Result<String, InputError> {
    let bytes = read_bytes(path, cap, what)?;
    String::from_utf8(bytes).map_err(|_| InputError::NotText {
        path: path.to_path_buf(),
        what,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let e = read_input(Path::new("/dev/zero"), 1024, "preset");
        assert!(
            matches!(
                e,
                Err(InputError::NotRegular {
                    kind: "a character device",
                    ..
                })
            ),
            "{e:?}"
        );
        let e = read_input(Path::new("/"), 1024, "preset");
        assert!(matches!(
            e,
            Err(InputError::NotRegular {
                kind: "a directory",
                ..
            })
        ));
    }

    #[test]
    fn the_cap_is_enforced() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("big.toml");
        std::fs::write(&p, vec![b'#'; 2000])?;
        let e = read_input(&p, 1000, "preset");
        assert!(
            matches!(e, Err(InputError::TooLarge { size: 2000, .. })),
            "{e:?}"
        );
        assert_eq!(read_input(&p, 2000, "preset")?.len(), 2000);
        Ok(())
    }
}
