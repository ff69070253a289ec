//! The C# surface fixture (fixtures/surface/Surface.cs), compiled with `mcs`
//! against the .NET 8 framework: specific facts asserted, the whole JSON and
//! listing snapshotted, and the listing checked against the SRM reference lister.

use fixtures::assert_snapshot;
use std::path::{Path, PathBuf};
use std::process::Command;

use ecma335::surface::{Constant, Surface, TypeDef, TypeKind, TypeSig};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn framework() -> PathBuf {
    fixtures::assemblies::dotnet8_framework_dir()
}

/// Compiles the fixture once per test process.
fn fixture() -> &'static (PathBuf, Surface) {
    static CELL: std::sync::OnceLock<(PathBuf, Surface)> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let fw = framework();
        let dir = tempfile::tempdir().unwrap().keep();
        let out = dir.join("Surface.dll");
        let mut cmd = Command::new("mcs");
        cmd.args([
            "-langversion:experimental",
            "-target:library",
            "-unsafe",
            "-nostdlib",
        ])
        .arg("-nowarn:67,169,414,649")
        .arg("-deterministic")
        .arg(format!("-out:{}", out.display()));
        for lib in [
            "System.Private.CoreLib",
            "System.Runtime",
            "System.Collections",
        ] {
            cmd.arg(format!("-r:{}", fw.join(format!("{lib}.dll")).display()));
        }
        cmd.arg(workspace().join("fixtures/surface/Surface.cs"));
        let status = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run mcs ({e}): run scripts/setup-test-tools.sh"));
        assert!(
            status.status.success(),
            "mcs failed:\n{}{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        );
        let surface = ecma335::read_surface_file(&out).expect("the fixture reads");
        (out, surface)
    })
}

fn ty<'a>(s: &'a Surface, name: &str) -> &'a TypeDef {
    s.types
        .iter()
        .find(|t| &*t.name == name)
        .unwrap_or_else(|| panic!("type {name} is not in the surface"))
}

fn constant(kind: &str, value: Option<&str>) -> Option<Constant> {
    Some(Constant {
        kind: kind.into(),
        value: value.map(Into::into),
    })
}

#[test]
fn assembly_identity_and_attributes() {
    let (_, s) = fixture();
    assert_eq!(s.assembly.name, "Surface");
    assert_eq!(s.assembly.version, "1.2.3.4");
    assert_eq!(
        s.target_framework.as_deref(),
        Some(".NETCoreApp,Version=v8.0")
    );
    assert_eq!(
        s.assembly_metadata,
        vec![("IsAotCompatible".to_string(), Some("True".to_string()))]
    );
    assert!(
        s.references
            .iter()
            .any(|r| r.name == "System.Private.CoreLib"
                && r.public_key_token.as_deref() == Some("7cec85d7bea7798e"))
    );
}

#[test]
fn only_public_types_and_public_nesting_are_listed() {
    let (_, s) = fixture();
    let names: Vec<&str> = s.types.iter().map(|t| &*t.name).collect();
    assert_eq!(
        names,
        [
            "Fixtures.Surface.Access",
            "Fixtures.Surface.Box`1",
            "Fixtures.Surface.Box`1+Inner`1",
            "Fixtures.Surface.Color",
            "Fixtures.Surface.Combiner",
            "Fixtures.Surface.IConsumer`1",
            "Fixtures.Surface.IProducer`1",
            "Fixtures.Surface.Point",
            "Fixtures.Surface.Shape",
            "Fixtures.Surface.Widget",
            "Fixtures.Surface.Widget+Part",
            "Fixtures.Surface.Widget+Part+Leaf",
            "Fixtures.Surface.WidgetExtensions",
            "NoNamespace",
        ]
    );
    let kinds: Vec<TypeKind> = s.types.iter().map(|t| t.kind).collect();
    use TypeKind::*;
    assert_eq!(
        kinds,
        [
            Enum, Class, Class, Enum, Delegate, Interface, Interface, Struct, Class, Class, Class,
            Class, Class, Class
        ]
    );
    assert_eq!(
        ty(s, "Fixtures.Surface.Widget+Part+Leaf").namespace,
        "Fixtures.Surface"
    );
}

