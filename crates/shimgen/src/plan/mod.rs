//! The binding plan: every surface member either translated (entry point,
//! .NET target, Mochi signature, marshalling) or skipped with one reason.
//! Surface in, plan out; no disk, no network. As `ecma335::surface` is laid
//! out: the model ([`model`]) and the builder (`build`).

mod build;
pub mod model;

pub use build::{build_plan, mochi_literal};
pub use model::*;
