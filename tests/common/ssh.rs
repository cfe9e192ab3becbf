//! The OpenSSH client pointed at a burrow listener on 127.0.0.1, isolated from the user's
//! config, agent and known_hosts (from the test kit).

pub use burrow_testkit::sshd::ssh_command;
