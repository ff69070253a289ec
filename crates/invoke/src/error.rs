//! Why a call could not be made, or failed.

/// Why a call could not be made, or failed.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The chain, a member or an argument is not what the shim offers; the
    /// message says what to write instead.
    #[error("{0}")]
    Call(String),
    /// An argument (or the receiver) does not fit its parameter.
    #[error("{what}: {source}")]
    Argument {
        what: String,
        #[source]
        source: Box<InvokeError>,
    },
    /// The export raised a .NET exception (its type and message).
    #[error(transparent)]
    Managed(#[from] hosting::ManagedException),
    #[error(transparent)]
    Host(#[from] hosting::Error),
}

impl InvokeError {
    /// This error, as the failure of `what` (an argument, the receiver).
    pub(crate) fn within(self, what: String) -> InvokeError {
        InvokeError::Argument {
            what,
            source: Box::new(self),
        }
    }
}