#[test]
fn literal_constants_of_every_kind() {
    let (_, s) = fixture();
    let w = ty(s, "Fixtures.Surface.Widget");
    let c = |n: &str| {
        w.fields
            .iter()
            .find(|f| f.name == n)
            .unwrap()
            .constant
            .clone()
    };
    assert_eq!(c("Enabled"), constant("bool", Some("true")));
    assert_eq!(c("Letter"), constant("char", Some("233")));
    assert_eq!(c("SmallNegative"), constant("int8", Some("-7")));
    assert_eq!(c("Byte"), constant("uint8", Some("200")));
    assert_eq!(c("Short"), constant("int16", Some("-300")));
    assert_eq!(c("UShort"), constant("uint16", Some("60000")));
    assert_eq!(c("Answer"), constant("int32", Some("42")));
    assert_eq!(c("Big"), constant("uint32", Some("4000000000")));
    assert_eq!(c("Long"), constant("int64", Some("-9000000000")));
    assert_eq!(c("Huge"), constant("uint64", Some("18000000000000000000")));
    assert_eq!(c("Half"), constant("float32", Some("0.5")));
    assert_eq!(c("NotANumber"), constant("float64", Some("NaN")));
    assert_eq!(c("Infinity"), constant("float64", Some("inf")));
    assert_eq!(c("Greeting"), constant("string", Some("grüße, 世界")));
    assert_eq!(c("Nothing"), constant("null", None));
    assert_eq!(c("Count"), None);
    let default = w.fields.iter().find(|f| f.name == "Default").unwrap();
    assert!(default.r#static && default.init_only && !default.literal);
}

#[test]
fn enums_record_their_underlying_type_and_flags() {
    let (_, s) = fixture();
    let access = ty(s, "Fixtures.Surface.Access");
    assert!(access.attributes.flags);
    assert_eq!(
        access.enum_underlying,
        Some(TypeSig::Primitive("System.Int64".into()))
    );
    let color = ty(s, "Fixtures.Surface.Color");
    assert_eq!(
        color.enum_underlying,
        Some(TypeSig::Primitive("System.Byte".into()))
    );
    let green = color.fields.iter().find(|f| f.name == "Green").unwrap();
    assert_eq!(green.constant, constant("uint8", Some("5")));
}

#[test]
fn parameters_carry_names_defaults_direction_and_attributes() {
    let (_, s) = fixture();
    let w = ty(s, "Fixtures.Surface.Widget");
    let m = |n: &str| w.methods.iter().find(|m| m.name == n).unwrap();
    let join = m("Join");
    let names: Vec<&str> = join.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "separator",
            "parts",
            "start",
            "tail",
            "ratio",
            "flag",
            "boxed"
        ]
    );
    assert_eq!(join.params[0].attributes.nullable, Some(vec![2]));
    assert_eq!(join.params[3].default, constant("string", Some("end")));
    assert_eq!(join.params[4].default, constant("float64", Some("1.5")));
    assert_eq!(join.params[6].default, constant("null", None));
    assert!(join.params[2].optional && !join.params[1].optional);
    let try_get = m("TryGet");
    assert!(try_get.params[1].out);
    assert!(matches!(try_get.params[1].r#type, TypeSig::ByRef(_)));
    assert!(m("Sum").params[0].attributes.param_array);
    assert_eq!(w.attributes.nullable_context, Some(1));
    assert_eq!(m("MaybeString").returns.attributes.nullable, Some(vec![2]));
    assert!(m("ComputeAsync").attributes.async_state_machine);
    let old = m("OldName").attributes.obsolete.clone().unwrap();
    assert_eq!(
        (old.message.as_deref(), old.error),
        (Some("use Describe"), false)
    );
    let gone = m("Removed").attributes.obsolete.clone().unwrap();
    assert_eq!((gone.message.as_deref(), gone.error), (Some("gone"), true));
    let varargs = m("VarArgs");
    assert_eq!(varargs.calling_convention.as_deref(), Some("vararg"));
    assert!(varargs.r#static);
    let ext = ty(s, "Fixtures.Surface.WidgetExtensions");
    assert!(ext.attributes.extension && ext.methods[0].attributes.extension);
}

#[test]
fn generics_constraints_and_variance() {
    let (_, s) = fixture();
    let producer = ty(s, "Fixtures.Surface.IProducer`1");
    assert_eq!(
        producer.generic_params[0].variance.as_deref(),
        Some("covariant")
    );
    let consumer = ty(s, "Fixtures.Surface.IConsumer`1");
    assert_eq!(
        consumer.generic_params[0].variance.as_deref(),
        Some("contravariant")
    );
    let w = ty(s, "Fixtures.Surface.Widget");
    let echo = w.methods.iter().find(|m| m.name == "Echo").unwrap();
    assert_eq!(echo.arity, 1);
    let t = &echo.generic_params[0];
    assert!(t.class_constraint && t.default_constructor_constraint && !t.struct_constraint);
    let convert = w.methods.iter().find(|m| m.name == "Convert").unwrap();
    assert!(convert.generic_params[0].struct_constraint);
    assert_eq!(
        convert.generic_params[1].constraints[0].listing(),
        "System.IComparable`1<!!1>"
    );
    let boxed = ty(s, "Fixtures.Surface.Box`1");
    assert_eq!(
        boxed.interfaces[0].listing(),
        "Fixtures.Surface.IProducer`1<!0>"
    );
}

#[test]
fn properties_and_events_record_their_accessors() {
    let (_, s) = fixture();
    let w = ty(s, "Fixtures.Surface.Widget");
    let p = |n: &str| w.properties.iter().find(|p| p.name == n).unwrap();
    let private_setter = p("PrivateSetter");
    assert!(private_setter.getter.as_ref().unwrap().public);
    assert!(!private_setter.setter.as_ref().unwrap().public);
    assert!(p("ReadOnlySize").setter.is_none());
    assert!(p("Version").getter.as_ref().unwrap().r#static);
    assert_eq!(p("Item").params.len(), 1);
    let renamed = w.events.iter().find(|e| e.name == "Renamed").unwrap();
    assert_eq!(
        renamed.r#type.listing(),
        "System.EventHandler`1<System.String>"
    );
    assert_eq!(renamed.add.method, "add_Renamed");
    assert!(ty(s, "Fixtures.Surface.Point").attributes.is_read_only);
}

#[test]
fn json_is_canonical_and_round_trips() {
    let (path, s) = fixture();
    let json = s.to_canonical_json();
    let again = Surface::from_json(&json).unwrap();
    assert_eq!(again.to_canonical_json(), json);
    let second = ecma335::read_surface_file(path).unwrap();
    assert_eq!(second.to_canonical_json(), json, "two reads differ");
    let bytes = std::fs::read(path).unwrap();
    let md = ecma335::Metadata::parse(&bytes).unwrap();
    let streamed = ecma335::write_canonical_json(&md, Vec::new()).unwrap();
    assert_eq!(streamed, json, "streamed JSON differs from the model's");
    assert_eq!(ecma335::surface_sha256(&bytes).unwrap(), s.sha256_hex());
    assert_eq!(ecma335::listing(&bytes).unwrap(), s.listing());
}

#[test]
fn snapshots() {
    let (_, s) = fixture();
    let value: serde_json::Value = serde_json::from_slice(&s.to_canonical_json()).unwrap();
    assert_snapshot!(
        "surface_json",
        serde_json::to_string_pretty(&value).unwrap()
    );
    assert_snapshot!("surface_listing", s.listing());
}

#[test]
fn listing_matches_the_reference_lister() {
    let (path, s) = fixture();
    let lister = std::env::var_os("MOCHI_REFERENCE_LISTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".tools/reference-lister/lister"));
    assert!(
        lister.exists(),
        "no reference lister at {}: run scripts/setup-test-tools.sh",
        lister.display()
    );
    let out = Command::new(&lister).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), s.listing());
}

#[test]
fn rid_lists_walk_members_and_parameters() {
    use ecma335::tables::{FieldRow, MethodDefRow, ParamRow, TypeDefRow};
    let (path, _) = fixture();
    let bytes = std::fs::read(path).unwrap();
    let md = ecma335::Metadata::parse(&bytes).unwrap();
    let t = &md.tables;
    let widget = (1..=t.len(ecma335::tables::TableId::TypeDef))
        .find(|&rid| {
            let row: TypeDefRow = t.row(rid).unwrap();
            md.strings.get(row.name).unwrap() == "Widget"
        })
        .expect("Widget is a TypeDef");
    let fields: Vec<String> = md
        .type_fields(widget)
        .unwrap()
        .map(|f| {
            let row: FieldRow = t.row(f.unwrap()).unwrap();
            md.strings.get(row.name).unwrap().into_owned()
        })
        .collect();
    assert_eq!(&fields[..3], ["Enabled", "Letter", "SmallNegative"]);
    let join = md
        .type_methods(widget)
        .unwrap()
        .map(Result::unwrap)
        .find(|&m| {
            let row: MethodDefRow = t.row(m).unwrap();
            md.strings.get(row.name).unwrap() == "Join"
        })
        .expect("Widget::Join");
    let params: Vec<(u16, String)> = md
        .method_params(join)
        .unwrap()
        .map(|p| {
            let row: ParamRow = t.row(p.unwrap()).unwrap();
            (row.sequence, md.strings.get(row.name).unwrap().into_owned())
        })
        .collect();
    assert_eq!(params.len(), 7);
    assert_eq!(params[0], (1, "separator".to_string()));
    assert_eq!(params[6], (7, "boxed".to_string()));
}

/// The IL edge-shapes fixture (fixtures/reference-lister/edge-shapes.il):
/// shapes no C# compiler here emits (function pointers, custom modifiers,
/// general arrays, varargs, TypedReference), pinned in the JSON model.
#[test]
fn il_edge_shapes_json_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("EdgeShapes.dll");
    let status = Command::new("ilasm")
        .arg("/dll")
        .arg(format!("/out:{}", out.display()))
        .arg(workspace().join("fixtures/reference-lister/edge-shapes.il"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ilasm ({e}): run scripts/setup-test-tools.sh"));
    assert!(
        status.status.success(),
        "ilasm failed:\n{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let s = ecma335::read_surface_file(&out).unwrap();
    let shapes = ty(&s, "Edge.Shapes");
    let field = |n: &str| &shapes.fields.iter().find(|f| f.name == n).unwrap().r#type;
    assert!(matches!(field("FnPtr"), TypeSig::FnPtr(f) if f.calling_convention == "c"));
    assert!(
        matches!(field("ManagedFnPtr"), TypeSig::FnPtr(f) if f.calling_convention == "default" && f.params.len() == 2)
    );
    assert!(matches!(field("RankTwo"), TypeSig::Array(_, 2)));
    assert!(matches!(field("Modded"), TypeSig::Modified(_, false, _)));
    let varargs = shapes.methods.iter().find(|m| m.name == "VarArgs").unwrap();
    assert_eq!(varargs.calling_convention.as_deref(), Some("vararg"));
    let value: serde_json::Value = serde_json::from_slice(&s.to_canonical_json()).unwrap();
    assert_snapshot!(
        "edge_shapes_json",
        serde_json::to_string_pretty(&value).unwrap()
    );
}
