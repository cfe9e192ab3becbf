//! Test helpers, from the workspace's test kit: the real `ssh-keygen` and throwaway
//! directories.

pub use burrow_testkit::TempDir;
pub use burrow_testkit::keys::{run_keygen, ssh_keygen};
