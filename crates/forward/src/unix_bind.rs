//! Unix-domain listeners created with their final mode (StreamLocalBindMask 0177): no moment
//! where the socket exists at its path with a wider mode than 0600.
//!
//! The socket is bound inside a fresh private (0700) directory next to the path, made 0600
//! there, where nobody else can reach it, and then hard-linked to the path. Not a umask:
//! that is process-wide, so in a multi-threaded process every file another thread creates
//! meanwhile would get it, and two binds at once could restore each other's saved mask.
//! Not `rename`: it silently replaces whatever is at the path, where `link` fails with
//! EEXIST as `bind` does (unless StreamLocalBindUnlink removed it first).

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::net::UnixListener;

/// The socket mode sshd's default StreamLocalBindMask 0177 gives.
const SOCKET_MODE: u32 = 0o600;

/// Binds a listener at `path` that is mode 0600 from the moment it is there; with `unlink`, a
/// file already at `path` is removed first.
pub(crate) fn bind_unix_0600(path: &Path, unlink: bool) -> io::Result<UnixListener> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = private_dir(parent)?;
    let staged = dir.join("s");
    let bound = bind_staged(&staged, path, unlink);
    // The path keeps the socket through its own link; the staging names go either way.
    let _gone = std::fs::remove_file(&staged);
    let _gone = std::fs::remove_dir(&dir);
    bound
}

fn bind_staged(staged: &Path, path: &Path, unlink: bool) -> io::Result<UnixListener> {
    let listener = UnixListener::bind(staged)?;
    std::fs::set_permissions(staged, std::fs::Permissions::from_mode(SOCKET_MODE))?;
    if unlink {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::hard_link(staged, path)?;
    Ok(listener)
}

/// A new directory only we can enter, in `parent` (the same filesystem as the path, which
/// `link` needs); its short name keeps the staged path within `sun_path`'s 108 bytes.
fn private_dir(parent: &Path) -> io::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut last = None;
    for _ in 0..16 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".burrow{:x}.{n:x}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no private directory")))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use crate::net::LocalListener;

    /// A thread stats the path as fast as it can while sockets are bound there again and
    /// again: every socket it sees must already be 0600.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bound_socket_is_never_seen_with_a_wider_mode() {
        let dir = std::env::temp_dir().join(format!("burrow-ub-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, wide) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let watcher = {
            let (path, stop, seen, wide) = (path.clone(), stop.clone(), seen.clone(), wide.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(m) = std::fs::symlink_metadata(&path) {
                        if m.file_type().is_socket() {
                            seen.fetch_add(1, Ordering::Relaxed);
                            if m.permissions().mode() & 0o777 != 0o600 {
                                wide.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
            })
        };
        for _ in 0..1500 {
            let l = LocalListener::bind_unix(&path, true).unwrap();
            drop(l);
            std::fs::remove_file(&path).unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let (seen, wide) = (seen.load(Ordering::Relaxed), wide.load(Ordering::Relaxed));
        assert!(seen > 0, "the watcher never saw a socket");
        assert_eq!(
            wide, 0,
            "{wide} of {seen} looks saw a socket wider than 0600"
        );
    }

    #[tokio::test]
    async fn an_existing_file_is_kept_unless_unlink_is_asked_and_nothing_is_left_behind() {
        let dir = std::env::temp_dir().join(format!("burrow-ub2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        std::fs::write(&path, b"precious").unwrap();
        let err = super::bind_unix_0600(&path, false).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        let l = super::bind_unix_0600(&path, true).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // The socket answers at its path, and only it is in the directory.
        let _c = tokio::net::UnixStream::connect(&path).await.unwrap();
        let (_s, _) = l.accept().await.unwrap();
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("s.sock")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
