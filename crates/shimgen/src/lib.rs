//! Bindings of a .NET surface for Mochi: the closed CLR → Mochi type table
//! ([`typemap`]), the binding plan with its skip report ([`plan`],
//! [`skip`]), and the Mochi extern files ([`mochi`]). Pure functions: a
//! surface in, a plan and text out (docs/bindings.md).

pub mod csharp;
pub mod grammar;
pub mod mochi;
pub mod mono;
pub mod names;
pub mod plan;
pub mod platform;
pub mod skip;
pub mod typemap;
pub mod universe;

pub use plan::{BindOptions, BindingPlan, PlanError, build_plan};
pub use skip::{SkipReason, SkipReport};
pub use universe::{NET8_FRAMEWORK_INDEX, TypeUniverse, framework_index};

/// Everything `mochi-dotnet bind` writes, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindOutput {
    pub plan: BindingPlan,
    /// `plan.json`
    pub plan_json: String,
    /// `<pkg>_extern.mochi`
    pub extern_mochi: String,
    /// `<pkg>.mochi`
    pub alias_mochi: String,
    /// `SKIPPED.txt`
    pub skipped_txt: String,
    /// `skipped.json`
    pub skipped_json: String,
}

impl BindOutput {
    /// The files by name, in a fixed order.
    pub fn files(&self) -> Vec<(String, &str)> {
        let pkg = &self.plan.package;
        vec![
            ("plan.json".to_string(), self.plan_json.as_str()),
            (format!("{pkg}_extern.mochi"), self.extern_mochi.as_str()),
            (format!("{pkg}.mochi"), self.alias_mochi.as_str()),
            ("SKIPPED.txt".to_string(), self.skipped_txt.as_str()),
            ("skipped.json".to_string(), self.skipped_json.as_str()),
        ]
    }
}

/// Binds `surface` (with `universe` as its type context) and renders every file.
pub fn bind(
    surface: &ecma335::Surface,
    universe: &TypeUniverse,
    options: &BindOptions,
) -> Result<BindOutput, PlanError> {
    let plan = build_plan(surface, universe, options)?;
    let report = plan.skip_report();
    Ok(BindOutput {
        plan_json: plan.to_json(),
        extern_mochi: mochi::extern_file(&plan),
        alias_mochi: mochi::alias_file(&plan),
        skipped_txt: report.to_text(),
        skipped_json: report.to_json(),
        plan,
    })
}
