//! The binding fixture (fixtures/bindings): every row of the table and every
//! skip reason lands where docs/bindings.md says; generated files are
//! snapshots; golden numbers hold.

use crate::common;
use fixtures::assert_snapshot;

use std::collections::BTreeMap;

use shimgen::{BindOptions, BindingPlan, SkipReason};

fn mono() -> BTreeMap<String, Vec<Vec<String>>> {
    let mut m = BTreeMap::new();
    m.insert(
        "Fixture.Box`1".to_string(),
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()],
        ],
    );
    m.insert(
        "Fixture.Generic::Echo``1".to_string(),
        vec![vec!["Fixture.Circle".to_string()]],
    );
    m
}

/// The extern declaration of the item whose source is `source`.
fn sig(plan: &BindingPlan, source: &str) -> String {
    let items: Vec<_> = plan.items.iter().filter(|i| i.source == source).collect();
    assert_eq!(
        items.len(),
        1,
        "no single translated item `{source}`; skipped: {:?}",
        plan.skipped.iter().find(|s| s.item == source)
    );
    let i = items[0];
    let ps: Vec<String> = i
        .mochi_params()
        .into_iter()
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    format!(
        "{}({}): {}",
        i.entry_point.as_deref().unwrap_or(&i.alias),
        ps.join(", "),
        i.returns.mochi_type
    )
}

fn reason(plan: &BindingPlan, source: &str) -> SkipReason {
    plan.skipped
        .iter()
        .find(|s| s.item == source)
        .unwrap_or_else(|| panic!("`{source}` is not skipped"))
        .reason
}

