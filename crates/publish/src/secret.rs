//! Tokens and API keys: a type that never prints its value, and a scrubber that
//! removes every secret of the run from any text before it is shown.

use std::fmt;

/// A credential. `Debug` and `Display` print `***`; only [`Secret::expose`] gives
/// the value, for the one header that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for an HTTP header. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Every secret seen in a run; [`Scrubber::scrub`] replaces each of them (and each
/// dot-separated part of a JWT, long enough to be one) in a text.
#[derive(Debug, Default, Clone)]
pub struct Scrubber {
    needles: Vec<String>,
}

impl Scrubber {
    pub fn add(&mut self, s: &Secret) {
        let v = s.expose();
        if v.len() >= 4 {
            self.needles.push(v.to_string());
        }
        for part in v.split('.') {
            if part.len() >= 16 {
                self.needles.push(part.to_string());
            }
        }
        // Longest first, so a part never leaves the rest of a longer needle behind.
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        self.needles.dedup();
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed_and_scrubbed() {
        let s = Secret::new(
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9xxxxxx.c2lnbmF0dXJlc2lnbmF0dXJl",
        );
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        let mut sc = Scrubber::default();
        sc.add(&s);
        assert_eq!(
            sc.scrub(&format!("bad token {}", s.expose())),
            "bad token ***"
        );
        assert_eq!(
            sc.scrub("sig c2lnbmF0dXJlc2lnbmF0dXJl only"),
            "sig *** only"
        );
    }
}
