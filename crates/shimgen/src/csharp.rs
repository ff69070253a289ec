//! The C# shim of a binding plan (docs/shims.md): a pure function from the
//! plan to the text of `dotnet_shim/<pkg>/` — `Exports.cs` (one
//! `[UnmanagedCallersOnly]` export per translated item, in the ABI of
//! docs/hosting.md), `ShimAbi.cs` (the fixed helper), the `.csproj` and the
//! runtimeconfig — and its `shim-sha256`.
//!
//! The generated C# compiles with Mono's `mcs` against the .NET 8 assemblies
//! as well as with Roslyn: no string `+`, no call of a method group that has a
//! `Span` overload (such members are called through reflection), no C# past 7.

pub mod abi;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::plan::{BindingPlan, ItemKind, Pass, PlanItem, ReturnFrom};
use crate::skip::SkipReason;
use crate::typemap::{Collection, Marshal, ScalarEncoding};
use abi::{Form, entry_struct, is_reference_like};
use types::{ClrType, cs_ident, pascal};

/// The fixed part of every shim (`Mochi.Interop.ShimAbi`, docs/hosting.md): the
/// one in the `shimabi` crate.
pub use shimabi::SHIM_ABI_CS;

/// Version of the generator's output conventions; part of every shim's text
/// (so of `shim-sha256`): a change here rebuilds every shim.
pub const GENERATOR_VERSION: u32 = 3;

/// What the generator needs besides the plan.
#[derive(Clone, Debug, Default)]
pub struct ShimOptions {
    /// File names of the package assemblies the shim references (copied into
    /// the project's `lib/` folder and next to the built shim), e.g.
    /// `Newtonsoft.Json.dll`. Sorted and deduplicated by the generator.
    pub package_dlls: Vec<String>,
    /// .NET's `rollForward` for the shim's runtimeconfig and project
    /// (`LatestMajor`, …; `[dotnet.runtime] roll-forward` of mochi.toml); none:
    /// .NET's default (`Minor`: a `net8.0` shim needs an 8.x runtime).
    pub roll_forward: Option<String>,
}

/// One generated file, relative to `dotnet_shim/<pkg>/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimFile {
    pub path: String,
    pub text: String,
}

/// The generated project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimProject {
    /// The Mochi package name (`dotnet_shim/<package>/`).
    pub package: String,
    /// `Mochi.Shim.<Package>`: the assembly and the exports' namespace.
    pub assembly_name: String,
    /// `Mochi.Shim.<Package>.Exports`.
    pub exports_type: String,
    /// Files in canonical order (byte order of `path`).
    pub files: Vec<ShimFile>,
    /// Entry points generated.
    pub exported: Vec<String>,
    /// Items with an entry point that the generator could not export, with why.
    pub not_generated: Vec<(String, String)>,
    /// The referenced package DLL file names.
    pub package_dlls: Vec<String>,
    /// `shim-sha256` (see [`shim_sha256`]).
    pub sha256: String,
}

impl ShimProject {
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.text.as_str())
    }
}

