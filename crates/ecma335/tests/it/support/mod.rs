//! Shared test support: the crafted-image writer.
pub mod craft;
