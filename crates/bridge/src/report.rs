//! How an error reads, for the CLI's stderr and the C API's
//! `mochi_dotnet_last_error` alike: the error's own message, then each cause in
//! its source chain on a line of its own (`  caused by: …`). A cause whose text
//! the message before it already includes is not repeated (many messages quote
//! their cause, and keep it as their `source` for programs). Hints are part of
//! the messages, always on their own line as `  hint: …`.

use std::error::Error;

/// The text of `error` and its causes.
pub fn render(error: &(dyn Error + 'static)) -> String {
    let mut chain = Vec::new();
    let mut next: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(e) = next {
        chain.push(e);
        next = e.source();
    }
    render_chain(chain)
}

/// The text of a chain of errors, outermost first (e.g. `anyhow::Error::chain`).
pub fn render_chain<'a>(chain: impl IntoIterator<Item = &'a (dyn Error + 'static)>) -> String {
    let mut out = String::new();
    let mut shown = String::new();
    for (i, e) in chain.into_iter().enumerate() {
        let text = e.to_string();
        if i == 0 {
            out.push_str(&text);
        } else if !shown.contains(text.trim()) {
            out.push_str("\n  caused by: ");
            out.push_str(&text);
        }
        shown.push_str(&text);
        shown.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer says: {0}")]
    struct Quoting(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Silent(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner\n  hint: do this")]
    struct Inner;

    #[test]
    fn causes_follow_unless_already_quoted() {
        assert_eq!(
            render(&Silent(Inner)),
            "outer\n  caused by: inner\n  hint: do this"
        );
        assert_eq!(
            render(&Quoting(Inner)),
            "outer says: inner\n  hint: do this"
        );
    }
}
