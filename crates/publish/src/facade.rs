//! The C# facade of a Mochi library: a .NET class library whose public API is the
//! declaration file's, each function a `LibraryImport` call into the native library
//! (docs/native-library.md). Pure: manifest + declarations in, project text out.
//!
//! The generated code is AOT- and trim-safe: only blittable types cross
//! (`DisableRuntimeMarshalling`), every conversion is written out, no reflection.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

// C# identifiers are escaped exactly as in the shims: one keyword list (shimgen).
use shimgen::csharp::types::cs_ident;

use crate::config::{Manifest, assembly_version};
use crate::decl::{Api, Function, Ty, camel, pascal, snake};
use crate::error::{PublishError, Result};

/// Bumped whenever the generated text changes shape (part of the facade cache key).
pub const GENERATOR_VERSION: u32 = 1;

/// The native ABI version a facade expects from `mochi_<pkg>_abi_version()`.
pub const NATIVE_ABI_VERSION: i32 = 1;

/// A generated facade project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacadeProject {
    /// Relative path → contents, sorted by path.
    pub files: BTreeMap<String, String>,
    /// `<PackageId>`: the assembly name, also the project file's stem.
    pub assembly_name: String,
    /// C# namespace of the public types.
    pub namespace: String,
    /// The static class holding the functions.
    pub class_name: String,
    /// C symbol prefix: `mochi_<pkg>_`.
    pub symbol_prefix: String,
    /// Every symbol the native library must export.
    pub required_symbols: Vec<String>,
    /// Expected public surface: function → (.NET method name, .NET parameter types in
    /// listing form, .NET return type in listing form).
    pub methods: Vec<ExpectedMethod>,
    /// Full names of the public handle classes.
    pub handle_types: Vec<String>,
}

/// A public static method the facade must have (checked on the compiled assembly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedMethod {
    pub mochi_name: String,
    pub name: String,
    pub params: Vec<String>,
    pub returns: String,
}

/// `Mochi.Mathx` → a C# namespace (each part a valid identifier).
pub fn namespace_of(package_id: &str) -> String {
    package_id
        .split('.')
        .map(|part| {
            let mut s: String = part
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if s.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                s.insert(0, '_');
            }
            cs_ident(&s)
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One doc line as XML doc text: escaped, `` `code` `` → `<c>code</c>`.
fn doc_text(line: &str) -> String {
    let mut out = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<c>{}</c>", xml_escape(part));
        } else {
            out.push_str(&xml_escape(part));
        }
    }
    // An odd number of backticks: the last one was literal.
    if line.matches('`').count() % 2 == 1 {
        return xml_escape(line);
    }
    out
}

fn summary(out: &mut String, indent: &str, doc: &[String], fallback: &str) {
    let _ = writeln!(out, "{indent}/// <summary>");
    if doc.iter().all(|l| l.trim().is_empty()) {
        let _ = writeln!(out, "{indent}/// {}", doc_text(fallback));
    } else {
        for l in doc {
            let _ = writeln!(out, "{indent}/// {}", doc_text(l));
        }
    }
    let _ = writeln!(out, "{indent}/// </summary>");
}

/// The .NET type of a Mochi type in the public API (`param`: parameter position).
fn cs_type(ty: &Ty, param: bool) -> String {
    match ty {
        Ty::Int | Ty::Int64 => "long".into(),
        Ty::Float => "double".into(),
        Ty::Bool => "bool".into(),
        Ty::String => "string".into(),
        Ty::Unit => "void".into(),
        Ty::Handle(n) => n.clone(),
        Ty::Optional(t) => format!("{}?", cs_type(t, param)),
        Ty::List(e) if param => format!("IReadOnlyList<{}>", cs_type(e, param)),
        Ty::List(e) => format!("{}[]", cs_type(e, param)),
        Ty::Map(k, v) if param => format!(
            "IReadOnlyDictionary<{}, {}>",
            cs_type(k, param),
            cs_type(v, param)
        ),
        Ty::Map(k, v) => format!("Dictionary<{}, {}>", cs_type(k, param), cs_type(v, param)),
    }
}

/// The listing form of the same type, as `ecma335` reports it in signatures.
fn listing_type(ty: &Ty, param: bool, ns: &str) -> String {
    match ty {
        Ty::Int | Ty::Int64 => "System.Int64".into(),
        Ty::Float => "System.Double".into(),
        Ty::Bool => "System.Boolean".into(),
        Ty::String => "System.String".into(),
        Ty::Unit => "System.Void".into(),
        Ty::Handle(n) => format!("{ns}.{n}"),
        Ty::Optional(t) => match t.as_ref() {
            Ty::String | Ty::Handle(_) => listing_type(t, param, ns),
            other => format!("System.Nullable`1<{}>", listing_type(other, param, ns)),
        },
        Ty::List(e) if param => format!(
            "System.Collections.Generic.IReadOnlyList`1<{}>",
            listing_type(e, param, ns)
        ),
        Ty::List(e) => format!("{}[]", listing_type(e, param, ns)),
        Ty::Map(k, v) if param => format!(
            "System.Collections.Generic.IReadOnlyDictionary`2<{},{}>",
            listing_type(k, param, ns),
            listing_type(v, param, ns)
        ),
        Ty::Map(k, v) => format!(
            "System.Collections.Generic.Dictionary`2<{},{}>",
            listing_type(k, param, ns),
            listing_type(v, param, ns)
        ),
    }
}

