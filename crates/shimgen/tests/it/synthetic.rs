//! The table's subtle rules on hand-written surfaces: the nullable byte walk,
//! type-parameter substitution, naming stability and the monomorphise limits.

use std::collections::BTreeMap;

use ecma335::Surface;
use shimgen::{BindOptions, TypeUniverse, build_plan};

fn surface(types: serde_json::Value) -> Surface {
    let doc = serde_json::json!({
        "assembly": {"name": "Syn", "version": "1.0.0.0"},
        "schema": 1,
        "types": types,
    });
    Surface::from_json(doc.to_string().as_bytes()).expect("valid surface JSON")
}

fn s() -> serde_json::Value {
    serde_json::json!({"primitive": "System.String"})
}
fn i32t() -> serde_json::Value {
    serde_json::json!({"primitive": "System.Int32"})
}
fn generic(name: &str, value_type: bool, args: Vec<serde_json::Value>) -> serde_json::Value {
    let mut named = serde_json::json!({"name": name, "scope": "System.Private.CoreLib"});
    if value_type {
        named["value-type"] = true.into();
    }
    serde_json::json!({"generic": [{"named": named}, args]})
}

fn method(
    name: &str,
    params: Vec<(serde_json::Value, Option<Vec<u8>>)>,
    ret: serde_json::Value,
    ret_nullable: Option<Vec<u8>>,
) -> serde_json::Value {
    let params: Vec<serde_json::Value> = params
        .into_iter()
        .enumerate()
        .map(|(i, (t, n))| {
            let mut p = serde_json::json!({"name": format!("p{i}"), "type": t});
            if let Some(n) = n {
                p["attributes"] = serde_json::json!({"nullable": n});
            }
            p
        })
        .collect();
    let mut r = serde_json::json!({"type": ret});
    if let Some(n) = ret_nullable {
        r["attributes"] = serde_json::json!({"nullable": n});
    }
    serde_json::json!({"name": name, "params": params, "returns": r, "static": true})
}

fn sigs(surface: &Surface, mono: BTreeMap<String, Vec<Vec<String>>>) -> BTreeMap<String, String> {
    let u = TypeUniverse::with_context(surface, []);
    let plan = build_plan(
        surface,
        &u,
        &BindOptions {
            package: "syn".into(),
            package_id: "Syn".into(),
            monomorphise: mono,
            ..Default::default()
        },
    )
    .unwrap();
    plan.items
        .iter()
        .filter(|i| !i.kind.is_conversion())
        .map(|i| {
            let ps: Vec<String> = i
                .mochi_params()
                .into_iter()
                .map(|(n, t)| format!("{n}: {t}"))
                .collect();
            (
                i.alias.clone(),
                format!(
                    "{}({}): {}",
                    i.entry_point.clone().unwrap_or_default(),
                    ps.join(", "),
                    i.returns.mochi_type
                ),
            )
        })
        .collect()
}

#[test]
fn nullable_bytes_follow_the_compiler_walk() {
    // Dictionary<string?, List<int?>?>  → bytes: dict 1, key 2, list 2 (int? takes none);
    // a `K?` key is moot (dictionaries reject null keys).
    let dict = generic(
        "System.Collections.Generic.Dictionary`2",
        false,
        vec![
            s(),
            generic(
                "System.Collections.Generic.List`1",
                false,
                vec![generic("System.Nullable`1", true, vec![i32t()])],
            ),
        ],
    );
    // KeyValuePair`2 is a generic value type: its explicit 0, then string?, string.
    let kv_list = generic(
        "System.Collections.Generic.List`1",
        false,
        vec![generic(
            "System.Collections.Generic.KeyValuePair`2",
            true,
            vec![s(), s()],
        )],
    );
    // string[]? of string?: [2, 2]; a single byte applies everywhere.
    let arr = serde_json::json!({"sz-array": s()});
    let t = surface(serde_json::json!([{
        "kind": "class",
        "name": "Syn.N",
        "namespace": "Syn",
        "attributes": {"nullable-context": 1},
        "methods": [
            method("Dict", vec![(dict, Some(vec![1, 2, 2]))], s(), None),
            method("Kv", vec![(kv_list, Some(vec![1, 0, 2, 1]))], serde_json::json!({"primitive": "System.Void"}), None),
            method("Arr", vec![(arr.clone(), Some(vec![2, 2]))], arr.clone(), Some(vec![2])),
            method("Oblivious", vec![(s(), Some(vec![0]))], s(), None),
        ],
    }]));
    let got = sigs(&t, BTreeMap::new());
    // KeyValuePair`2 is unknown without context: a value type → skipped, not guessed.
    assert_eq!(
        got["N_Dict"],
        "mochi_syn_n_dict(p0: map<string, list<int?>?>): string"
    );
    assert!(!got.contains_key("N_Kv"));
    assert_eq!(
        got["N_Arr"],
        "mochi_syn_n_arr(p0: list<string?>?): list<string?>?"
    );
    assert_eq!(
        got["N_Oblivious"],
        "mochi_syn_n_oblivious(p0: string): string"
    );
}

