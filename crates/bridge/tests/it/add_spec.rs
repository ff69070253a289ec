//! `add`'s argument: `Id[@range]`, and the range written when none is given.

use bridge::ops::add::{default_range, parse_spec};

#[test]
fn specs_and_default_ranges() {
    let (id, r) = parse_spec("Newtonsoft.Json@^13.0").unwrap();
    assert_eq!(
        (id.as_str(), r.unwrap().to_string()),
        ("Newtonsoft.Json", "[13.0.0, 14.0.0)".to_string())
    );
    assert!(parse_spec("Newtonsoft.Json").unwrap().1.is_none());
    assert!(parse_spec("Bad Id").is_err());
    let e = parse_spec("A@^x").unwrap_err().to_string();
    assert!(e.contains("`^x` is not a version range"), "{e}");
    let vs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        default_range(&vs(&["1.0.0", "13.0.3", "13.0.1", "14.0.0-beta"])).unwrap(),
        "^13.0.3"
    );
    assert_eq!(
        default_range(&vs(&["1.0.0-alpha", "1.0.0-beta"])).unwrap(),
        "1.0.0-beta"
    );
    assert_eq!(default_range(&[]), None);
}
