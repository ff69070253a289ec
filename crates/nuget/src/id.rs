//! Package ids: THE validator, with NuGet's rule (`PackageIdValidator`): ASCII
//! letters, digits and `_`, in runs separated by single `.` or `-` (the regex
//! `^\w+([.-]\w+)*$`), at most 100 characters. An id that passes is safe as one
//! path component and inside a URL. Ids compare case-insensitively.

/// The longest id NuGet accepts.
pub const MAX_ID_LENGTH: usize = 100;

/// Whether `id` is a NuGet package id.
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LENGTH
        && id.split(['.', '-']).all(|run| {
            !run.is_empty() && run.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
}

/// What the validator says when an id is refused (the advice every caller gives).
pub const ID_RULE: &str =
    "ids are letters, digits and '_', separated by single '.' or '-' (e.g. Newtonsoft.Json)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuget_rules() {
        for ok in [
            "Newtonsoft.Json",
            "A",
            "a_b",
            "x-y.z",
            "System.Text.Json",
            "_x",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            ".A",
            "A.",
            "A..B",
            "A-",
            "-A",
            "A.-B",
            "A B",
            "../evil",
            "A/B",
            "Ünï",
            &"a".repeat(101),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert!(is_valid(&"a".repeat(100)));
    }
}