/// The blittable element form of a list element or map key/value.
fn elem_abi(ty: &Ty) -> &'static str {
    match ty {
        Ty::Int | Ty::Int64 => "long",
        Ty::Float => "double",
        Ty::Bool => "byte",
        Ty::String => "MochiStr",
        _ => unreachable!("checked by the declaration parser"),
    }
}

/// [`elem_abi`] as named from outside `MochiNative`.
fn qualified_elem(ty: &Ty) -> String {
    match elem_abi(ty) {
        "MochiStr" => "MochiNative.MochiStr".to_string(),
        other => other.to_string(),
    }
}

fn elem_tag(ty: &Ty) -> &'static str {
    match ty {
        Ty::Int | Ty::Int64 => "I64",
        Ty::Float => "F64",
        Ty::Bool => "Bool",
        Ty::String => "Str",
        _ => unreachable!("checked by the declaration parser"),
    }
}

fn entry_struct(k: &Ty, v: &Ty) -> String {
    format!("Entry{}{}", elem_tag(k), elem_tag(v))
}

/// Generates the facade project of `manifest`'s library.
pub fn generate(manifest: &Manifest, api: &Api) -> Result<FacadeProject> {
    let p = &manifest.publish;
    let ns = namespace_of(&p.package_id);
    let class_name = pascal(&manifest.package.name);
    let prefix = format!("mochi_{}_", snake(&manifest.package.name));
    let decl_err = |line: usize, message: String, hint: &str| PublishError::Declaration {
        file: p.api.clone(),
        line,
        column: 1,
        message,
        hint: hint.to_string(),
    };

    // .NET names must stay distinct after case conversion.
    let mut dotnet_names: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for reserved in ["MochiException", "MochiNative", &class_name] {
        dotnet_names.insert(reserved.to_string(), (0, reserved.to_string()));
    }
    for t in &api.types {
        if let Some((line, other)) = dotnet_names.insert(t.name.clone(), (t.line, t.name.clone())) {
            return Err(decl_err(
                t.line,
                format!(
                    "type `{}` would be the .NET name `{}` of {}",
                    t.name,
                    t.name,
                    if line == 0 {
                        format!("the facade's own `{other}`")
                    } else {
                        format!("`{other}` (line {line})")
                    }
                ),
                "rename the type",
            ));
        }
    }
    let mut method_names: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for f in &api.functions {
        let m = pascal(&f.name);
        if m == class_name {
            return Err(decl_err(
                f.line,
                format!(
                    "function `{}` would be the .NET method `{m}`, the name of the facade class",
                    f.name
                ),
                "rename the function (a C# member cannot have its class's name)",
            ));
        }
        if let Some((line, other)) = method_names.insert(m.clone(), (f.line, f.name.clone())) {
            return Err(decl_err(
                f.line,
                format!(
                    "functions `{other}` (line {line}) and `{}` would both be the .NET method `{m}`",
                    f.name
                ),
                "rename one of them",
            ));
        }
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for prm in &f.params {
            let c = camel(&prm.name);
            if let Some(other) = params.insert(c.clone(), prm.name.clone()) {
                return Err(decl_err(
                    f.line,
                    format!(
                        "parameters `{other}` and `{}` of `{}` would both be the .NET parameter `{c}`",
                        prm.name, f.name
                    ),
                    "rename one of them",
                ));
            }
        }
    }

    let mut entries: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut collect = |ty: &Ty| {
        if let Ty::Map(k, v) = ty {
            entries.insert((
                entry_struct(k, v),
                elem_abi(k).to_string(),
                elem_abi(v).to_string(),
            ));
        }
    };
    for f in &api.functions {
        f.params.iter().for_each(|p| collect(&p.ty));
        collect(&f.returns);
    }

    let mut cs = String::new();
    let _ = writeln!(cs, "// <auto-generated>");
    let _ = writeln!(
        cs,
        "// Generated by mochi-dotnet publish (facade generator {GENERATOR_VERSION}) from the declarations of Mochi package `{}`: do not edit.",
        manifest.package.name
    );
    let _ = writeln!(cs, "// </auto-generated>");
    cs.push_str("#nullable enable\nusing System;\nusing System.Collections.Generic;\nusing System.Diagnostics.CodeAnalysis;\nusing System.IO;\nusing System.Reflection;\nusing System.Runtime.CompilerServices;\nusing System.Runtime.InteropServices;\nusing System.Text;\n\n");
    cs.push_str("[assembly: DisableRuntimeMarshalling]\n");
    if p.aot {
        cs.push_str("[assembly: AssemblyMetadata(\"IsAotCompatible\", \"True\")]\n");
    }
    let _ = writeln!(
        cs,
        "[assembly: AssemblyMetadata(\"MochiPackage\", \"{}\")]",
        xml_escape(&manifest.package.name)
    );
    let _ = writeln!(
        cs,
        "[assembly: AssemblyMetadata(\"MochiNativeAbi\", \"{NATIVE_ABI_VERSION}\")]"
    );
    let _ = writeln!(cs, "\nnamespace {ns}\n{{");

    // The exception type.
    let _ = writeln!(
        cs,
        "    /// <summary>\n    /// An error raised by the native side of <c>{}</c> (a failed Mochi function).\n    /// </summary>",
        xml_escape(&manifest.package.name)
    );
    cs.push_str("    public sealed class MochiException : Exception\n    {\n");
    cs.push_str("        /// <summary>\n        /// Creates an error of type <paramref name=\"errorType\"/>.\n        /// </summary>\n");
    cs.push_str("        public MochiException(string errorType, string message) : base(message)\n        {\n            ErrorType = errorType;\n        }\n\n");
    cs.push_str("        /// <summary>\n        /// The error's type, as the Mochi library names it.\n        /// </summary>\n");
    cs.push_str("        public string ErrorType { get; }\n    }\n\n");

    // Handle classes.
    for t in &api.types {
        summary(
            &mut cs,
            "    ",
            &t.doc,
            &format!("A `{}` of the native library (an opaque handle).", t.name),
        );
        let _ = writeln!(
            cs,
            "    public sealed class {} : IDisposable\n    {{",
            t.name
        );
        cs.push_str("        internal readonly MochiNative.Handle Handle;\n\n");
        let _ = writeln!(
            cs,
            "        internal {}(MochiNative.Handle handle)\n        {{\n            Handle = handle;\n        }}\n",
            t.name
        );
        cs.push_str("        /// <summary>\n        /// Releases the native value now; otherwise the finalizer releases it.\n        /// </summary>\n");
        cs.push_str("        public void Dispose()\n        {\n            Handle.Dispose();\n        }\n    }\n\n");
    }

    // The functions.
    let mut lib_doc = api.doc.clone();
    if lib_doc.is_empty() {
        lib_doc.push(p.description.lines().next().unwrap_or_default().to_string());
    }
    summary(&mut cs, "    ", &lib_doc, "The functions of the library.");
    let _ = writeln!(cs, "    public static unsafe class {class_name}\n    {{");
    let mut methods = Vec::new();
    for (i, f) in api.functions.iter().enumerate() {
        if i > 0 {
            cs.push('\n');
        }
        function(&mut cs, f, &manifest.package.name);
        methods.push(ExpectedMethod {
            mochi_name: f.name.clone(),
            name: pascal(&f.name),
            params: f
                .params
                .iter()
                .map(|p| listing_type(&p.ty, true, &ns))
                .collect(),
            returns: listing_type(&f.returns, false, &ns),
        });
    }
    cs.push_str("    }\n\n");

    native_class(&mut cs, manifest, api, &prefix, &entries);
    cs.push_str("}\n");

    let mut required_symbols: Vec<String> =
        vec![format!("{prefix}abi_version"), format!("{prefix}free")];
    if !api.types.is_empty() {
        required_symbols.push(format!("{prefix}handle_release"));
    }
    required_symbols.extend(api.functions.iter().map(|f| format!("{prefix}{}", f.name)));
    required_symbols.sort();

    let mut files = BTreeMap::new();
    files.insert(format!("{}.csproj", p.package_id), csproj(manifest));
    files.insert("Facade.g.cs".to_string(), cs);
    // Stop MSBuild's upward search: the project's own Directory.*.props must not
    // change the facade (the build runs inside the library's folder tree).
    for f in [
        "Directory.Build.props",
        "Directory.Build.targets",
        "Directory.Packages.props",
    ] {
        files.insert(f.to_string(), "<Project>\n</Project>\n".to_string());
    }
    Ok(FacadeProject {
        files,
        assembly_name: p.package_id.clone(),
        handle_types: api
            .types
            .iter()
            .map(|t| format!("{ns}.{}", t.name))
            .collect(),
        namespace: ns,
        class_name,
        symbol_prefix: prefix,
        required_symbols,
        methods,
    })
}