#[test]
fn fixture_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cs, il)) = common::build_fixtures(dir.path()) else {
        panic!("mcs, ilasm or the .NET 8 framework is missing: run scripts/setup-test-tools.sh");
    };
    let (_, out) = common::bind_file(
        &cs,
        "Fixture.Bindings",
        BindOptions {
            package: "fx".into(),
            version: "1.0.0".into(),
            monomorphise: mono(),
            ..Default::default()
        },
    );
    common::assert_mochi_parses(&out);
    let p = &out.plan;
    let m = |s: &str| format!("M {s}");

    // Primitives and scalars.
    for (src, want) in [
        (
            "Fixture.Scalars::I32(System.Int32) -> System.Int32 static",
            "mochi_fx_scalars_i32(x: int): int",
        ),
        (
            "Fixture.Scalars::I8(System.SByte) -> System.SByte static",
            "mochi_fx_scalars_i8(x: int): int",
        ),
        (
            "Fixture.Scalars::U8(System.Byte) -> System.Byte static",
            "mochi_fx_scalars_u8(x: int): int",
        ),
        (
            "Fixture.Scalars::I16(System.Int16) -> System.Int16 static",
            "mochi_fx_scalars_i16(x: int): int",
        ),
        (
            "Fixture.Scalars::U16(System.UInt16) -> System.UInt16 static",
            "mochi_fx_scalars_u16(x: int): int",
        ),
        (
            "Fixture.Scalars::U32(System.UInt32) -> System.UInt32 static",
            "mochi_fx_scalars_u32(x: int): int",
        ),
        (
            "Fixture.Scalars::I64(System.Int64) -> System.Int64 static",
            "mochi_fx_scalars_i64(x: int64): int64",
        ),
        (
            "Fixture.Scalars::U64(System.UInt64) -> System.UInt64 static",
            "mochi_fx_scalars_u64(x: int64): int64",
        ),
        (
            "Fixture.Scalars::Native(System.IntPtr) -> System.IntPtr static",
            "mochi_fx_scalars_native(x: int64): int64",
        ),
        (
            "Fixture.Scalars::F32(System.Single) -> System.Single static",
            "mochi_fx_scalars_f32(x: float): float",
        ),
        (
            "Fixture.Scalars::F64(System.Double) -> System.Double static",
            "mochi_fx_scalars_f64(x: float): float",
        ),
        (
            "Fixture.Scalars::Not(System.Boolean) -> System.Boolean static",
            "mochi_fx_scalars_not(x: bool): bool",
        ),
        (
            "Fixture.Scalars::Echo(System.String) -> System.String static",
            "mochi_fx_scalars_echo(s: string): string",
        ),
        (
            "Fixture.Scalars::First(System.String) -> System.Char static",
            "mochi_fx_scalars_first(s: string): string",
        ),
        (
            "Fixture.Scalars::Nothing() -> System.Void static",
            "mochi_fx_scalars_nothing(): unit",
        ),
        (
            "Fixture.Scalars::Box(System.Object) -> System.Object static",
            "mochi_fx_scalars_box(o: any): any",
        ),
        (
            "Fixture.Scalars::NewGuid(System.Guid) -> System.Guid static",
            "mochi_fx_scalars_new_guid(g: string): string",
        ),
        (
            "Fixture.Scalars::Resolve(System.Uri) -> System.Uri static",
            "mochi_fx_scalars_resolve(u: string): string",
        ),
        (
            "Fixture.Scalars::Now(System.DateTime) -> System.DateTime static",
            "mochi_fx_scalars_now(d: string): string",
        ),
        (
            "Fixture.Scalars::Stamp(System.DateTimeOffset) -> System.DateTimeOffset static",
            "mochi_fx_scalars_stamp(d: string): string",
        ),
        (
            "Fixture.Scalars::Span(System.TimeSpan) -> System.TimeSpan static",
            "mochi_fx_scalars_span(t: int64): int64",
        ),
        (
            "Fixture.Scalars::Money(System.Decimal) -> System.Decimal static",
            "mochi_fx_scalars_money(m: string): string",
        ),
        (
            "Fixture.Scalars::Paint(Fixture.Color) -> Fixture.Color static",
            "mochi_fx_scalars_paint(c: int): int",
        ),
        (
            "Fixture.Scalars::Grow(Fixture.Big) -> Fixture.Big static",
            "mochi_fx_scalars_grow(b: int64): int64",
        ),
        (
            "Fixture.Scalars::MaybeInt(System.Nullable`1<System.Int32>) -> System.Nullable`1<System.Int32> static",
            "mochi_fx_scalars_maybe_int(x: int?): int?",
        ),
        (
            "Fixture.Scalars::MaybeColor(System.Nullable`1<Fixture.Color>) -> System.Nullable`1<Fixture.Color> static",
            "mochi_fx_scalars_maybe_color(c: int?): int?",
        ),
        (
            "Fixture.Scalars::MaybeString(System.String) -> System.String static",
            "mochi_fx_scalars_maybe_string(s: string?): string?",
        ),
        (
            "Fixture.Scalars::ContextNullable(System.String) -> System.String static",
            "mochi_fx_scalars_context_nullable(s: string?): string?",
        ),
        (
            "Fixture.Scalars::ContextNotNull(System.String) -> System.String static",
            "mochi_fx_scalars_context_not_null(s: string): string",
        ),
    ] {
        assert_eq!(sig(p, &m(src)), want, "{src}");
    }

    // Collections.
    for (src, want) in [
        (
            "Fixture.Collections::Array(System.Int32[]) -> System.Int32[] static",
            "mochi_fx_collections_array(xs: list<int>): list<int>",
        ),
        (
            "Fixture.Collections::List(System.Collections.Generic.List`1<System.String>) -> System.Collections.Generic.List`1<System.String> static",
            "mochi_fx_collections_list(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::IList(System.Collections.Generic.IList`1<System.String>) -> System.Collections.Generic.IList`1<System.String> static",
            "mochi_fx_collections_i_list(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::IReadOnlyList(System.Collections.Generic.IReadOnlyList`1<System.String>) -> System.Collections.Generic.IReadOnlyList`1<System.String> static",
            "mochi_fx_collections_i_read_only_list(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::ICollection(System.Collections.Generic.ICollection`1<System.String>) -> System.Collections.Generic.ICollection`1<System.String> static",
            "mochi_fx_collections_i_collection(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::IReadOnlyCollection(System.Collections.Generic.IReadOnlyCollection`1<System.String>) -> System.Collections.Generic.IReadOnlyCollection`1<System.String> static",
            "mochi_fx_collections_i_read_only_collection(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::IEnumerable(System.Collections.Generic.IEnumerable`1<System.Int64>) -> System.Collections.Generic.IEnumerable`1<System.Int64> static",
            "mochi_fx_collections_i_enumerable(xs: list<int64>): list<int64>",
        ),
        (
            "Fixture.Collections::HashSet(System.Collections.Generic.HashSet`1<System.Int32>) -> System.Collections.Generic.HashSet`1<System.Int32> static",
            "mochi_fx_collections_hash_set(xs: list<int>): list<int>",
        ),
        (
            "Fixture.Collections::ISet(System.Collections.Generic.ISet`1<System.String>) -> System.Collections.Generic.ISet`1<System.String> static",
            "mochi_fx_collections_i_set(xs: list<string>): list<string>",
        ),
        (
            "Fixture.Collections::Dictionary(System.Collections.Generic.Dictionary`2<System.String,System.Int32>) -> System.Collections.Generic.Dictionary`2<System.String,System.Int32> static",
            "mochi_fx_collections_dictionary(m: map<string, int>): map<string, int>",
        ),
        (
            "Fixture.Collections::IDictionary(System.Collections.Generic.IDictionary`2<System.Int32,System.String>) -> System.Collections.Generic.IDictionary`2<System.Int32,System.String> static",
            "mochi_fx_collections_i_dictionary(m: map<int, string>): map<int, string>",
        ),
        (
            "Fixture.Collections::IReadOnlyDictionary(System.Collections.Generic.IReadOnlyDictionary`2<System.Int64,System.Double>) -> System.Collections.Generic.IReadOnlyDictionary`2<System.Int64,System.Double> static",
            "mochi_fx_collections_i_read_only_dictionary(m: map<int64, float>): map<int64, float>",
        ),
        (
            "Fixture.Collections::Jagged(System.Int32[][]) -> System.Int32[][] static",
            "mochi_fx_collections_jagged(xs: list<list<int>>): list<list<int>>",
        ),
        (
            "Fixture.Collections::Widgets(System.Collections.Generic.List`1<Fixture.Widget>) -> System.Collections.Generic.List`1<Fixture.Widget> static",
            "mochi_fx_collections_widgets(ws: list<Widget>): list<Widget>",
        ),
        (
            "Fixture.Collections::Sum(System.Int32[]) -> System.Int32 static",
            "mochi_fx_collections_sum(xs: list<int>): int",
        ),
        (
            "Fixture.Collections::NullableList(System.Collections.Generic.List`1<System.String>) -> System.Collections.Generic.List`1<System.String> static",
            "mochi_fx_collections_nullable_list(xs: list<string?>): list<string?>?",
        ),
        (
            "Fixture.Collections::NullableValues(System.Collections.Generic.Dictionary`2<System.String,System.String>) -> System.Collections.Generic.Dictionary`2<System.String,System.String> static",
            "mochi_fx_collections_nullable_values(m: map<string, string?>): map<string, string>",
        ),
    ] {
        assert_eq!(sig(p, &m(src)), want, "{src}");
    }
    assert!(p.items.iter().any(|i| i.source.starts_with("M Fixture.Collections::Sum(") && i.params[0].param_array));

    // Async, handles, receivers, constructors, properties, fields, constants.
    for (src, want) in [
        (
            "M Fixture.Async::AnswerAsync(System.Int32) -> System.Threading.Tasks.Task`1<System.Int32> static",
            "mochi_fx_async_answer_async(x: int): int",
        ),
        (
            "M Fixture.Async::DelayAsync() -> System.Threading.Tasks.Task static",
            "mochi_fx_async_delay_async(): unit",
        ),
        (
            "M Fixture.Async::NameAsync(System.String) -> System.Threading.Tasks.ValueTask`1<System.String> static",
            "mochi_fx_async_name_async(s: string): string",
        ),
        (
            "M Fixture.Async::DoneAsync() -> System.Threading.Tasks.ValueTask static",
            "mochi_fx_async_done_async(): unit",
        ),
        (
            "M Fixture.Async::WithToken(System.Int32,System.Threading.CancellationToken) -> System.Threading.Tasks.Task`1<System.Int32> static",
            "mochi_fx_async_with_token(x: int): int",
        ),
        (
            "M Fixture.IShape::Area() -> System.Double",
            "mochi_fx_i_shape_area(self_: IShape): float",
        ),
        (
            "P Fixture.IShape::Name() : System.String get",
            "mochi_fx_i_shape_get_name(self_: IShape): string",
        ),
        (
            "M Fixture.Fixture_Circle::.ctor(System.Double) -> System.Void",
            "",
        ),
    ] {
        if want.is_empty() {
            continue;
        }
        assert_eq!(sig(p, src), want, "{src}");
    }
    let circle = |s: &str| sig(p, s);
    assert_eq!(
        circle("M Fixture.Circle::.ctor(System.Double) -> System.Void"),
        "mochi_fx_fixture_circle_new_double(radius: float): Fixture_Circle"
    );
    assert_eq!(
        circle("M Fixture.Circle::.ctor() -> System.Void"),
        "mochi_fx_fixture_circle_new(): Fixture_Circle"
    );
    assert_eq!(
        circle("M Fixture.Circle::Area() -> System.Double"),
        "mochi_fx_fixture_circle_area(self_: Fixture_Circle): float"
    );
    assert_eq!(
        circle("P Fixture.Circle::Diameter() : System.Double get"),
        "mochi_fx_fixture_circle_get_diameter(self_: Fixture_Circle): float"
    );
    assert_eq!(
        circle("P Fixture.Circle::Diameter() : System.Double set"),
        "mochi_fx_fixture_circle_set_diameter(self_: Fixture_Circle, value: float): unit"
    );
    assert_eq!(
        circle("P Fixture.Circle::Count() : System.Int32 get"),
        "mochi_fx_fixture_circle_get_count(): int"
    );
    assert_eq!(
        circle("P Fixture.Circle::Item(System.Int32) : System.Double get"),
        "mochi_fx_fixture_circle_get_item_int32(self_: Fixture_Circle, i: int): float"
    );
    assert_eq!(
        circle("P Fixture.Circle::Item(System.String) : System.Double get"),
        "mochi_fx_fixture_circle_get_item_string(self_: Fixture_Circle, unit_: string): float"
    );
    assert_eq!(
        circle("F Fixture.Circle::Made : System.Int32 static get"),
        "mochi_fx_fixture_circle_get_made(): int"
    );
    assert_eq!(
        circle("F Fixture.Circle::Made : System.Int32 static set"),
        "mochi_fx_fixture_circle_set_made(value: int): unit"
    );
    assert_eq!(
        circle("F Fixture.Circle::Unit1 : Fixture.Circle static get"),
        "mochi_fx_fixture_circle_get_unit1(): Fixture_Circle"
    );
    assert!(
        !p.items
            .iter()
            .any(|i| i.source == "F Fixture.Circle::Unit1 : Fixture.Circle static set"),
        "readonly static fields have no setter"
    );
    assert_eq!(
        circle("F Fixture.Circle::Radius : System.Double get"),
        "mochi_fx_fixture_circle_get_radius(self_: Fixture_Circle): float"
    );
    assert_eq!(
        circle("F Fixture.Circle::Nothing : System.Double static get"),
        "mochi_fx_fixture_circle_get_nothing(): float"
    );
    assert_eq!(
        sig(p, "M Fixture.Widget::Describe() -> System.String"),
        "mochi_fx_widget_describe(self_: Widget): string"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Widget::Rename(System.String) -> System.String"
        ),
        "mochi_fx_widget_rename(self_: Widget, self__0: string): string"
    );
    assert_eq!(
        sig(p, "M Fixture.Outer+Inner::Depth() -> System.Int32"),
        "mochi_fx_outer_inner_depth(self_: Outer_Inner): int"
    );
    assert_eq!(
        sig(p, "M Fixture.Other.Circle::Id() -> System.Int32"),
        "mochi_fx_fixture_other_circle_id(self_: Fixture_Other_Circle): int"
    );
    for (src, want) in [
        (
            "F Fixture.Circle::Pi : System.Double static",
            "let Fixture_Circle_Pi: float = 3.14159",
        ),
        (
            "F Fixture.Circle::Unit : System.String static",
            "let Fixture_Circle_Unit: string = \"cm\"",
        ),
        (
            "F Fixture.Circle::Mark : System.Char static",
            "let Fixture_Circle_Mark: string = \"o\"",
        ),
        (
            "F Fixture.Circle::Round : System.Boolean static",
            "let Fixture_Circle_Round: bool = true",
        ),
        (
            "F Fixture.Color::Green : Fixture.Color static",
            "let Color_Green: int = 5",
        ),
        (
            "F Fixture.Big::Huge : Fixture.Big static",
            "let Big_Huge: int64 = 1099511627776",
        ),
    ] {
        let c = p
            .items
            .iter()
            .find(|i| i.source == src)
            .unwrap_or_else(|| panic!("{src}"));
        let line = format!(
            "let {}: {} = {}",
            c.alias,
            c.returns.mochi_type,
            c.value.as_ref().unwrap().mochi_literal
        );
        assert_eq!(line, want);
        assert!(out.alias_mochi.contains(&format!("{want}\n")), "{want}");
    }

    // A UInt64 constant above INT64_MAX has no Mochi literal: a getter instead.
    assert_eq!(
        sig(p, "F Fixture.Wide::Max : Fixture.Wide static get"),
        "mochi_fx_wide_get_max(): int64"
    );

    // Overloads: suffix only on collision; reserved parameter names renamed.
    assert_eq!(
        sig(
            p,
            "M Fixture.Overloads::Add(System.Int32,System.Int32) -> System.Int32 static"
        ),
        "mochi_fx_overloads_add_int32_int32(a: int, b: int): int"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Overloads::Add(System.Int64,System.Int64) -> System.Int64 static"
        ),
        "mochi_fx_overloads_add_int64_int64(a: int64, b: int64): int64"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Overloads::Single(System.Int32) -> System.Int32 static"
        ),
        "mochi_fx_overloads_single(a: int): int"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Overloads::Keywords(System.Int32,System.Int32,System.String,System.Int32) -> System.Int32 static"
        ),
        "mochi_fx_overloads_keywords(type_: int, fun_: int, let_: string, self_: int): int"
    );

    // The out-parameter rule and `in`.
    assert_eq!(
        sig(
            p,
            "M Fixture.Refs::TryParse(System.String,System.Int32&) -> System.Boolean static"
        ),
        "mochi_fx_refs_try_parse(s: string): int?"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Refs::Split(System.String,System.String&) -> System.Void static"
        ),
        "mochi_fx_refs_split(s: string): string"
    );

    // Generics through monomorphise.
    assert_eq!(
        sig(p, "M Fixture.Box`1<System.String>::Get() -> !0"),
        "mochi_fx_box_string_get(self_: Box_String): string"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Box`1<System.Int32>::Many(System.Int32) -> System.Collections.Generic.List`1<!0>"
        ),
        "mochi_fx_box_int32_many(self_: Box_Int32, n: int): list<int>"
    );
    assert_eq!(
        sig(p, "M Fixture.Box`1<System.Int32>::.ctor(!0) -> System.Void"),
        "mochi_fx_box_int32_new(value: int): Box_Int32"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Generic::Echo``1<Fixture.Circle>(!!0) -> !!0 static"
        ),
        "mochi_fx_generic_echo_circle(x: Fixture_Circle): Fixture_Circle"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Generic::Boxed(System.Int32) -> Fixture.Box`1<System.Int32> static"
        ),
        "mochi_fx_generic_boxed(x: int): Box_Int32"
    );

    // Conversions.
    assert_eq!(
        sig(p, "C Fixture.Circle::(upcast) -> Fixture.Shape"),
        "mochi_fx_fixture_circle_as_shape(self_: Fixture_Circle): Shape"
    );
    assert_eq!(
        sig(p, "C Fixture.Circle::(downcast) <- System.Object"),
        "mochi_fx_fixture_circle_try_from_any(value: any): Fixture_Circle?"
    );

    // Skip reasons.
    for (src, want) in [
        (
            "M Fixture.Collections::Grid(System.Int32[*]) -> System.Int32[*] static",
            SkipReason::UnsupportedType,
        ),
        (
            "M Fixture.Collections::Grid(System.Int32[,]) -> System.Int32[,] static",
            SkipReason::UnsupportedType,
        ),
        (
            "M Fixture.Collections::ByGuid(System.Collections.Generic.Dictionary`2<System.Guid,System.Int32>) -> System.Collections.Generic.Dictionary`2<System.Guid,System.Int32> static",
            SkipReason::UnsupportedType,
        ),
        (
            "M Fixture.Async::NeedsToken(System.Threading.CancellationToken) -> System.Threading.Tasks.Task`1<System.Int32> static",
            SkipReason::CancellationToken,
        ),
        (
            "M Fixture.Async::TakesTask(System.Threading.Tasks.Task) -> System.Void static",
            SkipReason::UnsupportedType,
        ),
        (
            "M Fixture.Shape::.ctor() -> System.Void",
            SkipReason::AbstractClassConstructor,
        ),
        (
            "E Fixture.Circle::Changed : System.EventHandler",
            SkipReason::Event,
        ),
        (
            "M Fixture.Refs::Two(System.Int32&,System.Int32&) -> System.Void static",
            SkipReason::Byref,
        ),
        (
            "M Fixture.Refs::OutWithInt(System.Int32&) -> System.Int32 static",
            SkipReason::Byref,
        ),
        (
            "M Fixture.Refs::Bump(System.Int32&) -> System.Void static",
            SkipReason::Byref,
        ),
        (
            "M Fixture.Unsafe::Deref(System.Int32*) -> System.Int32 static",
            SkipReason::Pointer,
        ),
        (
            "M Fixture.Delegates::Later(System.Func`1<System.Threading.Tasks.Task`1<System.Int32>>) -> System.Int32 static",
            SkipReason::DelegateParameter,
        ),
        (
            "M Fixture.Delegates::Maker() -> System.Func`1<System.Int32> static",
            SkipReason::UnsupportedType,
        ),
        (
            "M Fixture.Transform::Invoke(System.Int32) -> System.Int32",
            SkipReason::DelegateType,
        ),
        (
            "M Fixture.Spans::Length(Fixture.Window) -> System.Int32 static",
            SkipReason::RefStruct,
        ),
        (
            "M Fixture.Spans::Length(System.Memory`1<System.Byte>) -> System.Int32 static",
            SkipReason::RefStruct,
        ),
        (
            "M Fixture.Window::Length() -> System.Int32",
            SkipReason::RefStruct,
        ),
        (
            "M Fixture.Old::Gone() -> System.Int32 static",
            SkipReason::ObsoleteError,
        ),
        (
            "M Fixture.Removed::Any() -> System.Int32 static",
            SkipReason::ObsoleteError,
        ),
        (
            "M Fixture.Generic::Never``1(!!0) -> !!0 static",
            SkipReason::UnconcretisedGeneric,
        ),
        (
            "F Fixture.Pair`2::First : !0",
            SkipReason::UnconcretisedGeneric,
        ),
    ] {
        if src.contains("[*]") {
            continue; // rank-2 arrays list as [,]
        }
        assert_eq!(reason(p, src), want, "{src}");
    }
    // Delegates as callbacks (issue 10): a named delegate and a generic one.
    assert_eq!(
        sig(
            p,
            "M Fixture.Delegates::Apply(Fixture.Transform,System.Int32) -> System.Int32 static"
        ),
        "mochi_fx_delegates_apply(f: fun(int): int, x: int): int"
    );
    assert_eq!(
        sig(
            p,
            "M Fixture.Delegates::Each(System.Action`1<System.Int32>) -> System.Void static"
        ),
        "mochi_fx_delegates_each(f: fun(int): unit): unit"
    );
    assert!(p.skipped.iter().any(|s| s.item.starts_with("M Fixture.Unsafe::Var(") && s.reason == SkipReason::Vararg), "{:#?}", p.skipped.iter().filter(|s| s.item.contains("Var")).collect::<Vec<_>>());
    let deprecated = p
        .items
        .iter()
        .find(|i| i.source == "M Fixture.Old::Deprecated() -> System.Int32 static")
        .unwrap();
    assert_eq!(deprecated.obsolete.as_deref(), Some("prefer New"));

    common::assert_golden("fixture-bindings", p);
    assert_snapshot!("fixture_plan_json", out.plan_json);
    assert_snapshot!("fixture_extern_mochi", out.extern_mochi);
    assert_snapshot!("fixture_alias_mochi", out.alias_mochi);
    assert_snapshot!("fixture_skipped_txt", out.skipped_txt);
    assert_snapshot!("fixture_skipped_json", out.skipped_json);

    // The IL fixture: function pointer, static abstract, init-only setter.
    let (_, out) = common::bind_file(
        &il,
        "Fixture.BindingsIl",
        BindOptions {
            package: "fxil".into(),
            version: "1.0.0".into(),
            ..Default::default()
        },
    );
    common::assert_mochi_parses(&out);
    let p = &out.plan;
    assert_eq!(
        reason(
            p,
            "M FixtureIl.Pointers::Call(fnptr,System.Int32) -> System.Int32 static"
        ),
        SkipReason::FunctionPointer
    );
    assert_eq!(
        reason(p, "M FixtureIl.IFactory::Create() -> System.Int32 static"),
        SkipReason::StaticAbstract
    );
    assert_eq!(
        reason(p, "P FixtureIl.Settings::Level() : System.Int32 set"),
        SkipReason::InitOnlySetter
    );
    // Issue 10: a record's `<Clone>$` was translated, then dropped by the compiler.
    assert_eq!(
        reason(p, "M FixtureIl.Point::<Clone>$() -> FixtureIl.Point"),
        SkipReason::CompilerGenerated
    );
    assert_eq!(
        sig(p, "M FixtureIl.Point::.ctor() -> System.Void"),
        "mochi_fxil_point_new(): Point"
    );
    // Issue 10: a framework type redefined by a package made the shim ambiguous (CS0433).
    assert_eq!(
        reason(
            p,
            "M System.Runtime.CompilerServices.ScopedRefAttribute::.ctor() -> System.Void"
        ),
        SkipReason::DuplicateType
    );
    assert_eq!(
        sig(p, "P FixtureIl.Settings::Level() : System.Int32 get"),
        "mochi_fxil_settings_get_level(self_: Settings): int"
    );
    assert_eq!(
        sig(p, "M FixtureIl.IFactory::Make() -> System.Int32"),
        "mochi_fxil_i_factory_make(self_: IFactory): int"
    );
    assert_eq!(
        sig(
            p,
            "M FixtureIl.Pointers::Read(System.Int32&) -> System.Int32 static"
        ),
        "mochi_fxil_pointers_read(x: int): int"
    );
    let read = p
        .items
        .iter()
        .find(|i| i.source.starts_with("M FixtureIl.Pointers::Read("))
        .unwrap();
    assert_eq!(read.params[0].pass, shimgen::plan::Pass::In);
    common::assert_golden("fixture-bindings-il", p);
    assert_snapshot!("fixture_il_extern_mochi", out.extern_mochi);
    assert_snapshot!("fixture_il_skipped_txt", out.skipped_txt);

    // Every reason code occurs in the two fixtures together.
    let mut seen: std::collections::BTreeSet<SkipReason> =
        out.plan.skipped.iter().map(|s| s.reason).collect();
    let (_, cs_out) = common::bind_file(
        &cs,
        "Fixture.Bindings",
        BindOptions {
            package: "fx".into(),
            version: "1.0.0".into(),
            monomorphise: mono(),
            ..Default::default()
        },
    );
    seen.extend(cs_out.plan.skipped.iter().map(|s| s.reason));
    for r in SkipReason::ALL {
        assert!(seen.contains(&r), "no fixture item is skipped for {r}");
    }
}

#[test]
fn binding_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cs, _)) = common::build_fixtures(dir.path()) else {
        return;
    };
    let a = common::bind_file(
        &cs,
        "Fixture.Bindings",
        BindOptions {
            monomorphise: mono(),
            ..Default::default()
        },
    )
    .1;
    let b = common::bind_file(
        &cs,
        "Fixture.Bindings",
        BindOptions {
            monomorphise: mono(),
            ..Default::default()
        },
    )
    .1;
    assert_eq!(a, b);
    let reparsed = shimgen::BindingPlan::from_json(&a.plan_json).unwrap();
    assert_eq!(reparsed, a.plan);
}
