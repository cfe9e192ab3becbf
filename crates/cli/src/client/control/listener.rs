//! The master's control socket: created 0600 in a directory the user owns, moved into place
//! with `link` (as OpenSSH: never half-ready, never over another master's), and only peers
//! of the same uid (or root) accepted.

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand_core::RngCore;
use tokio::net::{UnixListener, UnixStream};

/// Longest control path (`sizeof(sun_path) - 1`), as ssh's "ControlPath too long".
pub const MAX_PATH: usize = 107;

/// Why the control socket could not be set up.
#[derive(Debug)]
pub enum ListenError {
    /// The path does not fit in a unix socket address (with room for the temporary suffix).
    TooLong(PathBuf),
    /// The directory is not the user's own, or others may write to it.
    UnsafeDirectory {
        /// The directory.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Another socket or file is at the path already.
    Exists(PathBuf),
    /// A system call failed.
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

impl std::fmt::Display for ListenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenError::TooLong(p) => write!(
                f,
                "ControlPath too long ('{}' >= {} bytes)",
                p.display(),
                MAX_PATH - 17
            ),
            ListenError::UnsafeDirectory { dir, why } => write!(
                f,
                "ControlPath directory {} is not safe: {why}",
                dir.display()
            ),
            ListenError::Exists(p) => write!(
                f,
                "ControlSocket {} already exists, disabling multiplexing",
                p.display()
            ),
            ListenError::Io { what, path, error } => write!(
                f,
                "{what} {}: {}",
                path.display(),
                crate::sys::strerror(error)
            ),
        }
    }
}

/// A listening control socket; the path is removed when it is dropped.
#[derive(Debug)]
pub struct ControlListener {
    listener: UnixListener,
    path: PathBuf,
    uid: u32,
}

/// Checks that `dir` belongs to `uid` and that no one else may write to it.
pub fn check_directory(dir: &Path, uid: u32) -> Result<(), ListenError> {
    let meta = std::fs::metadata(dir).map_err(|error| ListenError::Io {
        what: "cannot use ControlPath directory",
        path: dir.to_path_buf(),
        error,
    })?;
    let unsafe_dir = |why: String| ListenError::UnsafeDirectory {
        dir: dir.to_path_buf(),
        why,
    };
    if !meta.is_dir() {
        return Err(unsafe_dir("not a directory".to_owned()));
    }
    if meta.uid() != uid {
        return Err(unsafe_dir(format!(
            "owned by uid {}, not by uid {uid}",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_dir(format!(
            "mode {:04o} lets others write to it",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

impl ControlListener {
    /// Binds `path` for the user `uid`: checks its directory, binds a temporary name
    /// beside it, sets 0600, listens, and links it into place.
    pub fn bind(path: &Path, uid: u32) -> Result<Self, ListenError> {
        if path.as_os_str().len() > MAX_PATH - 17 {
            return Err(ListenError::TooLong(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        check_directory(dir, uid)?;
        let mut suffix = [0u8; 8];
        rand_core::OsRng.fill_bytes(&mut suffix);
        let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".{hex}"));
        let temp = PathBuf::from(temp);
        let io = |what, p: &Path| {
            let p = p.to_path_buf();
            move |error| ListenError::Io {
                what,
                path: p,
                error,
            }
        };
        let std_listener =
            std::os::unix::net::UnixListener::bind(&temp).map_err(io("cannot bind", &temp))?;
        let placed = std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))
            .map_err(io("cannot chmod", &temp))
            .and_then(|()| match std::fs::hard_link(&temp, path) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    Err(ListenError::Exists(path.to_path_buf()))
                }
                r => r.map_err(io("cannot link", path)),
            });
        if let Err(e) = std::fs::remove_file(&temp) {
            tracing::debug!("unlink {}: {e}", temp.display());
        }
        placed?;
        let listener = std_listener
            .set_nonblocking(true)
            .and_then(|()| UnixListener::from_std(std_listener))
            .map_err(io("cannot listen on", path))?;
        Ok(Self {
            listener,
            path: path.to_path_buf(),
            uid,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next connection whose peer runs as our uid or as root; others are closed
    /// (logged with their uid).
    pub async fn accept(&self) -> io::Result<UnixStream> {
        loop {
            let (stream, _) = self.listener.accept().await?;
            match stream.peer_cred() {
                Ok(cred) if cred.uid() == self.uid || cred.uid() == 0 => return Ok(stream),
                Ok(cred) => tracing::error!(
                    "control socket {}: refused a client running as uid {} (ours is {})",
                    self.path.display(),
                    cred.uid(),
                    self.uid
                ),
                Err(e) => tracing::error!("control socket: SO_PEERCRED failed: {e}"),
            }
        }
    }
}

impl Drop for ControlListener {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::debug!("unlink {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("burrow-ctl-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }

    fn uid() -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    #[tokio::test]
    async fn the_socket_is_0600_and_removed_on_drop() {
        let d = temp_dir("mode");
        let path = d.join("ctl");
        let l = ControlListener::bind(&path, uid()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary left"
        );
        // A second master on the same path is refused with ssh's words.
        let e = ControlListener::bind(&path, uid()).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        let _c = UnixStream::connect(&path).await.unwrap();
        l.accept().await.unwrap();
        drop(l);
        assert!(!path.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_directory_others_can_write_or_another_user_owns_is_refused() {
        let d = temp_dir("unsafe");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = ControlListener::bind(&d.join("ctl"), uid()).unwrap_err();
        assert!(e.to_string().contains("lets others write"), "{e}");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        let e = ControlListener::bind(&d.join("ctl"), uid().wrapping_add(1)).unwrap_err();
        assert!(e.to_string().contains("owned by uid"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_overlong_path_is_refused() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(120)));
        let e = ControlListener::bind(&long, uid()).unwrap_err();
        assert!(e.to_string().starts_with("ControlPath too long"), "{e}");
    }
}
