//! Why a surface item is not bound, and the skip report (SKIPPED.txt and its
//! JSON twin).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One reason code per skipped item. The order here is the order of the
/// groups in SKIPPED.txt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// `[Obsolete(error: true)]` on the member or its type.
    ObsoleteError,
    /// A member of a delegate type (delegates are not bound as types).
    DelegateType,
    /// A parameter (or setter value) of delegate type.
    DelegateParameter,
    /// Span/ReadOnlySpan/Memory/ReadOnlyMemory, TypedReference, or a type
    /// with IsByRefLike, in a signature or as the declaring type.
    RefStruct,
    /// An unmanaged pointer in a signature.
    Pointer,
    /// A function pointer in a signature.
    FunctionPointer,
    /// A `ref` parameter, a `ref` return, or `out` parameters outside the
    /// out-parameter rule.
    Byref,
    /// A generic type or method (or a type parameter in a signature) without a
    /// `[dotnet.monomorphise]` instantiation.
    UnconcretisedGeneric,
    /// A `CancellationToken` parameter without a default value.
    CancellationToken,
    /// A constructor of an abstract class.
    AbstractClassConstructor,
    /// A static abstract/virtual interface member (callable only through a
    /// constrained type parameter).
    StaticAbstract,
    /// An `init`-only setter (callable only in an object initialiser).
    InitOnlySetter,
    /// A vararg (`__arglist`) method.
    Vararg,
    /// An event (no callbacks cross the ABI).
    Event,
    /// A compiler-generated member with a name C# cannot write (a record's
    /// `<Clone>$`): it exists for the compiler, not for callers.
    CompilerGenerated,
    /// A type that another referenced assembly also defines under the same
    /// full name: the .NET 8 framework (a polyfill such as `ScopedRefAttribute`
    /// in a netstandard2.0 build) or a dependency (EF Core's
    /// `MethodInfoExtensions` in both Core and Relational). C# cannot tell the
    /// two apart in the shim.
    DuplicateType,
    /// A type outside the closed table; the detail names it.
    UnsupportedType,
}

impl SkipReason {
    pub const ALL: [SkipReason; 17] = [
        SkipReason::ObsoleteError,
        SkipReason::DelegateType,
        SkipReason::DelegateParameter,
        SkipReason::RefStruct,
        SkipReason::Pointer,
        SkipReason::FunctionPointer,
        SkipReason::Byref,
        SkipReason::UnconcretisedGeneric,
        SkipReason::CancellationToken,
        SkipReason::AbstractClassConstructor,
        SkipReason::StaticAbstract,
        SkipReason::InitOnlySetter,
        SkipReason::Vararg,
        SkipReason::Event,
        SkipReason::CompilerGenerated,
        SkipReason::DuplicateType,
        SkipReason::UnsupportedType,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SkipReason::ObsoleteError => "obsolete-error",
            SkipReason::DelegateType => "delegate-type",
            SkipReason::DelegateParameter => "delegate-parameter",
            SkipReason::RefStruct => "ref-struct",
            SkipReason::Pointer => "pointer",
            SkipReason::FunctionPointer => "function-pointer",
            SkipReason::Byref => "byref",
            SkipReason::UnconcretisedGeneric => "unconcretised-generic",
            SkipReason::CancellationToken => "cancellation-token",
            SkipReason::AbstractClassConstructor => "abstract-class-constructor",
            SkipReason::StaticAbstract => "static-abstract",
            SkipReason::InitOnlySetter => "init-only-setter",
            SkipReason::Vararg => "vararg",
            SkipReason::Event => "event",
            SkipReason::CompilerGenerated => "compiler-generated",
            SkipReason::DuplicateType => "duplicate-type",
            SkipReason::UnsupportedType => "unsupported-type",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A reason with its detail: the value a failed translation produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub reason: SkipReason,
    pub detail: String,
}

impl Skip {
    pub fn new(reason: SkipReason, detail: impl Into<String>) -> Self {
        Skip {
            reason,
            detail: detail.into(),
        }
    }
}

/// One skipped surface item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SkippedItem {
    /// The item in surface-listing form (`M Type::Member(params) -> R`,
    /// `P Type::Name() : T get`, `F ...`, `E ...`), with the instantiated
    /// declaring type for monomorphised generics.
    pub item: String,
    pub reason: SkipReason,
    pub detail: String,
}

/// The skip report: items sorted by reason then item, and counts per reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SkipReport {
    pub package: String,
    pub version: String,
    pub translated: usize,
    pub skipped: usize,
    /// Per reason code, only reasons that occur.
    pub counts: BTreeMap<String, usize>,
    pub items: Vec<SkippedItem>,
}

impl SkipReport {
    pub fn new(
        package: &str,
        version: &str,
        translated: usize,
        mut items: Vec<SkippedItem>,
    ) -> Self {
        items.sort_by(|a, b| (a.reason, &a.item, &a.detail).cmp(&(b.reason, &b.item, &b.detail)));
        items.dedup();
        let mut counts = BTreeMap::new();
        for i in &items {
            *counts.entry(i.reason.code().to_string()).or_insert(0) += 1;
        }
        SkipReport {
            package: package.to_string(),
            version: version.to_string(),
            translated,
            skipped: items.len(),
            counts,
            items,
        }
    }

    /// `skipped.json`: pretty, sorted, one trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("serialising to memory cannot fail");
        s.push('\n');
        s
    }

    /// `SKIPPED.txt`: a header, then one group per reason (in
    /// [`SkipReason::ALL`] order) with its count, one line per item sorted by
    /// item: `<item>  -- <detail>`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "# Skipped items of {} {}: {} skipped, {} translated\n",
            self.package, self.version, self.skipped, self.translated
        ));
        for reason in SkipReason::ALL {
            let group: Vec<&SkippedItem> =
                self.items.iter().filter(|i| i.reason == reason).collect();
            if group.is_empty() {
                continue;
            }
            out.push_str(&format!("\n## {} ({})\n", reason.code(), group.len()));
            for i in group {
                out.push_str(&i.item);
                out.push_str("  -- ");
                out.push_str(&i.detail);
                out.push('\n');
            }
        }
        out
    }
}