fn csproj(manifest: &Manifest) -> String {
    let p = &manifest.publish;
    let mut s = String::new();
    s.push_str("<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n");
    let prop = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "    <{k}>{}</{k}>", xml_escape(v));
    };
    prop(&mut s, "TargetFramework", &p.target_framework.short());
    prop(&mut s, "AssemblyName", &p.package_id);
    prop(&mut s, "RootNamespace", &namespace_of(&p.package_id));
    prop(&mut s, "Version", &p.version);
    prop(&mut s, "AssemblyVersion", &assembly_version(&p.version));
    prop(&mut s, "FileVersion", &assembly_version(&p.version));
    prop(&mut s, "InformationalVersion", &p.version);
    prop(&mut s, "Authors", &p.authors.join(", "));
    prop(&mut s, "Company", &p.authors.join(", "));
    prop(&mut s, "Product", &p.package_id);
    prop(
        &mut s,
        "Description",
        p.description.lines().next().unwrap_or_default(),
    );
    if let Some(c) = &p.copyright {
        prop(&mut s, "Copyright", c);
    }
    for (k, v) in [
        ("IncludeSourceRevisionInInformationalVersion", "false"),
        ("Nullable", "enable"),
        ("ImplicitUsings", "disable"),
        ("AllowUnsafeBlocks", "true"),
        ("GenerateDocumentationFile", "true"),
        ("TreatWarningsAsErrors", "true"),
        ("Deterministic", "true"),
        ("ContinuousIntegrationBuild", "true"),
        ("DebugType", "none"),
        ("DebugSymbols", "false"),
        ("GenerateDependencyFile", "false"),
        ("ProduceReferenceAssembly", "false"),
        ("IsPackable", "false"),
        ("SatelliteResourceLanguages", "en"),
        ("EnableDefaultCompileItems", "false"),
    ] {
        prop(&mut s, k, v);
    }
    if p.aot {
        // Trim and AOT analyzers on, their warnings errors: an unsafe facade fails to build.
        prop(&mut s, "IsAotCompatible", "true");
        prop(&mut s, "IsTrimmable", "true");
    }
    s.push_str("  </PropertyGroup>\n  <ItemGroup>\n    <Compile Include=\"Facade.g.cs\" />\n  </ItemGroup>\n</Project>\n");
    s
}

