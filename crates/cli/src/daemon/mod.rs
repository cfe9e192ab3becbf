//! The `burrowd` program.
