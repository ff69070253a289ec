//! The integration tests of the bridge library, in one binary: the embedding C
//! API (from Rust, from a C program linked with `libbridge.a`, and its generated
//! header) and the commands' argument parsing.

mod add_spec;
mod capi_embed;
mod capi_errors;
mod capi_header;