/// One public function: marshal in, call, check the status, marshal out.
fn function(cs: &mut String, f: &Function, lib: &str) {
    let ind = "        ";
    summary(
        cs,
        ind,
        &f.doc,
        &format!("Calls `{}` of the native library.", f.name),
    );
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| format!("{} {}", cs_type(&p.ty, true), cs_ident(&camel(&p.name))))
        .collect();
    let _ = writeln!(
        cs,
        "{ind}public static {} {}({})\n{ind}{{",
        cs_type(&f.returns, false),
        pascal(&f.name),
        params.join(", ")
    );
    let b = format!("{ind}    ");
    let mut decls = Vec::new();
    let mut pre = Vec::new();
    let mut args = Vec::new();
    let mut post = Vec::new();
    for prm in &f.params {
        let n = cs_ident(&camel(&prm.name));
        let t = camel(&prm.name);
        let (optional, base) = match &prm.ty {
            Ty::Optional(inner) => (true, inner.as_ref()),
            other => (false, other),
        };
        match (optional, base) {
            (false, Ty::Int | Ty::Int64 | Ty::Float) => args.push(n.clone()),
            (false, Ty::Bool) => args.push(format!("(byte)({n} ? 1 : 0)")),
            (_, Ty::String) => {
                if !optional {
                    pre.push(format!("ArgumentNullException.ThrowIfNull({n});"));
                }
                decls.push(format!("byte* {t}__p = null;"));
                decls.push(format!("int {t}__n = -1;"));
                pre.push(format!(
                    "if ({n} != null) {t}__p = MochiNative.InUtf8({n}, out {t}__n);"
                ));
                args.push(format!("{t}__p"));
                args.push(format!("{t}__n"));
                post.push(format!("NativeMemory.Free({t}__p);"));
            }
            (_, Ty::Handle(_)) => {
                if !optional {
                    pre.push(format!("ArgumentNullException.ThrowIfNull({n});"));
                }
                decls.push(format!("bool {t}__ref = false;"));
                decls.push(format!("nint {t}__h = 0;"));
                pre.push(format!("if ({n} != null) {{ {n}.Handle.DangerousAddRef(ref {t}__ref); {t}__h = {n}.Handle.DangerousGetHandle(); }}"));
                args.push(format!("{t}__h"));
                post.push(format!("if ({t}__ref) {n}!.Handle.DangerousRelease();"));
            }
            (true, scalar @ (Ty::Int | Ty::Int64 | Ty::Float | Ty::Bool)) => {
                args.push(format!("(byte)({n}.HasValue ? 1 : 0)"));
                match scalar {
                    Ty::Bool => args.push(format!("(byte)({n}.GetValueOrDefault() ? 1 : 0)")),
                    _ => args.push(format!("{n}.GetValueOrDefault()")),
                }
            }
            (false, Ty::List(e)) => {
                pre.push(format!("ArgumentNullException.ThrowIfNull({n});"));
                decls.push(format!("{}* {t}__p = null;", qualified_elem(e)));
                decls.push(format!("int {t}__n = 0;"));
                pre.push(format!(
                    "{t}__p = MochiNative.InList{}({n}, out {t}__n);",
                    elem_tag(e)
                ));
                args.push(format!("{t}__p"));
                args.push(format!("{t}__n"));
                post.push(format!("NativeMemory.Free({t}__p);"));
            }
            (false, Ty::Map(k, v)) => {
                let es = entry_struct(k, v);
                pre.push(format!("ArgumentNullException.ThrowIfNull({n});"));
                decls.push(format!("MochiNative.{es}* {t}__p = null;"));
                decls.push(format!("int {t}__n = 0;"));
                pre.push(format!("{t}__p = MochiNative.In{es}({n}, out {t}__n);"));
                args.push(format!("{t}__p"));
                args.push(format!("{t}__n"));
                post.push(format!("NativeMemory.Free({t}__p);"));
            }
            _ => unreachable!("rejected by the declaration parser"),
        }
    }
    // Result out-parameters.
    let mut result_conv = String::new();
    let what = format!("{lib}.{}", f.name);
    match &f.returns {
        Ty::Unit => {}
        Ty::Int | Ty::Int64 => {
            decls.push("long mochi__r = 0;".into());
            args.push("&mochi__r".into());
            result_conv = "return mochi__r;".into();
        }
        Ty::Float => {
            decls.push("double mochi__r = 0;".into());
            args.push("&mochi__r".into());
            result_conv = "return mochi__r;".into();
        }
        Ty::Bool => {
            decls.push("byte mochi__r = 0;".into());
            args.push("&mochi__r".into());
            result_conv = "return mochi__r != 0;".into();
        }
        Ty::String => {
            decls.push("byte* mochi__r = null;".into());
            decls.push("int mochi__rn = 0;".into());
            args.push("&mochi__r".into());
            args.push("&mochi__rn".into());
            result_conv = format!(
                "return MochiNative.OutUtf8(mochi__r, mochi__rn) ?? throw MochiNative.Missing(\"{what}\", \"string\");"
            );
        }
        Ty::Handle(n) => {
            decls.push("nint mochi__r = 0;".into());
            args.push("&mochi__r".into());
            result_conv = format!(
                "if (mochi__r == 0) throw MochiNative.Missing(\"{what}\", \"{n}\");\n{b}return new {n}(new MochiNative.Handle(mochi__r));"
            );
        }
        Ty::Optional(inner) => match inner.as_ref() {
            Ty::String => {
                decls.push("byte* mochi__r = null;".into());
                decls.push("int mochi__rn = -1;".into());
                args.push("&mochi__r".into());
                args.push("&mochi__rn".into());
                result_conv = "return MochiNative.OutUtf8(mochi__r, mochi__rn);".into();
            }
            Ty::Handle(n) => {
                decls.push("nint mochi__r = 0;".into());
                args.push("&mochi__r".into());
                result_conv = format!(
                    "return mochi__r == 0 ? null : new {n}(new MochiNative.Handle(mochi__r));"
                );
            }
            scalar => {
                let abi = match scalar {
                    Ty::Float => "double",
                    Ty::Bool => "byte",
                    _ => "long",
                };
                decls.push("byte mochi__has = 0;".into());
                decls.push(format!("{abi} mochi__r = 0;"));
                args.push("&mochi__has".into());
                args.push("&mochi__r".into());
                result_conv = if *scalar == Ty::Bool {
                    "return mochi__has != 0 ? mochi__r != 0 : null;".into()
                } else {
                    format!(
                        "return mochi__has != 0 ? mochi__r : ({}?)null;",
                        cs_type(scalar, false)
                    )
                };
            }
        },
        Ty::List(e) => {
            decls.push(format!("{}* mochi__r = null;", qualified_elem(e)));
            decls.push("int mochi__rn = 0;".into());
            args.push("&mochi__r".into());
            args.push("&mochi__rn".into());
            result_conv = format!(
                "return MochiNative.OutList{}(mochi__r, mochi__rn);",
                elem_tag(e)
            );
        }
        Ty::Map(k, v) => {
            let es = entry_struct(k, v);
            decls.push(format!("MochiNative.{es}* mochi__r = null;"));
            decls.push("int mochi__rn = 0;".into());
            args.push("&mochi__r".into());
            args.push("&mochi__rn".into());
            result_conv = format!("return MochiNative.Out{es}(mochi__r, mochi__rn);");
        }
    }
    args.push("&mochi__err".into());

    let _ = writeln!(cs, "{b}MochiNative.EnsureLoaded();");
    for p in pre
        .iter()
        .filter(|p| p.starts_with("ArgumentNullException"))
    {
        let _ = writeln!(cs, "{b}{p}");
    }
    let _ = writeln!(cs, "{b}MochiNative.MochiError mochi__err = default;");
    let _ = writeln!(cs, "{b}int mochi__status;");
    for d in &decls {
        let _ = writeln!(cs, "{b}{d}");
    }
    let call = format!(
        "mochi__status = MochiNative.{}({});",
        f.name,
        args.join(", ")
    );
    let setup: Vec<&String> = pre
        .iter()
        .filter(|p| !p.starts_with("ArgumentNullException"))
        .collect();
    if setup.is_empty() && post.is_empty() {
        let _ = writeln!(cs, "{b}{call}");
    } else {
        let _ = writeln!(cs, "{b}try\n{b}{{");
        for s in setup {
            let _ = writeln!(cs, "{b}    {s}");
        }
        let _ = writeln!(cs, "{b}    {call}\n{b}}}\n{b}finally\n{b}{{");
        for s in &post {
            let _ = writeln!(cs, "{b}    {s}");
        }
        let _ = writeln!(cs, "{b}}}");
    }
    let _ = writeln!(
        cs,
        "{b}if (mochi__status != 0) throw MochiNative.Fail(mochi__status, ref mochi__err, \"{what}\");"
    );
    if !result_conv.is_empty() {
        let _ = writeln!(cs, "{b}{result_conv}");
    }
    let _ = writeln!(cs, "{ind}}}");
}

