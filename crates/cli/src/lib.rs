//! burrow-cli: the `burrow` client and `burrowd` server command-line programs.
#![forbid(unsafe_code)]