#[test]
fn substituted_type_parameters_take_the_parameter_flag() {
    let t = surface(serde_json::json!([{
        "kind": "class",
        "name": "Syn.Box`1",
        "namespace": "Syn",
        "generic-params": [{"name": "T"}],
        "methods": [
            {"name": "Get", "returns": {"type": {"var": 0}, "attributes": {"nullable": [2]}}},
            {"name": "All", "returns": {"type": generic("System.Collections.Generic.List`1", false, vec![serde_json::json!({"var": 0})]), "attributes": {"nullable": [1, 2]}}},
        ],
    }]));
    let mut mono = BTreeMap::new();
    mono.insert(
        "Syn.Box`1".to_string(),
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()],
        ],
    );
    let got = sigs(&t, mono);
    assert_eq!(
        got["Box_String_Get"],
        "mochi_syn_box_string_get(self_: Box_String): string?"
    );
    assert_eq!(
        got["Box_String_All"],
        "mochi_syn_box_string_all(self_: Box_String): list<string?>"
    );
    // A value type argument never becomes optional through the flag.
    assert_eq!(
        got["Box_Int32_Get"],
        "mochi_syn_box_int32_get(self_: Box_Int32): int"
    );
}

#[test]
fn overload_suffixes_appear_only_on_collision_and_are_stable() {
    let one = surface(serde_json::json!([{
        "kind": "class", "name": "Syn.O", "namespace": "Syn",
        "methods": [method("Run", vec![(i32t(), None)], i32t(), None)],
    }]));
    assert_eq!(
        sigs(&one, BTreeMap::new())["O_Run"],
        "mochi_syn_o_run(p0: int): int"
    );
    let two = surface(serde_json::json!([{
        "kind": "class", "name": "Syn.O", "namespace": "Syn",
        "methods": [
            method("Run", vec![(i32t(), None)], i32t(), None),
            method("Run", vec![(s(), None)], i32t(), None),
            method("Run", vec![], i32t(), None),
        ],
    }]));
    let got = sigs(&two, BTreeMap::new());
    assert_eq!(got["O_Run_int32"], "mochi_syn_o_run_int32(p0: int): int");
    assert_eq!(
        got["O_Run_string"],
        "mochi_syn_o_run_string(p0: string): int"
    );
    assert_eq!(got["O_Run"], "mochi_syn_o_run(): int");
    // Reordering the surface changes nothing.
    let mut rev = two.clone();
    rev.types[0].methods.reverse();
    assert_eq!(sigs(&rev, BTreeMap::new()), got);
}

#[test]
fn monomorphise_limits() {
    let t = surface(serde_json::json!([{
        "kind": "class", "name": "Syn.Box`1", "namespace": "Syn",
        "generic-params": [{"name": "T"}],
        "methods": [{"name": "Get", "returns": {"type": {"var": 0}}}],
    }]));
    let u = TypeUniverse::with_context(&t, []);
    let insts = |n: usize| {
        (0..n)
            .map(|i| vec![format!("Syn.T{i}")])
            .collect::<Vec<_>>()
    };
    let opts = |m: BTreeMap<String, Vec<Vec<String>>>| BindOptions {
        package_id: "Syn".into(),
        monomorphise: m,
        ..Default::default()
    };
    let plan = build_plan(
        &t,
        &u,
        &opts(BTreeMap::from([("Syn.Box`1".to_string(), insts(11))])),
    )
    .unwrap();
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("11 instantiations")),
        "{:?}",
        plan.warnings
    );
    let plan = build_plan(
        &t,
        &u,
        &opts(BTreeMap::from([("Syn.Box`1".to_string(), insts(10))])),
    )
    .unwrap();
    assert!(plan.warnings.is_empty());
    let err = build_plan(
        &t,
        &u,
        &opts(BTreeMap::from([("Syn.Box`1".to_string(), insts(201))])),
    )
    .unwrap_err();
    assert!(err.to_string().contains("201 instantiations"), "{err}");
    let err = build_plan(
        &t,
        &u,
        &opts(BTreeMap::from([(
            "Syn.Box`1".to_string(),
            vec![vec!["A".into(), "B".into()]],
        )])),
    )
    .unwrap_err();
    assert!(err.to_string().contains("takes 1"), "{err}");
}