/// The ABI form of one parameter in the `LibraryImport` declaration.
fn abi_params(ty: &Ty, name: &str) -> Vec<String> {
    match ty {
        Ty::Int | Ty::Int64 => vec![format!("long {name}")],
        Ty::Float => vec![format!("double {name}")],
        Ty::Bool => vec![format!("byte {name}")],
        Ty::String => vec![format!("byte* {name}"), format!("int {name}_len")],
        Ty::Handle(_) => vec![format!("nint {name}")],
        Ty::Optional(inner) => match inner.as_ref() {
            Ty::String => abi_params(inner, name),
            Ty::Handle(_) => abi_params(inner, name),
            other => {
                let mut v = vec![format!("byte {name}_has")];
                v.extend(abi_params(other, name));
                v
            }
        },
        Ty::List(e) => vec![
            format!("{}* {name}", elem_abi(e)),
            format!("int {name}_len"),
        ],
        Ty::Map(k, v) => vec![
            format!("{}* {name}", entry_struct(k, v)),
            format!("int {name}_len"),
        ],
        Ty::Unit => vec![],
    }
}

fn abi_results(ty: &Ty) -> Vec<String> {
    match ty {
        Ty::Unit => vec![],
        Ty::Int | Ty::Int64 => vec!["long* result".into()],
        Ty::Float => vec!["double* result".into()],
        Ty::Bool => vec!["byte* result".into()],
        Ty::String => vec!["byte** result".into(), "int* result_len".into()],
        Ty::Handle(_) => vec!["nint* result".into()],
        Ty::Optional(inner) => match inner.as_ref() {
            Ty::String | Ty::Handle(_) => abi_results(inner),
            other => {
                let mut v = vec!["byte* result_has".to_string()];
                v.extend(abi_results(other));
                v
            }
        },
        Ty::List(e) => vec![
            format!("{}** result", elem_abi(e)),
            "int* result_len".into(),
        ],
        Ty::Map(k, v) => vec![
            format!("{}** result", entry_struct(k, v)),
            "int* result_len".into(),
        ],
    }
}

