//! burrow-suite: the home of burrow's interop tests against OpenSSH (`tests/`) and its
//! benchmarks (`benches/`). It has no code of its own.
