//! CLR hosting.