fn native_class(
    cs: &mut String,
    manifest: &Manifest,
    api: &Api,
    prefix: &str,
    entries: &BTreeSet<(String, String, String)>,
) {
    let p = &manifest.publish;
    let _ = writeln!(
        cs,
        "    internal static unsafe partial class MochiNative\n    {{"
    );
    let _ = writeln!(
        cs,
        "        internal const string Library = \"{}\";",
        p.native_name
    );
    let _ = writeln!(
        cs,
        "        internal const string PackageId = \"{}\";",
        p.package_id
    );
    let _ = writeln!(
        cs,
        "        internal const string PackageVersion = \"{}\";",
        p.version
    );
    let _ = writeln!(
        cs,
        "        internal const int AbiVersion = {NATIVE_ABI_VERSION};\n"
    );
    cs.push_str(NATIVE_SUPPORT);
    for (name, k, v) in entries {
        let _ = writeln!(
            cs,
            "\n        [StructLayout(LayoutKind.Sequential)]\n        internal struct {name}\n        {{\n            public {k} Key;\n            public {v} Value;\n        }}"
        );
        map_helpers(cs, name, k, v);
    }
    // The imports.
    let _ = writeln!(
        cs,
        "\n        [LibraryImport(Library, EntryPoint = \"{prefix}abi_version\")]\n        internal static partial int abi_version();"
    );
    let _ = writeln!(
        cs,
        "\n        [LibraryImport(Library, EntryPoint = \"{prefix}free\")]\n        internal static partial void free(void* ptr);"
    );
    if !api.types.is_empty() {
        let _ = writeln!(
            cs,
            "\n        [LibraryImport(Library, EntryPoint = \"{prefix}handle_release\")]\n        internal static partial int handle_release(nint handle, MochiError* err);"
        );
    }
    for f in &api.functions {
        let mut ps: Vec<String> = f
            .params
            .iter()
            .flat_map(|p| abi_params(&p.ty, &format!("p_{}", p.name)))
            .collect();
        ps.extend(abi_results(&f.returns));
        ps.push("MochiError* err".into());
        let _ = writeln!(
            cs,
            "\n        [LibraryImport(Library, EntryPoint = \"{prefix}{}\")]\n        internal static partial int {}({});",
            f.name,
            f.name,
            ps.join(", ")
        );
    }
    if api.types.is_empty() {
        cs.push_str("\n        internal static int ReleaseHandle(nint handle) => 0;\n");
    } else {
        cs.push_str("\n        internal static int ReleaseHandle(nint handle)\n        {\n            MochiError err = default;\n            int status = handle_release(handle, &err);\n            FreeError(ref err);\n            return status;\n        }\n");
    }
    cs.push_str("    }\n");
}

fn map_helpers(cs: &mut String, name: &str, k: &str, v: &str) {
    let cs_of = |abi: &str| match abi {
        "long" => "long",
        "double" => "double",
        "byte" => "bool",
        _ => "string",
    };
    let (kt, vt) = (cs_of(k), cs_of(v));
    // In: one block, entries then the UTF-8 bytes of every string.
    let _ = writeln!(
        cs,
        "\n        internal static {name}* In{name}(IReadOnlyDictionary<{kt}, {vt}> map, out int len)\n        {{"
    );
    cs.push_str("            len = map.Count;\n            nuint bytes = 0;\n            foreach (KeyValuePair<");
    let _ = write!(cs, "{kt}, {vt}");
    cs.push_str("> e in map)\n            {\n");
    if k == "MochiStr" {
        cs.push_str("                bytes += (nuint)Encoding.UTF8.GetByteCount(e.Key);\n");
    }
    if v == "MochiStr" {
        cs.push_str("                bytes += (nuint)Encoding.UTF8.GetByteCount(e.Value ?? throw new ArgumentNullException(nameof(map), \"a map value is null\"));\n");
    }
    let _ = writeln!(
        cs,
        "            }}\n            nuint head = (nuint)len * (nuint)sizeof({name});"
    );
    let _ = writeln!(
        cs,
        "            {name}* block = ({name}*)NativeMemory.Alloc(head + bytes + 1);"
    );
    cs.push_str("            byte* text = (byte*)block + head;\n            int i = 0;\n");
    let _ = writeln!(
        cs,
        "            foreach (KeyValuePair<{kt}, {vt}> e in map)\n            {{"
    );
    let assign = |field: &str, abi: &str, src: &str| -> String {
        match abi {
            "MochiStr" => {
                format!("                block[i].{field} = PutUtf8({src}!, ref text);\n")
            }
            "byte" => format!("                block[i].{field} = (byte)({src} ? 1 : 0);\n"),
            _ => format!("                block[i].{field} = {src};\n"),
        }
    };
    cs.push_str(&assign("Key", k, "e.Key"));
    cs.push_str(&assign("Value", v, "e.Value"));
    cs.push_str("                i++;\n            }\n            return block;\n        }\n");
    // Out: copy, then one free.
    let _ = writeln!(
        cs,
        "\n        internal static Dictionary<{kt}, {vt}> Out{name}({name}* p, int len)\n        {{"
    );
    let _ = writeln!(
        cs,
        "            var map = new Dictionary<{kt}, {vt}>(Math.Max(len, 0));"
    );
    cs.push_str("            for (int i = 0; i < len; i++)\n            {\n");
    let read = |field: &str, abi: &str| -> String {
        match abi {
            "MochiStr" => format!("ReadUtf8(p[i].{field})"),
            "byte" => format!("p[i].{field} != 0"),
            _ => format!("p[i].{field}"),
        }
    };
    let _ = writeln!(
        cs,
        "                map[{}] = {};",
        read("Key", k),
        read("Value", v)
    );
    cs.push_str(
        "            }\n            if (p != null) free(p);\n            return map;\n        }\n",
    );
}

