//! Test helpers: locating the real `ssh-keygen` and making throwaway directories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Path of the real `ssh-keygen`. When it is missing the test skips, unless `CI` is set,
/// in which case it fails.
pub fn ssh_keygen() -> Option<&'static Path> {
    let path = Path::new("/usr/bin/ssh-keygen");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "/usr/bin/ssh-keygen is missing and CI is set"
    );
    eprintln!("skipping: /usr/bin/ssh-keygen is missing");
    None
}

/// Runs `ssh-keygen` with `args`, asserting success, and returns its stdout.
pub fn run_keygen(keygen: &Path, args: &[&str]) -> String {
    let out = Command::new(keygen).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("burrow-keys-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}
