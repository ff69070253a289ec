//! Done-when check of issue 4: Newtonsoft.Json's common entry points are
//! translated, not skipped.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use shimgen::BindOptions;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

fn mono() -> BTreeMap<String, Vec<Vec<String>>> {
    let mut m = BTreeMap::new();
    m.insert(
        "Newtonsoft.Json.Linq.JToken::Value``1".to_string(),
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()],
            vec!["System.Boolean".to_string()],
        ],
    );
    m.insert(
        "Newtonsoft.Json.JsonConvert::DeserializeObject``1".to_string(),
        vec![vec!["Newtonsoft.Json.Linq.JObject".to_string()]],
    );
    m
}

#[test]
fn newtonsoft_common_entry_points_are_translated() {
    assert!(
        Path::new(NEWTONSOFT).exists(),
        "{NEWTONSOFT} is not installed: run scripts/setup-test-tools.sh"
    );
    let (_, out) = common::bind_file(
        Path::new(NEWTONSOFT),
        "Newtonsoft.Json",
        BindOptions {
            package: "json".into(),
            monomorphise: mono(),
            ..Default::default()
        },
    );
    let plan = &out.plan;
    common::assert_mochi_parses(&out);
    let translated = |prefix: &str| -> Vec<&str> {
        plan.items
            .iter()
            .filter(|i| i.source.starts_with(prefix))
            .map(|i| i.source.as_str())
            .collect()
    };
    let skipped = |prefix: &str| -> Vec<String> {
        plan.skipped
            .iter()
            .filter(|i| i.item.starts_with(prefix))
            .map(|i| format!("{} [{}] {}", i.item, i.reason, i.detail))
            .collect()
    };
    for (prefix, min) in [
        ("M Newtonsoft.Json.JsonConvert::SerializeObject(", 8),
        ("M Newtonsoft.Json.JsonConvert::DeserializeObject(", 5),
        (
            "M Newtonsoft.Json.JsonConvert::DeserializeObject``1<Newtonsoft.Json.Linq.JObject>(",
            3,
        ),
        ("M Newtonsoft.Json.JsonConvert::ToString(", 24),
        ("M Newtonsoft.Json.Linq.JObject::Parse(", 1),
        ("M Newtonsoft.Json.Linq.JArray::Parse(", 1),
        ("M Newtonsoft.Json.Linq.JToken::Parse(", 1),
        ("M Newtonsoft.Json.Linq.JToken::SelectToken(", 2),
        ("M Newtonsoft.Json.Linq.JToken::ToString(", 2),
        ("M Newtonsoft.Json.Linq.JToken::Value``1<System.String>(", 1),
        (
            "P Newtonsoft.Json.Linq.JToken::Item(System.Object) : Newtonsoft.Json.Linq.JToken get",
            1,
        ),
        (
            "P Newtonsoft.Json.Linq.JObject::Item(System.String) : Newtonsoft.Json.Linq.JToken get",
            1,
        ),
        (
            "P Newtonsoft.Json.Linq.JArray::Item(System.Int32) : Newtonsoft.Json.Linq.JToken get",
            1,
        ),
    ] {
        let got = translated(prefix);
        assert!(
            got.len() >= min,
            "{prefix}: {} translated, want at least {min}; skipped: {:#?}",
            got.len(),
            skipped(prefix)
        );
    }
    for prefix in [
        "M Newtonsoft.Json.JsonConvert::ToString(",
        "M Newtonsoft.Json.JsonConvert::SerializeObject(",
        "M Newtonsoft.Json.JsonConvert::DeserializeObject(",
        "M Newtonsoft.Json.Linq.JObject::Parse(",
        "M Newtonsoft.Json.Linq.JArray::Parse(",
        "M Newtonsoft.Json.Linq.JToken::SelectToken(",
        "M Newtonsoft.Json.Linq.JToken::ToString(",
        "M Newtonsoft.Json.Linq.JToken::Value``1<",
        "P Newtonsoft.Json.Linq.JToken::Item(",
        "P Newtonsoft.Json.Linq.JObject::Item(",
        "P Newtonsoft.Json.Linq.JArray::Item(",
    ] {
        assert!(
            skipped(prefix).is_empty(),
            "{prefix}: {:#?}",
            skipped(prefix)
        );
    }
    // Navigation works across the hierarchy: a JObject is a JToken, and an
    // `any` (DeserializeObject's result) can be tested for JObject.
    let text = &out.extern_mochi;
    assert!(text.contains("extern fun mochi_json_j_object_as_j_token(self_: JObject): JToken\n"));
    assert!(text.contains("extern fun mochi_json_j_object_try_from_any(value: any): JObject?\n"));
    assert!(
        text.contains(
            "extern fun mochi_json_j_token_value_string(self_: JToken, key: any): string\n"
        )
    );
    assert!(
        text.contains("extern fun mochi_json_json_convert_to_string_int32(value: int): string\n")
    );
    assert!(text.contains(
        "extern fun mochi_json_j_token_select_token_string(self_: JToken, path: string): JToken\n"
    ));
    assert!(
        text.contains("extern fun mochi_json_j_object_parse(json: string): JObject"),
        "{}",
        &text[..2000.min(text.len())]
    );
}