/// The fixed part of `MochiNative`: ABI structs, loading, strings, lists, errors.
const NATIVE_SUPPORT: &str = r#"        [StructLayout(LayoutKind.Sequential)]
        internal struct MochiStr
        {
            public byte* Ptr;
            public int Len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct MochiError
        {
            public byte* TypeName;
            public int TypeNameLen;
            public byte* Message;
            public int MessageLen;
        }

        /// <summary>A native value, released through the library when disposed or finalized.</summary>
        internal sealed class Handle : SafeHandle
        {
            public Handle(nint handle) : base(IntPtr.Zero, true)
            {
                SetHandle(handle);
            }

            public override bool IsInvalid => handle == IntPtr.Zero;

            protected override bool ReleaseHandle() => MochiNative.ReleaseHandle(handle) == 0;
        }

        private static volatile bool s_loaded;

        static MochiNative()
        {
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(MochiNative).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The application installed its own resolver for this assembly: it decides.
            }
        }

        /// <summary>Checks, once, that the native library loads and speaks this facade's ABI.</summary>
        internal static void EnsureLoaded()
        {
            if (s_loaded)
            {
                return;
            }
            int version = abi_version();
            if (version != AbiVersion)
            {
                throw new InvalidOperationException("the native library '" + Library + "' of " + PackageId + " " + PackageVersion + " has ABI version " + version + " but its .NET facade needs " + AbiVersion + ": the package's native and managed parts do not match; reinstall the package");
            }
            s_loaded = true;
        }

        private static string FileName =>
            OperatingSystem.IsWindows() ? Library + ".dll" : OperatingSystem.IsMacOS() ? "lib" + Library + ".dylib" : "lib" + Library + ".so";

        private static string PortableRid()
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                _ => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            };
            return os + "-" + arch;
        }

        // The runtime's own probing first (the app's deps.json, its folder); then the
        // layouts a package is found in when its DLL was copied elsewhere.
        [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Location is empty in single-file and native AOT apps; AppContext.BaseDirectory is probed as well")]
        private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (name != Library)
            {
                return 0;
            }
            if (NativeLibrary.TryLoad(name, assembly, searchPath, out nint handle))
            {
                return handle;
            }
            var dirs = new List<string>();
            string location = assembly.Location;
            string? assemblyDir = location.Length > 0 ? Path.GetDirectoryName(location) : null;
            if (assemblyDir != null)
            {
                dirs.Add(assemblyDir);
            }
            dirs.Add(AppContext.BaseDirectory);
            var rids = new List<string> { RuntimeInformation.RuntimeIdentifier };
            if (!rids.Contains(PortableRid()))
            {
                rids.Add(PortableRid());
            }
            string idLower = PackageId.ToLowerInvariant();
            string versionLower = PackageVersion.Split('+')[0].ToLowerInvariant();
            foreach (string rid in rids)
            {
                string native = Path.Combine("runtimes", rid, "native");
                if (assemblyDir != null)
                {
                    // <package>/lib/<tfm>/X.dll → <package>/runtimes/<rid>/native/
                    dirs.Add(Path.Combine(assemblyDir, "..", "..", native));
                }
                string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
                string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(packages) && home.Length > 0)
                {
                    packages = Path.Combine(home, ".nuget", "packages");
                }
                if (!string.IsNullOrEmpty(packages))
                {
                    dirs.Add(Path.Combine(packages, idLower, versionLower, native));
                }
                string? mochi = MochiCacheEntry(idLower, versionLower, home);
                if (mochi != null)
                {
                    dirs.Add(Path.Combine(mochi, "extracted", native));
                }
            }
            foreach (string dir in dirs)
            {
                string path = Path.Combine(dir, FileName);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out handle))
                {
                    return handle;
                }
            }
            return 0;
        }

        // mochi-dotnet's package cache (docs/nuget.md): index/<id>/<version>.json names the
        // verified entry <sha512>/ the package was extracted into.
        private static string? MochiCacheEntry(string idLower, string versionLower, string home)
        {
            try
            {
                string? root = Environment.GetEnvironmentVariable("MOCHI_DOTNET_CACHE");
                if (string.IsNullOrEmpty(root))
                {
                    string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                    root = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "mochi", "dotnet-deps") : home.Length > 0 ? Path.Combine(home, ".cache", "mochi", "dotnet-deps") : null;
                }
                if (root == null)
                {
                    return null;
                }
                string index = Path.Combine(root, "index", idLower, versionLower + ".json");
                if (!File.Exists(index))
                {
                    return null;
                }
                string text = File.ReadAllText(index);
                int at = text.IndexOf("\"sha512\"", StringComparison.Ordinal);
                if (at < 0)
                {
                    return null;
                }
                int start = text.IndexOf('"', text.IndexOf(':', at) + 1) + 1;
                int end = text.IndexOf('"', start);
                string sha = text.Substring(start, end - start);
                foreach (char c in sha)
                {
                    if (!Uri.IsHexDigit(c))
                    {
                        return null;
                    }
                }
                return Path.Combine(root, sha);
            }
            catch (Exception)
            {
                return null;
            }
        }

        internal static Exception Fail(int status, ref MochiError err, string function)
        {
            string? type = TakeUtf8(ref err.TypeName, err.TypeNameLen);
            string? message = TakeUtf8(ref err.Message, err.MessageLen);
            if (status != 1)
            {
                return new MochiException("AbiViolation", function + " returned status " + status + " (the ABI allows 0 and 1)" + (message != null ? ": " + message : ""));
            }
            return new MochiException(type ?? "Error", message ?? function + " failed without a message");
        }

        internal static void FreeError(ref MochiError err)
        {
            TakeUtf8(ref err.TypeName, err.TypeNameLen);
            TakeUtf8(ref err.Message, err.MessageLen);
        }

        private static string? TakeUtf8(ref byte* p, int len)
        {
            string? s = len < 0 || (p == null && len != 0) ? null : len == 0 ? "" : Encoding.UTF8.GetString(p, len);
            if (p != null)
            {
                free(p);
                p = null;
            }
            return s;
        }

        internal static Exception Missing(string function, string type) =>
            new InvalidOperationException(function + " returned no " + type + " although its declaration says it always returns one");

        internal static byte* InUtf8(string s, out int len)
        {
            len = Encoding.UTF8.GetByteCount(s);
            byte* p = (byte*)NativeMemory.Alloc((nuint)len + 1);
            fixed (char* c = s)
            {
                Encoding.UTF8.GetBytes(c, s.Length, p, len);
            }
            return p;
        }

        private static MochiStr PutUtf8(string s, ref byte* text)
        {
            int n;
            fixed (char* c = s)
            {
                n = Encoding.UTF8.GetBytes(c, s.Length, text, int.MaxValue);
            }
            MochiStr r;
            r.Ptr = text;
            r.Len = n;
            text += n;
            return r;
        }

        internal static string? OutUtf8(byte* p, int len)
        {
            return TakeUtf8(ref p, len);
        }

        private static string ReadUtf8(MochiStr s) => s.Len <= 0 || s.Ptr == null ? "" : Encoding.UTF8.GetString(s.Ptr, s.Len);

        internal static long* InListI64(IReadOnlyList<long> xs, out int len)
        {
            len = xs.Count;
            long* p = (long*)NativeMemory.Alloc((nuint)len * sizeof(long) + 1);
            for (int i = 0; i < len; i++)
            {
                p[i] = xs[i];
            }
            return p;
        }

        internal static double* InListF64(IReadOnlyList<double> xs, out int len)
        {
            len = xs.Count;
            double* p = (double*)NativeMemory.Alloc((nuint)len * sizeof(double) + 1);
            for (int i = 0; i < len; i++)
            {
                p[i] = xs[i];
            }
            return p;
        }

        internal static byte* InListBool(IReadOnlyList<bool> xs, out int len)
        {
            len = xs.Count;
            byte* p = (byte*)NativeMemory.Alloc((nuint)len + 1);
            for (int i = 0; i < len; i++)
            {
                p[i] = (byte)(xs[i] ? 1 : 0);
            }
            return p;
        }

        internal static MochiStr* InListStr(IReadOnlyList<string> xs, out int len)
        {
            len = xs.Count;
            nuint bytes = 0;
            for (int i = 0; i < len; i++)
            {
                bytes += (nuint)Encoding.UTF8.GetByteCount(xs[i] ?? throw new ArgumentNullException(nameof(xs), "a list element is null"));
            }
            nuint head = (nuint)len * (nuint)sizeof(MochiStr);
            MochiStr* block = (MochiStr*)NativeMemory.Alloc(head + bytes + 1);
            byte* text = (byte*)block + head;
            for (int i = 0; i < len; i++)
            {
                block[i] = PutUtf8(xs[i], ref text);
            }
            return block;
        }

        internal static long[] OutListI64(long* p, int len)
        {
            var r = new long[Math.Max(len, 0)];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = p[i];
            }
            if (p != null) free(p);
            return r;
        }

        internal static double[] OutListF64(double* p, int len)
        {
            var r = new double[Math.Max(len, 0)];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = p[i];
            }
            if (p != null) free(p);
            return r;
        }

        internal static bool[] OutListBool(byte* p, int len)
        {
            var r = new bool[Math.Max(len, 0)];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = p[i] != 0;
            }
            if (p != null) free(p);
            return r;
        }

        internal static string[] OutListStr(MochiStr* p, int len)
        {
            var r = new string[Math.Max(len, 0)];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = ReadUtf8(p[i]);
            }
            if (p != null) free(p);
            return r;
        }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_escapes_and_marks_code() {
        assert_eq!(doc_text("a < b & `x_y`"), "a &lt; b &amp; <c>x_y</c>");
        assert_eq!(doc_text("one ` tick"), "one ` tick");
    }

    #[test]
    fn namespaces() {
        assert_eq!(namespace_of("Mochi.Mathx"), "Mochi.Mathx");
        assert_eq!(namespace_of("my-lib.2d.class"), "my_lib._2d.@class");
    }
}
