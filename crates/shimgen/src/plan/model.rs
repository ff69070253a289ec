//! The binding plan as data: what a plan holds and how it serialises to
//! `plan.json`. The builder (`super::build`) makes it; `csharp` and `mochi`
//! render it.

use std::collections::BTreeMap;

use ecma335::surface::{Constant, TypeKind};
use serde::{Deserialize, Serialize};

use crate::mono::{MonoError, Monomorphise};
use crate::names::snake;
use crate::skip::{SkipReport, SkippedItem};
use crate::typemap::Marshal;

/// Version of the plan JSON below.
pub const PLAN_SCHEMA: u32 = 1;

/// What the caller says about the package being bound.
#[derive(Clone, Debug, Default)]
pub struct BindOptions {
    /// The Mochi package name used in entry points (`mochi_<package>_...`);
    /// lower-snake. Empty: derived from `package_id`.
    pub package: String,
    /// The NuGet package id (or the assembly name when binding a file).
    pub package_id: String,
    pub version: String,
    pub monomorphise: Monomorphise,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Monomorphise(#[from] MonoError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    Method,
    StaticMethod,
    Constructor,
    Getter,
    Setter,
    StaticGetter,
    StaticSetter,
    FieldGet,
    FieldSet,
    StaticFieldGet,
    StaticFieldSet,
    /// A literal field or enum member: a Mochi `let`, no entry point.
    Const,
    /// Receiver converted to a base class or interface (same object).
    Upcast,
    /// `any` tested against the type (`obj as T`), absent when it is not one.
    Downcast,
}

impl ItemKind {
    pub fn is_conversion(self) -> bool {
        matches!(self, ItemKind::Upcast | ItemKind::Downcast)
    }
}

/// The .NET member an entry point calls, precisely enough to pick the overload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DotnetTarget {
    /// Listing form, instantiated for monomorphised generics (`Ns.List`1<System.String>`).
    pub declaring_type: String,
    /// Metadata name: `.ctor`, `get_Item`, `Parse`, a field name; `(upcast)`/`(downcast)`.
    pub member: String,
    /// Every parameter of the .NET member, listing form, type parameters
    /// substituted (`&` marks `in`/`out` parameters).
    pub parameter_types: Vec<String>,
    /// Type arguments of a monomorphised generic method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generic_arguments: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_static: bool,
    /// The property an accessor belongs to (`Item` for an indexer): C#
    /// calls accessors through property syntax, not by their method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ValuePlan {
    pub clr_type: String,
    pub mochi_type: String,
    pub marshal: Marshal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pass {
    Value,
    /// `in T` (by read-only reference): the shim passes a local.
    In,
    /// `out T`: not a Mochi parameter; its value is the result (see [`ReturnFrom`]).
    Out,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ParamPlan {
    /// The Mochi parameter name (absent for an omitted parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub clr_name: String,
    pub clr_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mochi_type: Option<String>,
    pub marshal: Marshal,
    pub pass: Pass,
    /// Not in the Mochi signature: an `out` parameter, or a defaulted
    /// `CancellationToken` (the shim passes `default`, i.e. `None`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omitted: bool,
    /// The .NET default value of an optional parameter (Mochi passes every
    /// parameter; the shim may use this for an omitted one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Constant>,
    /// `params T[]`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub param_array: bool,
}

/// Where the Mochi result comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReturnFrom {
    /// The .NET return value.
    Value,
    /// `void M(..., out T x)`: the out parameter (by index) is the result.
    OutParam(usize),
    /// `bool TryX(..., out T x)`: the out parameter when the call returns
    /// `true`, else absent (`T?`).
    TryPattern(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ReturnPlan {
    /// The .NET member's return type (`System.Boolean`/`System.Void` under
    /// the out rule, whose value type is the out parameter's).
    pub clr_type: String,
    pub mochi_type: String,
    pub marshal: Marshal,
    pub from: ReturnFrom,
}

/// The value of a constant, as written in Mochi.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConstPlan {
    pub constant: Constant,
    pub mochi_literal: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PlanItem {
    /// `<Type>_<Member>` in the alias module.
    pub alias: String,
    /// `mochi_<pkg>_<type>_<member>` (absent for a constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    pub kind: ItemKind,
    pub target: DotnetTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<ValuePlan>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamPlan>,
    pub returns: ReturnPlan,
    /// The .NET member returns a Task/ValueTask the shim awaits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_async: bool,
    /// An extension method (`[Extension]`): its first parameter is the
    /// receiver it extends; the alias module also offers it in receiver style
    /// (`<ReceiverType>_<Member>`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
    /// `[Obsolete]` message (a warning-level obsolete member is still bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obsolete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ConstPlan>,
    /// The surface item, listing form.
    pub source: String,
}

impl PlanItem {
    /// The Mochi parameters in order: the receiver first, then every
    /// parameter that is not omitted.
    pub fn mochi_params(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(r) = &self.receiver {
            v.push((RECEIVER.to_string(), r.mochi_type.clone()));
        }
        for p in &self.params {
            if let (Some(n), Some(t)) = (&p.name, &p.mochi_type) {
                v.push((n.clone(), t.clone()));
            }
        }
        v
    }
}

/// The Mochi name of the receiver parameter.
pub const RECEIVER: &str = "self_";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExternType {
    /// The Mochi type name (`extern type <name>`).
    pub name: String,
    /// The CLR type, listing form.
    pub clr_type: String,
    /// `class`, `interface` or `struct` (a struct handle is a box: the shim
    /// unboxes by reference to call its members); `class` when no surface
    /// defines the type.
    pub kind: TypeKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BindingPlan {
    pub schema: u32,
    /// The Mochi package name.
    pub package: String,
    pub package_id: String,
    pub version: String,
    pub assembly: String,
    pub assembly_version: String,
    pub extern_types: Vec<ExternType>,
    pub items: Vec<PlanItem>,
    pub skipped: Vec<SkippedItem>,
    pub skip_counts: BTreeMap<String, usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl BindingPlan {
    /// `plan.json`: pretty, deterministic, one trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("serialising to memory cannot fail");
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Translated members (constants included, conversions not).
    pub fn translated_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !i.kind.is_conversion())
            .count()
    }

    pub fn conversion_count(&self) -> usize {
        self.items.iter().filter(|i| i.kind.is_conversion()).count()
    }

    pub fn skip_report(&self) -> SkipReport {
        SkipReport::new(
            &self.package_id,
            &self.version,
            self.translated_count(),
            self.skipped.clone(),
        )
    }
}

/// The Mochi package name derived from a package id: `Newtonsoft.Json` →
/// `newtonsoft_json`. A segment ending in one capital after a lower-case
/// letter keeps it (`MediatR` → `mediatr`, not `mediat_r`): a brand, not a word.
pub fn package_name(id: &str) -> String {
    let segments: Vec<String> = id
        .split(['.', '-', '_'])
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let b = seg.as_bytes();
            let n = b.len();
            if n >= 2 && b[n - 1].is_ascii_uppercase() && b[n - 2].is_ascii_lowercase() {
                let mut head = snake(&seg[..n - 1]);
                head.push(b[n - 1].to_ascii_lowercase() as char);
                head
            } else {
                snake(seg)
            }
        })
        .collect();
    if segments.is_empty() {
        return snake(id);
    }
    snake(&segments.join("_"))
}