/// `shim-sha256`: SHA-256 over the generated files in byte order of their
/// relative paths; each contributes `<path>` NUL `<byte length in decimal>`
/// LF `<bytes>`. Lower-case hex.
pub fn shim_sha256(files: &[ShimFile]) -> String {
    let mut sorted: Vec<&ShimFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut h = Sha256::new();
    for f in sorted {
        h.update(f.path.as_bytes());
        h.update([0u8]);
        h.update(f.text.len().to_string().as_bytes());
        h.update(b"\n");
        h.update(f.text.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The assembly (and namespace) name of a package's shim.
pub fn assembly_name(package: &str) -> String {
    format!("Mochi.Shim.{}", pascal(package))
}

/// Generates the shim project of `plan`.
pub fn generate(plan: &BindingPlan, options: &ShimOptions) -> ShimProject {
    let assembly = assembly_name(&plan.package);
    let mut dlls: Vec<String> = options.package_dlls.clone();
    dlls.sort();
    dlls.dedup();
    let mut g = Gen::new(plan);
    let exports = g.exports_cs(&assembly);
    let mut files = vec![
        ShimFile {
            path: "Exports.cs".into(),
            text: exports,
        },
        ShimFile {
            path: "ShimAbi.cs".into(),
            text: SHIM_ABI_CS.to_string(),
        },
        ShimFile {
            path: format!("{assembly}.csproj"),
            text: csproj(&assembly, &dlls, options.roll_forward.as_deref()),
        },
        ShimFile {
            path: format!("{assembly}.runtimeconfig.json"),
            text: runtimeconfig(options.roll_forward.as_deref()),
        },
    ];
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let sha256 = shim_sha256(&files);
    ShimProject {
        package: plan.package.clone(),
        exports_type: format!("{assembly}.Exports"),
        assembly_name: assembly,
        files,
        exported: g.exported,
        not_generated: g.not_generated,
        package_dlls: dlls,
        sha256,
    }
}

/// The MSBuild property through which `shimbuild::compile` hands `dotnet build`
/// a folder of .NET 8 reference assemblies (docs/shims.md, "Build").
pub const FRAMEWORK_REFERENCES_PROPERTY: &str = "MochiFrameworkReferences";

fn csproj(assembly: &str, dlls: &[String], roll_forward: Option<&str>) -> String {
    let mut s = String::new();
    s.push_str("<!-- Generated by mochi-dotnet: do not edit. -->\n");
    s.push_str("<Project Sdk=\"Microsoft.NET.Sdk\">\n");
    s.push_str("  <PropertyGroup>\n");
    s.push_str("    <TargetFramework>net8.0</TargetFramework>\n");
    let _ = writeln!(s, "    <AssemblyName>{assembly}</AssemblyName>");
    let _ = writeln!(s, "    <RootNamespace>{assembly}</RootNamespace>");
    s.push_str("    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>\n");
    s.push_str("    <Nullable>disable</Nullable>\n");
    s.push_str("    <ImplicitUsings>disable</ImplicitUsings>\n");
    s.push_str("    <LangVersion>latest</LangVersion>\n");
    s.push_str("    <NoWarn>$(NoWarn);CS0612;CS0618;CS8500;SYSLIB0050;SYSLIB0051</NoWarn>\n");
    s.push_str("    <EnableDynamicLoading>true</EnableDynamicLoading>\n");
    s.push_str("    <GenerateDocumentationFile>false</GenerateDocumentationFile>\n");
    s.push_str(
        "    <!-- The same bytes from the same inputs, wherever the project is built. -->\n",
    );
    s.push_str("    <Deterministic>true</Deterministic>\n");
    s.push_str("    <PathMap>$(MSBuildProjectDirectory)=/_/</PathMap>\n");
    s.push_str("    <DebugType>embedded</DebugType>\n");
    if let Some(r) = roll_forward {
        let _ = writeln!(s, "    <RollForward>{r}</RollForward>");
    }
    s.push_str("    <!-- A plain `dotnet build` restores the .NET 8 targeting pack only. -->\n");
    s.push_str("    <DisableTransitiveFrameworkReferenceDownloads>true</DisableTransitiveFrameworkReferenceDownloads>\n");
    s.push_str("  </PropertyGroup>\n");
    let p = FRAMEWORK_REFERENCES_PROPERTY;
    let _ = writeln!(
        s,
        "  <!-- mochi-dotnet builds without restoring, with the property {p} naming a folder of .NET 8 reference\n       \
         assemblies: those replace the implicit framework reference (nothing to restore); mochi-dotnet writes the runtimeconfig. -->"
    );
    let _ = writeln!(s, "  <PropertyGroup Condition=\"'$({p})' != ''\">");
    s.push_str(
        "    <DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences>\n",
    );
    s.push_str("    <SkipResolvePackageAssets>true</SkipResolvePackageAssets>\n");
    s.push_str(
        "    <GenerateRuntimeConfigurationFiles>false</GenerateRuntimeConfigurationFiles>\n",
    );
    s.push_str("    <GenerateDependencyFile>false</GenerateDependencyFile>\n");
    s.push_str("  </PropertyGroup>\n");
    let _ = writeln!(s, "  <ItemGroup Condition=\"'$({p})' != ''\">");
    // A package assembly that replaces the framework's (a newer System.Text.Json):
    // the framework's copy is not referenced (shimgen::platform).
    let overridden: Vec<String> = dlls
        .iter()
        .filter(|d| crate::platform::is_framework_file(d))
        .map(|d| format!("$({p})/{d}"))
        .collect();
    if overridden.is_empty() {
        let _ = writeln!(
            s,
            "    <Reference Include=\"$({p})/*.dll\" Private=\"false\" />"
        );
    } else {
        let _ = writeln!(
            s,
            "    <Reference Include=\"$({p})/*.dll\" Exclude=\"{}\" Private=\"false\" />",
            overridden.join(";")
        );
    }
    s.push_str("  </ItemGroup>\n");
    if !dlls.is_empty() {
        s.push_str("  <ItemGroup>\n");
        for d in dlls {
            let name = d.strip_suffix(".dll").unwrap_or(d);
            let _ = writeln!(s, "    <Reference Include=\"{name}\">");
            let _ = writeln!(s, "      <HintPath>lib/{d}</HintPath>");
            s.push_str("      <Private>true</Private>\n");
            s.push_str("    </Reference>\n");
        }
        s.push_str("  </ItemGroup>\n");
    }
    s.push_str("</Project>\n");
    s
}

fn runtimeconfig(roll_forward: Option<&str>) -> String {
    let mut s = String::from("{\n  \"runtimeOptions\": {\n    \"tfm\": \"net8.0\",\n");
    if let Some(r) = roll_forward {
        let _ = writeln!(s, "    \"rollForward\": \"{r}\",");
    }
    s.push_str(concat!(
        "    \"framework\": {\n",
        "      \"name\": \"Microsoft.NETCore.App\",\n",
        "      \"version\": \"8.0.0\"\n",
        "    },\n",
        "    \"configProperties\": {\n",
        "      \"System.Globalization.Invariant\": true\n",
        "    }\n",
        "  }\n",
        "}\n"
    ));
    s
}

// ---------------------------------------------------------------------------

struct Gen<'p> {
    plan: &'p BindingPlan,
    /// (declaring type, member) groups with a Span overload: called through reflection.
    span_groups: BTreeSet<(String, String)>,
    /// CLR types (listing) that are structs.
    structs: BTreeSet<String>,
    /// Interfaces with static abstract members: not usable as type arguments (CS8920).
    static_abstract: BTreeSet<String>,
    /// Upcast targets by declaring type (the plan's base classes and interfaces).
    bases: BTreeMap<String, Vec<String>>,
    entries: BTreeSet<(Form, Form)>,
    /// Native callback delegate types used: name → declaration.
    callback_types: BTreeMap<String, String>,
    exported: Vec<String>,
    not_generated: Vec<(String, String)>,
    tmp: usize,
    /// Some export looks a method up by reflection (emit `mochi__FindMethod`).
    uses_find: bool,
    /// The result being written was checked non-null (no null branch needed).
    non_null: bool,
}

/// Where an input value comes from.
#[derive(Clone, Debug)]
enum Src {
    One(String),
    PtrLen(String, String),
    Opt(String, Box<Src>),
    /// A callback's `(fn, ctx, release)`.
    Callback(String, String, String),
}

/// Where a result goes (out-parameter pointers).
#[derive(Clone, Debug)]
enum Dst {
    One(String),
    PtrLen(String, String),
    Opt(String, Box<Dst>),
}

const RESULT: &str = "mochi__result";
const ERR: &str = "mochi__err";
const SELF: &str = "mochi__self";
const RECV: &str = "mochi__recv";
const VALUE: &str = "mochi__value";

impl<'p> Gen<'p> {
    fn new(plan: &'p BindingPlan) -> Self {
        let mut span_groups = BTreeSet::new();
        for s in &plan.skipped {
            if s.reason != SkipReason::RefStruct {
                continue;
            }
            if let Some(rest) = s.item.strip_prefix("M ")
                && let Some((decl, tail)) = rest.split_once("::")
            {
                let name: String = tail
                    .chars()
                    .take_while(|c| *c != '(' && *c != '`' && *c != '<')
                    .collect();
                span_groups.insert((decl.to_string(), name));
            }
        }
        let static_abstract = plan
            .skipped
            .iter()
            .filter(|s| s.reason == SkipReason::StaticAbstract)
            .filter_map(|s| {
                let rest = s.item.strip_prefix("M ")?;
                Some(rest.split_once("::")?.0.to_string())
            })
            .collect();
        let structs = plan
            .extern_types
            .iter()
            .filter(|t| t.kind == ecma335::surface::TypeKind::Struct)
            .map(|t| t.clr_type.clone())
            .collect();
        let mut bases: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for i in &plan.items {
            if i.kind == ItemKind::Upcast
                && let Some(b) = i.target.parameter_types.first()
            {
                bases
                    .entry(i.target.declaring_type.clone())
                    .or_default()
                    .push(b.clone());
            }
        }
        Gen {
            plan,
            span_groups,
            structs,
            static_abstract,
            bases,
            entries: BTreeSet::new(),
            callback_types: BTreeMap::new(),
            exported: Vec::new(),
            not_generated: Vec::new(),
            tmp: 0,
            uses_find: false,
            non_null: false,
        }
    }

    /// Whether `member` of `decl` or of one of its bases (as the plan's
    /// upcasts name them) has an overload the plan skipped as `ref-struct`.
    fn span_overloaded(&self, decl: &str, member: &str) -> bool {
        let mut types = vec![decl.to_string()];
        let mut k = 0;
        while k < types.len() && types.len() < 64 {
            let t = types[k].clone();
            let generic_def = t.split('<').next().unwrap_or(&t);
            if self.span_groups.contains(&(t.clone(), member.to_string()))
                || crate::platform::is_span_group(generic_def, member)
            {
                return true;
            }
            for b in self.bases.get(&t).into_iter().flatten() {
                if !types.contains(b) {
                    types.push(b.clone());
                }
            }
            k += 1;
        }
        false
    }

    /// `if (v == null) { (null, -1) } else { body }`, or just the body for a
    /// result already checked non-null.
    fn null_or(&self, v: &str, p: &str, l: &str, body: &[String]) -> String {
        if self.non_null && v == VALUE {
            let ind: Vec<String> = body
                .iter()
                .map(|s| s.replace('\n', "\n                "))
                .collect();
            return ind.join("\n                ");
        }
        null_or(v, p, l, body)
    }

    fn fresh(&mut self, base: &str) -> String {
        self.tmp += 1;
        format!("mochi__{base}{}", self.tmp)
    }

    fn exports_cs(&mut self, assembly: &str) -> String {
        let mut methods = String::new();
        let mut statics = String::new();
        for item in &self.plan.items {
            let Some(ep) = item.entry_point.clone() else {
                continue;
            };
            self.tmp = 0;
            match self.export(item, &ep) {
                Ok((text, st)) => {
                    methods.push_str(&text);
                    statics.push_str(&st);
                    self.exported.push(ep);
                }
                Err(why) => {
                    let _ = writeln!(
                        methods,
                        "        // not generated: {ep}: {}\n",
                        one_line(&why)
                    );
                    self.not_generated.push((ep, why));
                }
            }
        }
        let mut s = String::new();
        s.push_str("// Generated by mochi-dotnet: do not edit.\n");
        let _ = writeln!(
            s,
            "// Shim of .NET package {} {} (assembly {} {}), Mochi package `{}`; generator {}.",
            self.plan.package_id,
            self.plan.version,
            self.plan.assembly,
            self.plan.assembly_version,
            self.plan.package,
            GENERATOR_VERSION
        );
        s.push_str("// ABI: docs/hosting.md (version 2); layout and conventions: docs/shims.md.\n");
        // Obsolete and [Experimental] members are bound on purpose (Roslyn makes an
        // experimental API an error, e.g. NPG9001, unless its diagnostic is disabled).
        s.push_str("#pragma warning disable\n");
        s.push_str("using System;\nusing System.Collections.Generic;\nusing System.Globalization;\nusing System.Reflection;\nusing System.Runtime.InteropServices;\nusing Mochi.Interop;\n\n");
        let _ = writeln!(s, "namespace {assembly}\n{{");
        for (k, v) in &self.entries {
            let (kc, vc) = (k.cs_slot(), v.cs_slot());
            let _ = writeln!(
                s,
                "    [StructLayout(LayoutKind.Sequential)]\n    public struct {}\n    {{\n        public {kc} Key;\n        public {vc} Value;\n    }}\n",
                entry_struct(k, v)
            );
        }
        for decl in self.callback_types.values() {
            s.push_str(decl);
        }
        s.push_str("    public static unsafe class Exports\n    {\n");
        if !statics.is_empty() {
            s.push_str(&statics);
            s.push('\n');
        }
        if self.uses_find {
            s.push_str(FIND_METHOD);
        }
        s.push_str(&methods);
        // Drop the blank line after the last method.
        while s.ends_with("\n\n") {
            s.pop();
        }
        s.push_str("    }\n}\n");
        s
    }

    /// One export: (method text, static fields it needs).
    fn export(&mut self, item: &PlanItem, ep: &str) -> Result<(String, String), String> {
        let mut sig: Vec<String> = Vec::new();
        let mut body: Vec<String> = Vec::new();
        let mut statics = String::new();
        let decl = parse_type(&item.target.declaring_type)?;
        let decl_cs = decl.cs();

        // Receiver.
        let is_struct_recv = self.structs.contains(&item.target.declaring_type);
        if let Some(r) = &item.receiver
            && !matches!(r.marshal, Marshal::Handle(_) | Marshal::Any)
        {
            // A receiver the table maps to a value (`bool`, `DateTime`, an enum):
            // it crosses like a parameter and the member acts on a copy.
            let form = Form::of(&r.marshal).map_err(|e| format!("receiver: {e}"))?;
            let src = self.declare_params(&mut sig, "mochi__receiver", &form);
            let mut pre = Vec::new();
            let expr = self.read(&r.marshal, &src, &decl, &mut pre)?;
            body.extend(pre);
            body.push(format!("{decl_cs} {SELF} = {expr};"));
        } else if let Some(r) = &item.receiver {
            sig.push("IntPtr mochi__receiver".to_string());
            if item.kind == ItemKind::Upcast
                || is_struct_recv
                || self.static_abstract.contains(&item.target.declaring_type)
            {
                body.push(format!(
                    "object {RECV} = ShimAbi.HandleTarget(mochi__receiver);\n                if ({RECV} == null)\n                {{\n                    throw new NullReferenceException(\"null receiver handle for {}\");\n                }}",
                    cs_escape(&r.clr_type)
                ));
                body.push(format!("{decl_cs} {SELF} = ({decl_cs}){RECV};"));
            } else {
                body.push(format!(
                    "{decl_cs} {SELF} = ShimAbi.Receiver<{decl_cs}>(mochi__receiver);"
                ));
            }
        }

        // Parameters: native slots and conversions into typed locals.
        let mut args: Vec<String> = Vec::new();
        let mut out_locals: BTreeMap<usize, String> = BTreeMap::new();
        let mut ptypes: Vec<ClrType> = Vec::new();
        for (i, p) in item.params.iter().enumerate() {
            let clr = parse_type(&p.clr_type)?;
            ptypes.push(clr.clone());
            let local = format!("mochi__a{i}");
            let ty = clr.without_byref();
            if p.pass == Pass::Out {
                body.push(format!("{} {local};", ty.cs()));
                out_locals.insert(i, local.clone());
                args.push(format!("out {local}"));
                continue;
            }
            if p.omitted {
                args.push(format!("default({})", ty.cs()));
                continue;
            }
            let name = cs_ident(p.name.as_deref().unwrap_or(&p.clr_name));
            let form =
                Form::of(&p.marshal).map_err(|e| format!("parameter {}: {e}", p.clr_name))?;
            let src = self.declare_params(&mut sig, &name, &form);
            let mut pre = Vec::new();
            let expr = self.read(&p.marshal, &src, &ty, &mut pre)?;
            body.extend(pre);
            body.push(format!("{} {local} = {expr};", ty.cs()));
            if p.pass == Pass::In {
                // `in T`: mcs reads it as `ref T`; Roslyn (C# 12) accepts `ref` too.
                args.push(format!("ref {local}"));
            } else {
                args.push(local);
            }
        }

        // Result out-parameters.
        let ret_form = if item.returns.marshal == Marshal::Unit {
            None
        } else {
            Some(Form::of(&item.returns.marshal).map_err(|e| format!("result: {e}"))?)
        };
        let dst = ret_form
            .as_ref()
            .map(|f| self.declare_results(&mut sig, RESULT, f));
        sig.push(format!("MochiError* {ERR}"));

        // The call.
        // Members of a struct act on the box (not a copy): through reflection.
        // Members whose method group (in the type or a base) has a Span
        // overload, and operators C# cannot name (`op_CheckedExplicit`,
        // `op_Increment`), too.
        let is_method = matches!(item.kind, ItemKind::Method | ItemKind::StaticMethod);
        let reflect = (is_method || item.kind == ItemKind::Constructor)
            && self.span_overloaded(&item.target.declaring_type, &item.target.member)
            || (is_struct_recv && item.kind == ItemKind::Method)
            || (is_method
                && item.target.member.starts_with("op_")
                && (operator(&item.target.member, &["a".into(), "b".into()]).is_none()
                    // mcs reads an `in` operand as `ref` and rejects a plain value.
                    || item.params.iter().any(|p| p.pass == Pass::In)))
            // mcs cannot match ValueTuple arguments to a tuple parameter (CS1502).
            || ((is_method || item.kind == ItemKind::Constructor)
                && item
                    .params
                    .iter()
                    .any(|p| p.clr_type.contains("System.ValueTuple`")));
        let call = self.call(
            item,
            &decl,
            &decl_cs,
            &args,
            &ptypes,
            reflect,
            ep,
            &mut body,
            &mut statics,
        )?;
        let ret_ty = parse_type(&item.returns.clr_type)?;
        match (&dst, item.returns.from) {
            (None, _) => {
                if let Some(c) = call {
                    let is_call = matches!(
                        item.kind,
                        ItemKind::Method | ItemKind::StaticMethod | ItemKind::Constructor
                    ) || item.is_async;
                    if is_call {
                        body.push(format!("{c};"));
                    } else {
                        // A value nobody reads (a member typed as unit): still evaluated.
                        body.push(format!("GC.KeepAlive({c});"));
                    }
                }
            }
            (Some(d), from) => {
                let value_ty: ClrType;
                match from {
                    ReturnFrom::Value => {
                        let c = call.ok_or("no value to return")?;
                        body.push(format!("var {VALUE} = {c};"));
                        value_ty = if item.is_async {
                            ret_ty.element().unwrap_or(ret_ty.clone())
                        } else {
                            ret_ty.clone()
                        };
                    }
                    ReturnFrom::OutParam(i) => {
                        if let Some(c) = call {
                            body.push(format!("{c};"));
                        }
                        let l = out_locals.get(&i).ok_or("out parameter missing")?;
                        body.push(format!("var {VALUE} = {l};"));
                        value_ty = ptypes[i].without_byref();
                    }
                    ReturnFrom::TryPattern(i) => {
                        let c = call.ok_or("no value to return")?;
                        let l = out_locals.get(&i).ok_or("out parameter missing")?;
                        let inner = ptypes[i].without_byref();
                        let Marshal::Optional(m) = &item.returns.marshal else {
                            return Err("try pattern without an optional result".into());
                        };
                        if matches!(**m, Marshal::Handle(_) | Marshal::Any)
                            || matches!(&**m, Marshal::Optional(x) if matches!(**x, Marshal::Handle(_) | Marshal::Any))
                        {
                            // A struct handle has no null: box it.
                            body.push(format!("object {VALUE} = ({c}) ? (object){l} : null;"));
                            value_ty = inner;
                        } else if is_reference_like(m) {
                            body.push(format!("{} {VALUE} = ({c}) ? {l} : null;", inner.cs()));
                            value_ty = inner;
                        } else {
                            // `out T?` is already a Nullable<T>: not wrapped again.
                            let n = if inner.is_nullable_value() {
                                inner
                            } else {
                                ClrType {
                                    name: "System.Nullable`1".into(),
                                    args: vec![inner],
                                    suffixes: vec![],
                                }
                            };
                            body.push(format!(
                                "{} {VALUE} = ({c}) ? ({}){l} : null;",
                                n.cs(),
                                n.cs()
                            ));
                            value_ty = n;
                        }
                    }
                }
                let m = &item.returns.marshal;
                let checked = needs_null_check(m, &self.structs);
                if checked {
                    body.push(format!(
                        "if ((object){VALUE} == null)\n                {{\n                    throw new InvalidOperationException(\"{} returned null, but its binding says non-null\");\n                }}",
                        cs_escape(&item.source)
                    ));
                }
                let mut w = Vec::new();
                self.non_null = checked;
                self.write(m, VALUE, &value_ty, d, &mut w)?;
                self.non_null = false;
                body.extend(w);
            }
        }

        let mut t = String::new();
        let _ = writeln!(t, "        // {}", one_line(&item.source));
        let _ = writeln!(t, "        [UnmanagedCallersOnly(EntryPoint = \"{ep}\")]");
        let _ = writeln!(t, "        public static int {ep}({})", sig.join(", "));
        t.push_str("        {\n            try\n            {\n");
        for b in &body {
            let _ = writeln!(t, "                {b}");
        }
        t.push_str("                return ShimAbi.StatusOk;\n            }\n");
        let _ = writeln!(
            t,
            "            catch (Exception mochi__e)\n            {{\n                return ShimAbi.Fail(mochi__e, {ERR});\n            }}\n        }}\n"
        );
        Ok((t, statics))
    }

    fn declare_params(&mut self, sig: &mut Vec<String>, name: &str, f: &Form) -> Src {
        match f {
            Form::Int => {
                sig.push(format!("long {name}"));
                Src::One(name.into())
            }
            Form::Double => {
                sig.push(format!("double {name}"));
                Src::One(name.into())
            }
            Form::Bool => {
                sig.push(format!("byte {name}"));
                Src::One(name.into())
            }
            Form::Handle => {
                sig.push(format!("IntPtr {name}"));
                Src::One(name.into())
            }
            Form::Str => {
                sig.push(format!("byte* {name}"));
                sig.push(format!("int {}__len", bare(name)));
                Src::PtrLen(name.into(), format!("{}__len", bare(name)))
            }
            Form::List(e) => {
                sig.push(format!("{}* {name}", e.cs_slot()));
                sig.push(format!("int {}__len", bare(name)));
                Src::PtrLen(name.into(), format!("{}__len", bare(name)))
            }
            Form::Map(k, v) => {
                self.entries.insert(((**k).clone(), (**v).clone()));
                sig.push(format!("{}* {name}", entry_struct(k, v)));
                sig.push(format!("int {}__len", bare(name)));
                Src::PtrLen(name.into(), format!("{}__len", bare(name)))
            }
            Form::Opt(inner) => {
                let has = format!("{}__has", bare(name));
                sig.push(format!("byte {has}"));
                let s = self.declare_params(sig, name, inner);
                Src::Opt(has, Box::new(s))
            }
            Form::Callback => {
                let (ctx, rel) = (
                    format!("{}__ctx", bare(name)),
                    format!("{}__release", bare(name)),
                );
                sig.push(format!("IntPtr {name}"));
                sig.push(format!("IntPtr {ctx}"));
                sig.push(format!("IntPtr {rel}"));
                Src::Callback(name.into(), ctx, rel)
            }
        }
    }

    fn declare_results(&mut self, sig: &mut Vec<String>, name: &str, f: &Form) -> Dst {
        match f {
            Form::Int => {
                sig.push(format!("long* {name}"));
                Dst::One(name.into())
            }
            Form::Double => {
                sig.push(format!("double* {name}"));
                Dst::One(name.into())
            }
            Form::Bool => {
                sig.push(format!("byte* {name}"));
                Dst::One(name.into())
            }
            Form::Handle => {
                sig.push(format!("IntPtr* {name}"));
                Dst::One(name.into())
            }
            Form::Str => {
                sig.push(format!("byte** {name}"));
                sig.push(format!("int* {name}Len"));
                Dst::PtrLen(name.into(), format!("{name}Len"))
            }
            Form::List(e) => {
                sig.push(format!("{}** {name}", e.cs_slot()));
                sig.push(format!("int* {name}Len"));
                Dst::PtrLen(name.into(), format!("{name}Len"))
            }
            Form::Map(k, v) => {
                self.entries.insert(((**k).clone(), (**v).clone()));
                sig.push(format!("{}** {name}", entry_struct(k, v)));
                sig.push(format!("int* {name}Len"));
                Dst::PtrLen(name.into(), format!("{name}Len"))
            }
            Form::Opt(inner) => {
                let has = format!("{name}Has");
                sig.push(format!("byte* {has}"));
                let d = self.declare_results(sig, name, inner);
                Dst::Opt(has, Box::new(d))
            }
            // Not a result form (delegate results are skipped by the plan).
            Form::Callback => {
                sig.push(format!("IntPtr* {name}"));
                Dst::One(name.into())
            }
        }
    }

    /// A C# expression of type `ty` reading `src` marshalled as `m`; loops go to `pre`.
    fn read(
        &mut self,
        m: &Marshal,
        src: &Src,
        ty: &ClrType,
        pre: &mut Vec<String>,
    ) -> Result<String, String> {
        let one = |s: &Src| match s {
            Src::One(x) => Ok(x.clone()),
            _ => Err(format!("internal: expected one slot for {m:?}")),
        };
        let two = |s: &Src| match s {
            Src::PtrLen(p, l) => Ok((p.clone(), l.clone())),
            _ => Err(format!("internal: expected (ptr, len) for {m:?}")),
        };
        Ok(match m {
            Marshal::Unit => return Err("unit parameter".into()),
            Marshal::Callback {
                params, returns, ..
            } => {
                let Src::Callback(f, ctx, rel) = src else {
                    return Err("internal: a callback without its three slots".into());
                };
                return self.callback(params, returns, (f, ctx, rel), ty, pre);
            }
            Marshal::Bool => format!("{} != 0", one(src)?),
            Marshal::I8 => format!("checked((sbyte){})", one(src)?),
            Marshal::U8 => format!("checked((byte){})", one(src)?),
            Marshal::I16 => format!("checked((short){})", one(src)?),
            Marshal::U16 => format!("checked((ushort){})", one(src)?),
            Marshal::I32 => format!("checked((int){})", one(src)?),
            Marshal::U32 => format!("checked((uint){})", one(src)?),
            Marshal::I64 => one(src)?,
            Marshal::U64 => format!("checked((ulong){})", one(src)?),
            Marshal::ISize => format!("new IntPtr({})", one(src)?),
            Marshal::USize => format!("new UIntPtr(checked((ulong){}))", one(src)?),
            Marshal::F32 => format!("(float){}", one(src)?),
            Marshal::F64 => one(src)?,
            Marshal::Char => {
                let (p, l) = two(src)?;
                format!("ShimAbi.ReadChar({p}, {l})")
            }
            Marshal::Utf8String => {
                let (p, l) = two(src)?;
                format!("ShimAbi.ReadString({p}, {l})")
            }
            Marshal::Scalar(enc) => {
                if *enc == ScalarEncoding::TimeSpanTicks {
                    format!("ShimAbi.ReadTimeSpan({})", one(src)?)
                } else {
                    let (p, l) = two(src)?;
                    let f = match enc {
                        ScalarEncoding::GuidD => "ReadGuid",
                        ScalarEncoding::UriString => "ReadUri",
                        ScalarEncoding::DateTimeIso8601 => "ReadDateTime",
                        ScalarEncoding::DateTimeOffsetIso8601 => "ReadDateTimeOffset",
                        ScalarEncoding::DecimalString => "ReadDecimal",
                        ScalarEncoding::TimeSpanTicks => unreachable!(),
                    };
                    format!("ShimAbi.{f}({p}, {l})")
                }
            }
            Marshal::Any => format!("ShimAbi.HandleTarget({})", one(src)?),
            // A null handle for a struct is its default value (`= default` parameters).
            Marshal::Handle(t) if self.structs.contains(t) => {
                let h = one(src)?;
                format!(
                    "({h} == IntPtr.Zero ? default({0}) : ({0})ShimAbi.HandleTarget({h}))",
                    ty.cs()
                )
            }
            Marshal::Handle(_) => format!("({})ShimAbi.HandleTarget({})", ty.cs(), one(src)?),
            Marshal::Enum { underlying, .. } => {
                let u = self.read(underlying, src, ty, pre)?;
                format!("({})({u})", ty.cs())
            }
            Marshal::Optional(inner) if matches!(**inner, Marshal::Optional(_)) => {
                return self.read(inner, src, ty, pre);
            }
            Marshal::Optional(inner) => {
                if is_reference_like(inner) {
                    if let Marshal::Handle(_) = &**inner {
                        return Ok(format!("({})ShimAbi.HandleTarget({})", ty.cs(), one(src)?));
                    }
                    return self.read(inner, src, ty, pre);
                }
                let Src::Opt(has, isrc) = src else {
                    return Err("internal: optional without a presence flag".into());
                };
                let inner_ty = if ty.is_nullable_value() {
                    ty.element().unwrap_or(ty.clone())
                } else {
                    ty.clone()
                };
                let e = self.read(inner, isrc, &inner_ty, pre)?;
                let n = ty.cs();
                format!("({has} != 0 ? ({n})({e}) : ({n})null)")
            }
            Marshal::List { collection, elem } => {
                let (p, l) = two(src)?;
                let ety = ty
                    .element()
                    .ok_or_else(|| format!("no element type in {}", ty.cs()))?;
                let ecs = ety.cs();
                let t = self.fresh("list");
                let i = self.fresh("i");
                let ef = Form::element(elem)?;
                let esrc = slot_src(&ef, &format!("{p}[{i}]"));
                let mut inner_pre = Vec::new();
                let e = self.read(elem, &esrc, &ety, &mut inner_pre)?;
                if !inner_pre.is_empty() {
                    return Err("nested collection".into());
                }
                pre.push(format!("List<{ecs}> {t} = null;"));
                pre.push(format!(
                    "if ({l} >= 0)\n                {{\n                    {t} = new List<{ecs}>({l});\n                    for (int {i} = 0; {i} < {l}; {i}++)\n                    {{\n                        {t}.Add({e});\n                    }}\n                }}"
                ));
                match collection {
                    Collection::Array => format!("{t} == null ? null : {t}.ToArray()"),
                    Collection::HashSet | Collection::ISet | Collection::IReadOnlySet => {
                        format!("{t} == null ? null : new HashSet<{ecs}>({t})")
                    }
                    _ => t,
                }
            }
            Marshal::Map { key, value, .. } => {
                let (p, l) = two(src)?;
                let args = ty.generic_args();
                if args.len() != 2 {
                    return Err(format!("map type {} without two arguments", ty.cs()));
                }
                let (kf, vf) = (Form::element(key)?, Form::element(value)?);
                self.entries.insert((kf.clone(), vf.clone()));
                let t = self.fresh("map");
                let i = self.fresh("i");
                let mut inner_pre = Vec::new();
                let k = self.read(
                    key,
                    &slot_src(&kf, &format!("{p}[{i}].Key")),
                    &args[0],
                    &mut inner_pre,
                )?;
                let v = self.read(
                    value,
                    &slot_src(&vf, &format!("{p}[{i}].Value")),
                    &args[1],
                    &mut inner_pre,
                )?;
                if !inner_pre.is_empty() {
                    return Err("nested collection".into());
                }
                let (kc, vc) = (args[0].cs(), args[1].cs());
                pre.push(format!("Dictionary<{kc}, {vc}> {t} = null;"));
                pre.push(format!(
                    "if ({l} >= 0)\n                {{\n                    {t} = new Dictionary<{kc}, {vc}>({l});\n                    for (int {i} = 0; {i} < {l}; {i}++)\n                    {{\n                        {t}[{k}] = {v};\n                    }}\n                }}"
                ));
                t
            }
        })
    }

    /// A delegate of type `ty` calling the native callback `(fn, ctx, release)`
    /// (docs/hosting.md, "Callbacks"): null when `fn` is 0. Each call converts
    /// its arguments to their native forms (strings and handles live for the
    /// call), calls `fn(ctx, args…, result slots…, err)`, throws the callback's
    /// error as a `MochiCallbackException`, and converts the result.
    fn callback(
        &mut self,
        params: &[crate::typemap::CallbackValue],
        returns: &crate::typemap::CallbackValue,
        (f, ctx, rel): (&String, &String, &String),
        ty: &ClrType,
        pre: &mut Vec<String>,
    ) -> Result<String, String> {
        let dcs = ty.cs();
        let holder = self.fresh("cb");
        let mut lambda_params = Vec::new();
        let mut prep = Vec::new();
        let mut after = Vec::new();
        let mut native_args = vec![format!("{holder}.Context")];
        let mut native_decl = vec!["IntPtr ctx".to_string()];
        let mut code = String::new();
        for (i, p) in params.iter().enumerate() {
            let pty = parse_type(&p.clr_type)?;
            let x = self.fresh(&format!("x{i}_"));
            lambda_params.push(format!("{} {x}", pty.cs()));
            let form = Form::of(&p.marshal)?;
            let m = match &p.marshal {
                Marshal::Optional(inner) if is_reference_like(inner) => &**inner,
                other => other,
            };
            match form {
                Form::Int => {
                    let n = self.fresh("n");
                    let conv = match m {
                        Marshal::U64 => format!("checked((long){x})"),
                        Marshal::USize => format!("checked((long)(ulong){x})"),
                        Marshal::Scalar(ScalarEncoding::TimeSpanTicks) => format!("{x}.Ticks"),
                        Marshal::Enum { underlying, .. } if **underlying == Marshal::U64 => {
                            format!("checked((long)(ulong){x})")
                        }
                        _ => format!("(long){x}"),
                    };
                    prep.push(format!("long {n} = {conv};"));
                    native_args.push(n);
                    native_decl.push(format!("long a{i}"));
                    code.push('I');
                }
                Form::Double => {
                    native_args.push(format!("(double){x}"));
                    native_decl.push(format!("double a{i}"));
                    code.push('D');
                }
                Form::Bool => {
                    native_args.push(format!("({x} ? (byte)1 : (byte)0)"));
                    native_decl.push(format!("byte a{i}"));
                    code.push('B');
                }
                Form::Str => {
                    let st = self.fresh("s");
                    prep.push(format!(
                        "MochiStr {st} = ShimAbi.NewString({});",
                        str_of(m, &x)?
                    ));
                    after.push(format!("ShimAbi.FreeBlock({st}.Ptr);"));
                    native_args.push(format!("{st}.Ptr"));
                    native_args.push(format!("{st}.Len"));
                    native_decl.push(format!("byte* a{i}"));
                    native_decl.push(format!("int a{i}Len"));
                    code.push('S');
                }
                Form::Handle => {
                    let h = self.fresh("h");
                    prep.push(format!("IntPtr {h} = ShimAbi.NewHandle((object){x});"));
                    after.push(format!("ShimAbi.ReleaseHandle({h});"));
                    native_args.push(h);
                    native_decl.push(format!("IntPtr a{i}"));
                    code.push('H');
                }
                other => return Err(format!("callback parameter of form {other:?}")),
            }
        }
        code.push_str("__");
        let rty = parse_type(&returns.clr_type)?;
        let mut result = Vec::new();
        let ret_expr = if returns.marshal == Marshal::Unit {
            code.push('V');
            None
        } else {
            let form = Form::of(&returns.marshal)?;
            let (src, decls): (Src, Vec<(String, String)>) = match form {
                Form::Int => {
                    let r = self.fresh("r");
                    code.push('I');
                    (
                        Src::One(r.clone()),
                        vec![(format!("long {r} = 0;"), format!("&{r}"))],
                    )
                }
                Form::Double => {
                    let r = self.fresh("r");
                    code.push('D');
                    (
                        Src::One(r.clone()),
                        vec![(format!("double {r} = 0;"), format!("&{r}"))],
                    )
                }
                Form::Bool => {
                    let r = self.fresh("r");
                    code.push('B');
                    (
                        Src::One(r.clone()),
                        vec![(format!("byte {r} = 0;"), format!("&{r}"))],
                    )
                }
                Form::Handle => {
                    let r = self.fresh("r");
                    code.push('H');
                    (
                        Src::One(r.clone()),
                        vec![(format!("IntPtr {r} = IntPtr.Zero;"), format!("&{r}"))],
                    )
                }
                Form::Str => {
                    let (rp, rl) = (self.fresh("rp"), self.fresh("rl"));
                    code.push('S');
                    (
                        Src::PtrLen(rp.clone(), rl.clone()),
                        vec![
                            (format!("byte* {rp} = null;"), format!("&{rp}")),
                            (format!("int {rl} = -1;"), format!("&{rl}")),
                        ],
                    )
                }
                other => return Err(format!("callback result of form {other:?}")),
            };
            for (d, a) in &decls {
                prep.push(d.clone());
                native_args.push(a.clone());
            }
            match form {
                Form::Int => native_decl.push("long* r".into()),
                Form::Double => native_decl.push("double* r".into()),
                Form::Bool => native_decl.push("byte* r".into()),
                Form::Handle => native_decl.push("IntPtr* r".into()),
                _ => {
                    native_decl.push("byte** r".into());
                    native_decl.push("int* rLen".into());
                }
            }
            let mut inner_pre = Vec::new();
            let e = self.read(&returns.marshal, &src, &rty, &mut inner_pre)?;
            if !inner_pre.is_empty() {
                return Err("a callback result that needs statements".into());
            }
            let v = self.fresh("v");
            result.push(format!("{} {v} = {e};", rty.cs()));
            if let Src::PtrLen(rp, _) = &src {
                result.push(format!("ShimAbi.FreeBlock({rp});"));
            }
            Some(v)
        };
        let err = self.fresh("e");
        native_args.push(format!("&{err}"));
        native_decl.push("MochiError* err".into());
        let dname = format!("MochiCallback_{code}");
        self.callback_types.entry(dname.clone()).or_insert_with(|| {
            format!(
                "    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]\n    public unsafe delegate int {dname}({});\n\n",
                native_decl.join(", ")
            )
        });
        let fnv = self.fresh("f");
        let st = self.fresh("st");
        let mut body = Vec::new();
        body.push(format!("{dname} {fnv} = {holder}.As<{dname}>();"));
        body.push(format!("MochiError {err} = default(MochiError);"));
        body.extend(prep);
        body.push(format!("int {st};"));
        let call = format!("{st} = {fnv}({});", native_args.join(", "));
        if after.is_empty() {
            body.push(call);
        } else {
            body.push(format!(
                "try\n{{\n    {call}\n}}\nfinally\n{{\n    {}\n}}",
                after.join("\n    ")
            ));
        }
        body.push(format!(
            "if ({st} != ShimAbi.StatusOk)\n{{\n    throw ShimAbi.CallbackFailed(&{err});\n}}"
        ));
        body.extend(result);
        if let Some(v) = ret_expr {
            body.push(format!("return {v};"));
        }
        let ind = "                    ";
        let body_text = body
            .iter()
            .map(|l| format!("{ind}{}", l.replace('\n', &format!("\n{ind}"))))
            .collect::<Vec<_>>()
            .join("\n");
        pre.push(format!(
            "ShimAbi.NativeCallback {holder} = ShimAbi.NativeCallback.Of({f}, {ctx}, {rel});"
        ));
        Ok(format!(
            "{holder} == null ? null : new {dcs}(({}) =>\n                {{\n{body_text}\n                }})",
            lambda_params.join(", ")
        ))
    }

    /// Statements writing `v` (of type `ty`, marshalled as `m`) to `dst`.
    fn write(
        &mut self,
        m: &Marshal,
        v: &str,
        ty: &ClrType,
        dst: &Dst,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        let one = |d: &Dst| match d {
            Dst::One(x) => Ok(x.clone()),
            _ => Err(format!("internal: expected one result slot for {m:?}")),
        };
        let two = |d: &Dst| match d {
            Dst::PtrLen(p, l) => Ok((p.clone(), l.clone())),
            _ => Err(format!("internal: expected (ptr, len) result for {m:?}")),
        };
        match m {
            Marshal::Unit => {}
            Marshal::Callback { .. } => return Err("a delegate is never a result".into()),
            Marshal::Bool => out.push(format!("*{} = {v} ? (byte)1 : (byte)0;", one(dst)?)),
            Marshal::I8
            | Marshal::U8
            | Marshal::I16
            | Marshal::U16
            | Marshal::I32
            | Marshal::U32
            | Marshal::I64 => out.push(format!("*{} = {v};", one(dst)?)),
            Marshal::U64 => out.push(format!("*{} = checked((long){v});", one(dst)?)),
            Marshal::ISize => out.push(format!("*{} = (long){v};", one(dst)?)),
            Marshal::USize => out.push(format!("*{} = checked((long)(ulong){v});", one(dst)?)),
            Marshal::F32 | Marshal::F64 => out.push(format!("*{} = {v};", one(dst)?)),
            Marshal::Char | Marshal::Utf8String | Marshal::Scalar(_)
                if !matches!(m, Marshal::Scalar(ScalarEncoding::TimeSpanTicks)) =>
            {
                let (p, l) = two(dst)?;
                let f = match m {
                    Marshal::Char => "WriteChar",
                    Marshal::Utf8String => "WriteString",
                    Marshal::Scalar(ScalarEncoding::GuidD) => "WriteGuid",
                    Marshal::Scalar(ScalarEncoding::UriString) => "WriteUri",
                    Marshal::Scalar(ScalarEncoding::DateTimeIso8601) => "WriteDateTime",
                    Marshal::Scalar(ScalarEncoding::DateTimeOffsetIso8601) => "WriteDateTimeOffset",
                    _ => "WriteDecimal",
                };
                out.push(format!("ShimAbi.{f}({v}, {p}, {l});"));
            }
            Marshal::Scalar(_) | Marshal::Char | Marshal::Utf8String => {
                out.push(format!("*{} = ({v}).Ticks;", one(dst)?))
            }
            Marshal::Any | Marshal::Handle(_) => {
                out.push(format!("*{} = ShimAbi.NewHandle({v});", one(dst)?))
            }
            Marshal::Enum { underlying, .. } => {
                if **underlying == Marshal::U64 {
                    out.push(format!("*{} = checked((long)(ulong){v});", one(dst)?))
                } else {
                    out.push(format!("*{} = (long){v};", one(dst)?))
                }
            }
            Marshal::Optional(inner) if matches!(**inner, Marshal::Optional(_)) => {
                return self.write(inner, v, ty, dst, out);
            }
            Marshal::Optional(inner) => {
                if is_reference_like(inner) {
                    return self.write(inner, v, ty, dst, out);
                }
                let Dst::Opt(has, idst) = dst else {
                    return Err("internal: optional result without a presence flag".into());
                };
                let inner_ty = if ty.is_nullable_value() {
                    ty.element().unwrap_or(ty.clone())
                } else {
                    ty.clone()
                };
                let t = self.fresh("opt");
                out.push(format!("{} {t} = {v};", ty.cs()));
                let mut w = Vec::new();
                self.write(inner, &format!("{t}.Value"), &inner_ty, idst, &mut w)?;
                let zero = match &**idst {
                    Dst::One(x) => format!("*{x} = 0;"),
                    Dst::PtrLen(p, l) => format!("*{p} = null;\n                    *{l} = -1;"),
                    Dst::Opt(..) => return Err("nested optional".into()),
                };
                out.push(format!(
                    "if ({t}.HasValue)\n                {{\n                    *{has} = 1;\n                    {}\n                }}\n                else\n                {{\n                    *{has} = 0;\n                    {zero}\n                }}",
                    w.join("\n                    ")
                ));
            }
            Marshal::List { elem, .. } => {
                let (p, l) = two(dst)?;
                let ety = ty
                    .element()
                    .ok_or_else(|| format!("no element type in {}", ty.cs()))?;
                let ecs = ety.cs();
                let ef = Form::element(elem)?;
                let slot = ef.cs_slot();
                let items = self.fresh("items");
                let n = self.fresh("n");
                let bytes = self.fresh("bytes");
                let block = self.fresh("block");
                let arr = self.fresh("arr");
                let tail = self.fresh("tail");
                let i = self.fresh("i");
                let mut s = Vec::new();
                s.push(format!("List<{ecs}> {items} = new List<{ecs}>({v});"));
                s.push(format!("int {n} = {items}.Count;"));
                s.push(format!("long {bytes} = 0;"));
                if ef == Form::Str {
                    s.push(format!(
                        "for (int {i} = 0; {i} < {n}; {i}++)\n{{\n    {bytes} += ShimAbi.Utf8Count({});\n}}",
                        str_of(elem, &format!("{items}[{i}]"))?
                    ));
                }
                s.push(format!(
                    "byte* {block} = ShimAbi.Alloc((long){n} * sizeof({slot}) + {bytes});"
                ));
                s.push(format!("{slot}* {arr} = ({slot}*){block};"));
                s.push(format!(
                    "byte* {tail} = {block} + (long){n} * sizeof({slot});"
                ));
                s.push(format!(
                    "for (int {i} = 0; {i} < {n}; {i}++)\n{{\n    {arr}[{i}] = {};\n}}",
                    slot_out(elem, &ef, &format!("{items}[{i}]"), &tail)?
                ));
                s.push(format!("*{p} = {arr};"));
                s.push(format!("*{l} = {n};"));
                out.push(self.null_or(v, &p, &l, &s));
            }
            Marshal::Map { key, value, .. } => {
                let (p, l) = two(dst)?;
                let args = ty.generic_args();
                if args.len() != 2 {
                    return Err(format!("map type {} without two arguments", ty.cs()));
                }
                let (kf, vf) = (Form::element(key)?, Form::element(value)?);
                self.entries.insert((kf.clone(), vf.clone()));
                let es = entry_struct(&kf, &vf);
                let kvp = format!("KeyValuePair<{}, {}>", args[0].cs(), args[1].cs());
                let items = self.fresh("items");
                let n = self.fresh("n");
                let bytes = self.fresh("bytes");
                let block = self.fresh("block");
                let arr = self.fresh("arr");
                let tail = self.fresh("tail");
                let i = self.fresh("i");
                let mut s = Vec::new();
                s.push(format!("List<{kvp}> {items} = new List<{kvp}>({v});"));
                s.push(format!("int {n} = {items}.Count;"));
                s.push(format!("long {bytes} = 0;"));
                let mut count = Vec::new();
                if kf == Form::Str {
                    count.push(format!(
                        "    {bytes} += ShimAbi.Utf8Count({});",
                        str_of(key, &format!("{items}[{i}].Key"))?
                    ));
                }
                if vf == Form::Str {
                    count.push(format!(
                        "    {bytes} += ShimAbi.Utf8Count({});",
                        str_of(value, &format!("{items}[{i}].Value"))?
                    ));
                }
                if !count.is_empty() {
                    s.push(format!(
                        "for (int {i} = 0; {i} < {n}; {i}++)\n{{\n{}\n}}",
                        count.join("\n")
                    ));
                }
                s.push(format!(
                    "byte* {block} = ShimAbi.Alloc((long){n} * sizeof({es}) + {bytes});"
                ));
                s.push(format!("{es}* {arr} = ({es}*){block};"));
                s.push(format!(
                    "byte* {tail} = {block} + (long){n} * sizeof({es});"
                ));
                s.push(format!(
                    "for (int {i} = 0; {i} < {n}; {i}++)\n{{\n    {arr}[{i}].Key = {};\n    {arr}[{i}].Value = {};\n}}",
                    slot_out(key, &kf, &format!("{items}[{i}].Key"), &tail)?,
                    slot_out(value, &vf, &format!("{items}[{i}].Value"), &tail)?
                ));
                s.push(format!("*{p} = {arr};"));
                s.push(format!("*{l} = {n};"));
                out.push(self.null_or(v, &p, &l, &s));
            }
        }
        Ok(())
    }

    /// The call expression (`None` for a statement without a value, e.g. a setter).
    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        item: &PlanItem,
        decl: &ClrType,
        decl_cs: &str,
        args: &[String],
        ptypes: &[ClrType],
        reflect: bool,
        ep: &str,
        body: &mut Vec<String>,
        statics: &mut String,
    ) -> Result<Option<String>, String> {
        let t = &item.target;
        let on = if item.receiver.is_some() {
            SELF.to_string()
        } else {
            decl_cs.to_string()
        };
        let awaited = |c: String| {
            if item.is_async {
                format!("{c}.ConfigureAwait(false).GetAwaiter().GetResult()")
            } else {
                c
            }
        };
        let a = args.join(", ");
        Ok(match item.kind {
            ItemKind::Const => return Err("a constant has no entry point".into()),
            ItemKind::Constructor => {
                if reflect {
                    Some(self.reflect_call(item, decl, ptypes, args, ep, body, statics)?)
                } else {
                    Some(format!("new {decl_cs}({a})"))
                }
            }
            ItemKind::Method | ItemKind::StaticMethod => {
                if reflect {
                    let c = self.reflect_call(item, decl, ptypes, args, ep, body, statics)?;
                    if item.returns.marshal == Marshal::Unit
                        && !item.is_async
                        && item.returns.from == ReturnFrom::Value
                    {
                        body.push(format!("{c};"));
                        return Ok(None);
                    }
                    Some(awaited(c))
                } else if let Some(op) = operator(&t.member, &by_value(args)) {
                    Some(op(&parse_type(&item.returns.clr_type)?.cs()))
                } else {
                    let generic = if t.generic_arguments.is_empty() {
                        String::new()
                    } else {
                        let g: Result<Vec<String>, String> = t
                            .generic_arguments
                            .iter()
                            .map(|x| parse_type(x).map(|c| c.cs()))
                            .collect();
                        format!("<{}>", g?.join(", "))
                    };
                    Some(awaited(format!("{on}.{}{generic}({a})", t.member)))
                }
            }
            ItemKind::Getter | ItemKind::StaticGetter => {
                let prop = t.property.clone().ok_or("accessor without its property")?;
                if args.is_empty() {
                    Some(awaited(format!("{on}.{prop}")))
                } else {
                    Some(awaited(format!("{on}[{a}]")))
                }
            }
            ItemKind::Setter if self.structs.contains(&t.declaring_type) => {
                // SetValue on the box changes the boxed struct in place.
                let prop = t.property.clone().ok_or("accessor without its property")?;
                let (last, idx) = args.split_last().ok_or("setter without a value")?;
                let index = if idx.is_empty() {
                    "null".to_string()
                } else {
                    format!(
                        "new object[] {{ {} }}",
                        idx.iter()
                            .map(|a| format!("(object)({a})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                body.push(format!("typeof({decl_cs}).GetProperty(\"{prop}\").SetValue({RECV}, (object)({last}), {index});"));
                None
            }
            ItemKind::FieldSet if self.structs.contains(&t.declaring_type) => {
                let v = args.first().ok_or("field setter without a value")?;
                body.push(format!(
                    "typeof({decl_cs}).GetField(\"{}\").SetValue({RECV}, (object)({v}));",
                    t.member
                ));
                None
            }
            ItemKind::Setter | ItemKind::StaticSetter => {
                let prop = t.property.clone().ok_or("accessor without its property")?;
                let (last, idx) = args.split_last().ok_or("setter without a value")?;
                if idx.is_empty() {
                    body.push(format!("{on}.{prop} = {last};"));
                } else {
                    body.push(format!("{on}[{}] = {last};", idx.join(", ")));
                }
                None
            }
            ItemKind::FieldGet | ItemKind::StaticFieldGet => {
                Some(awaited(format!("{on}.{}", t.member)))
            }
            ItemKind::FieldSet | ItemKind::StaticFieldSet => {
                let v = args.first().ok_or("field setter without a value")?;
                body.push(format!("{on}.{} = {v};", t.member));
                None
            }
            ItemKind::Upcast => {
                let target =
                    parse_type(t.parameter_types.first().ok_or("upcast without a target")?)?;
                Some(format!("({}){RECV}", target.cs()))
            }
            ItemKind::Downcast => {
                let o = self.fresh("o");
                body.push(format!(
                    "object {o} = {};",
                    args.first().ok_or("downcast without a value")?
                ));
                Some(format!("{o} is {decl_cs} ? {o} : null"))
            }
        })
    }

    /// A call through reflection (for members whose method group has a Span
    /// overload, which crashes mcs): the MethodInfo is looked up once.
    #[allow(clippy::too_many_arguments)]
    fn reflect_call(
        &mut self,
        item: &PlanItem,
        decl: &ClrType,
        ptypes: &[ClrType],
        args: &[String],
        ep: &str,
        body: &mut Vec<String>,
        statics: &mut String,
    ) -> Result<String, String> {
        if !item.target.generic_arguments.is_empty() {
            return Err("generic method in a group with Span overloads".into());
        }
        let is_ctor = item.kind == ItemKind::Constructor;
        let field = format!("mochi__m_{ep}");
        let info = if is_ctor {
            "ConstructorInfo"
        } else {
            "MethodInfo"
        };
        let _ = writeln!(statics, "        static {info} {field};");
        let types: Vec<String> = ptypes.iter().map(ClrType::type_of).collect();
        let types = format!("new Type[] {{ {} }}", types.join(", "));
        let lookup = if is_ctor {
            format!("typeof({}).GetConstructor({types})", decl.cs())
        } else {
            let flags = if item.receiver.is_some() {
                "BindingFlags.Public | BindingFlags.Instance"
            } else {
                "BindingFlags.Public | BindingFlags.Static"
            };
            // By name, parameter types and return type (conversion operators
            // overload on the return type alone).
            self.uses_find = true;
            let ret = parse_type(&item.returns.clr_type)?;
            let ret = if item.returns.from == ReturnFrom::Value {
                ret
            } else {
                ret.without_byref()
            };
            format!(
                "mochi__FindMethod(typeof({}), \"{}\", {flags}, {types}, {})",
                decl.cs(),
                item.target.member,
                ret.type_of()
            )
        };
        let mi = self.fresh("mi");
        body.push(format!(
            "{info} {mi} = {field};\n                if ({mi} == null)\n                {{\n                    {mi} = {lookup};\n                    if ({mi} == null)\n                    {{\n                        throw new MissingMethodException(\"{}\");\n                    }}\n                    {field} = {mi};\n                }}",
            cs_escape(&item.source)
        ));
        let argv = self.fresh("args");
        let plain: Vec<String> = args
            .iter()
            .map(|a| a.strip_prefix("out ").unwrap_or(a).to_string())
            .collect();
        let init: Vec<String> = args
            .iter()
            .zip(ptypes)
            .map(|(a, t)| {
                if a.starts_with("out ") {
                    format!("default({})", t.without_byref().cs())
                } else {
                    // An `in` argument is passed by value to Invoke.
                    a.strip_prefix("ref ").unwrap_or(a).to_string()
                }
            })
            .map(|a| format!("(object)({a})"))
            .collect();
        body.push(format!(
            "object[] {argv} = new object[] {{ {} }};",
            init.join(", ")
        ));
        let invoke = if is_ctor {
            format!("{mi}.Invoke(BindingFlags.DoNotWrapExceptions, null, {argv}, null)")
        } else {
            let target = match &item.receiver {
                Some(_) if self.structs.contains(&item.target.declaring_type) => RECV,
                Some(_) => SELF,
                None => "null",
            };
            format!("{mi}.Invoke({target}, BindingFlags.DoNotWrapExceptions, null, {argv}, null)")
        };
        let r = self.fresh("r");
        body.push(format!("object {r} = {invoke};"));
        for (i, a) in args.iter().enumerate() {
            if a.starts_with("out ") {
                body.push(format!(
                    "{} = ({}){argv}[{i}];",
                    plain[i],
                    ptypes[i].without_byref().cs()
                ));
            }
        }
        let ret = if is_ctor {
            decl.clone()
        } else {
            parse_type(&item.returns.clr_type)?
        };
        if ret.name == "System.Void" && ret.suffixes.is_empty() {
            return Ok(format!("GC.KeepAlive({r})"));
        }
        Ok(format!("(({}){r})", ret.cs()))
    }
}

/// Finds a public method by name, exact parameter types and return type
/// (`Type.GetMethod` cannot tell conversion operators apart).
const FIND_METHOD: &str = r#"        static MethodInfo mochi__FindMethod(Type type, string name, BindingFlags flags, Type[] parameters, Type returns)
        {
            foreach (MethodInfo m in type.GetMethods(flags))
            {
                if (m.Name != name || m.ReturnType != returns)
                {
                    continue;
                }
                ParameterInfo[] ps = m.GetParameters();
                if (ps.Length != parameters.Length)
                {
                    continue;
                }
                bool same = true;
                for (int i = 0; i < ps.Length; i++)
                {
                    if (ps[i].ParameterType != parameters[i])
                    {
                        same = false;
                        break;
                    }
                }
                if (same)
                {
                    return m;
                }
            }
            return null;
        }

"#;

fn parse_type(s: &str) -> Result<ClrType, String> {
    ClrType::parse(s).ok_or_else(|| format!("cannot parse the type name `{s}`"))
}

fn bare(name: &str) -> &str {
    name.strip_prefix('@').unwrap_or(name)
}

fn slot_src(f: &Form, slot: &str) -> Src {
    if *f == Form::Str {
        Src::PtrLen(format!("{slot}.Ptr"), format!("{slot}.Len"))
    } else {
        Src::One(slot.to_string())
    }
}

/// A string expression for a string-form element (for byte counting and PutString).
fn str_of(m: &Marshal, x: &str) -> Result<String, String> {
    Ok(match m {
        Marshal::Utf8String => x.to_string(),
        Marshal::Char => format!("{x}.ToString()"),
        Marshal::Scalar(ScalarEncoding::GuidD) => format!("{x}.ToString(\"D\")"),
        Marshal::Scalar(ScalarEncoding::UriString) => {
            format!("({x} == null ? null : {x}.OriginalString)")
        }
        Marshal::Scalar(ScalarEncoding::DateTimeIso8601)
        | Marshal::Scalar(ScalarEncoding::DateTimeOffsetIso8601) => {
            format!("{x}.ToString(\"O\", CultureInfo.InvariantCulture)")
        }
        Marshal::Scalar(ScalarEncoding::DecimalString) => {
            format!("{x}.ToString(CultureInfo.InvariantCulture)")
        }
        Marshal::Optional(inner) if is_reference_like(inner) => str_of(inner, x)?,
        other => return Err(format!("not a string form: {other:?}")),
    })
}

/// The value of one array slot for element `x`.
fn slot_out(m: &Marshal, f: &Form, x: &str, tail: &str) -> Result<String, String> {
    Ok(match f {
        Form::Str => format!("ShimAbi.PutString({}, ref {tail})", str_of(m, x)?),
        Form::Bool => format!("{x} ? (byte)1 : (byte)0"),
        Form::Double => format!("(double){x}"),
        Form::Handle => format!("ShimAbi.NewHandle({x})"),
        Form::Int => match m {
            Marshal::U64 => format!("checked((long){x})"),
            Marshal::USize => format!("checked((long)(ulong){x})"),
            Marshal::Scalar(ScalarEncoding::TimeSpanTicks) => format!("{x}.Ticks"),
            Marshal::Enum { underlying, .. } if **underlying == Marshal::U64 => {
                format!("checked((long)(ulong){x})")
            }
            _ => format!("(long){x}"),
        },
        _ => return Err(format!("no slot form for {m:?}")),
    })
}

/// `if (v == null) { (null, -1) } else { body }`.
fn null_or(v: &str, p: &str, l: &str, body: &[String]) -> String {
    let ind = |s: &String| s.replace('\n', "\n                    ");
    format!(
        "if ({v} == null)\n                {{\n                    *{p} = null;\n                    *{l} = -1;\n                }}\n                else\n                {{\n                    {}\n                }}",
        body.iter()
            .map(ind)
            .collect::<Vec<_>>()
            .join("\n                    ")
    )
}

/// A null check for a non-optional result whose .NET type can be null.
fn needs_null_check(m: &Marshal, structs: &BTreeSet<String>) -> bool {
    match m {
        Marshal::Utf8String | Marshal::Any | Marshal::List { .. } | Marshal::Map { .. } => true,
        Marshal::Scalar(ScalarEncoding::UriString) => true,
        Marshal::Handle(t) => !structs.contains(t),
        _ => false,
    }
}

type OpFn = Box<dyn Fn(&str) -> String>;

/// Arguments as operator operands: an `in` parameter takes a plain value
/// (`a == b`, not `ref a == ref b`).
fn by_value(args: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| a.strip_prefix("ref ").unwrap_or(a).to_string())
        .collect()
}

/// C# operator syntax for an operator method (calling `op_X` by name is an error in C#).
fn operator(member: &str, args: &[String]) -> Option<OpFn> {
    let bin = |op: &'static str| -> Option<OpFn> {
        let (a, b) = (args.first()?.clone(), args.get(1)?.clone());
        Some(Box::new(move |_| format!("({a} {op} {b})")))
    };
    let un = |op: &'static str| -> Option<OpFn> {
        let a = args.first()?.clone();
        Some(Box::new(move |_| format!("({op}{a})")))
    };
    match member {
        "op_Addition" => bin("+"),
        "op_Subtraction" => bin("-"),
        "op_Multiply" => bin("*"),
        "op_Division" => bin("/"),
        "op_Modulus" => bin("%"),
        "op_BitwiseAnd" => bin("&"),
        "op_BitwiseOr" => bin("|"),
        "op_ExclusiveOr" => bin("^"),
        "op_LeftShift" => bin("<<"),
        "op_RightShift" => bin(">>"),
        "op_Equality" => bin("=="),
        "op_Inequality" => bin("!="),
        "op_LessThan" => bin("<"),
        "op_GreaterThan" => bin(">"),
        "op_LessThanOrEqual" => bin("<="),
        "op_GreaterThanOrEqual" => bin(">="),
        "op_UnaryNegation" => un("-"),
        "op_UnaryPlus" => un("+"),
        "op_LogicalNot" => un("!"),
        "op_OnesComplement" => un("~"),
        "op_Implicit" | "op_Explicit" => {
            let a = args.first()?.clone();
            Some(Box::new(move |ret: &str| format!("(({ret})({a}))")))
        }
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Escapes text for a C# string literal.
fn cs_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}
