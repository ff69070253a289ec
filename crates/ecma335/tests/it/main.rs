//! The integration tests of `ecma335`, in one binary: crafted and hostile
//! metadata, property tests, the fuzz seeds, and the fixture surfaces against
//! their snapshots.

mod crafted;
mod fixture_surface;
mod fuzz_seeds;
mod hostile;
mod props;
mod support;
