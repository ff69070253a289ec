//! Which translated item a `Type.Member` names, and which overload fits the
//! arguments.

use serde_json::Value;
use shimgen::BindingPlan;
use shimgen::csharp::abi::Form;
use shimgen::plan::{ItemKind, PlanItem};
use shimgen::typemap::Marshal;

use crate::chain::Val;
use crate::error::InvokeError;

pub(crate) fn single<'a>(
    member: &str,
    r: Vec<&'a PlanItem>,
    cands: &[&'a PlanItem],
    n: usize,
) -> Result<&'a PlanItem, InvokeError> {
    match r.len() {
        1 => Ok(r[0]),
        0 => bail!(
            "no overload of {member} takes these {n} argument(s); candidates:\n{}",
            cands
                .iter()
                .map(|i| format!("  {}", signature(i)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        _ => bail!(
            "{member} is ambiguous for these arguments; name the overload by its alias:\n{}",
            r.iter()
                .map(|i| format!("  {}", signature(i)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn signature(i: &PlanItem) -> String {
    let ps: Vec<String> = i
        .mochi_params()
        .into_iter()
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    format!(
        "{}({}): {}    [{}]",
        i.alias.replacen('_', ".", 1),
        ps.join(", "),
        i.returns.mochi_type,
        i.source
    )
}

/// Items `spec` may name: `Type.Member` (Mochi or CLR type name; member,
/// property or alias), or an entry point.
pub fn candidates<'p>(plan: &'p BindingPlan, spec: &str) -> Result<Vec<&'p PlanItem>, InvokeError> {
    let items = plan.items.iter().filter(|i| i.entry_point.is_some());
    if spec.starts_with("mochi_") {
        let v: Vec<_> = items
            .filter(|i| i.entry_point.as_deref() == Some(spec))
            .collect();
        if v.is_empty() {
            bail!(
                "no entry point {spec} in the binding of {}",
                plan.package_id
            );
        }
        return Ok(v);
    }
    let Some((t, m)) = spec.rsplit_once('.') else {
        bail!("`{spec}`: expected Type.Member (e.g. JObject.Parse) or an entry point");
    };
    // The type itself, then its bases and interfaces (through its upcasts):
    // `JObject.SelectToken` finds `JToken.SelectToken`.
    let mut types = vec![t.to_string()];
    let mut k = 0;
    while k < types.len() && types.len() < 64 {
        let ty = types[k].clone();
        for i in plan.items.iter().filter(|i| i.kind == ItemKind::Upcast) {
            if type_matches(i, &ty)
                && let Some(base) = i.target.parameter_types.first()
                && !types.contains(base)
            {
                types.push(base.clone());
            }
        }
        k += 1;
    }
    let mut v: Vec<&PlanItem> = Vec::new();
    for ty in &types {
        v = members_of(plan, ty, m);
        if !v.is_empty() {
            break;
        }
    }
    if v.is_empty() {
        let similar: Vec<String> = plan
            .items
            .iter()
            .filter(|i| {
                i.entry_point.is_some() && i.alias.to_lowercase().contains(&m.to_lowercase())
            })
            .take(12)
            .map(|i| format!("  {}", signature(i)))
            .collect();
        bail!(
            "{spec} is not a translated member of {}{}",
            plan.package_id,
            if similar.is_empty() {
                String::new()
            } else {
                format!("; similar:\n{}", similar.join("\n"))
            }
        );
    }
    Ok(v)
}

/// Whether `i` is declared by the type named `t` (CLR name, short name, or Mochi name).
fn type_matches(i: &PlanItem, t: &str) -> bool {
    let decl = &i.target.declaring_type;
    let short = decl.rsplit(['.', '+']).next().unwrap_or(decl);
    let short = short.split('`').next().unwrap_or(short);
    decl == t || short == t || i.alias.starts_with(&format!("{t}_"))
}

/// Items of type `t` that `m` names: the exact alias `t_m`, else by member,
/// property, `new`, or alias prefix.
fn members_of<'p>(plan: &'p BindingPlan, t: &str, m: &str) -> Vec<&'p PlanItem> {
    let items = plan.items.iter().filter(|i| i.entry_point.is_some());
    let want = format!("{t}_{m}");
    let exact: Vec<&PlanItem> = items.clone().filter(|i| i.alias == want).collect();
    if !exact.is_empty() {
        return exact;
    }
    items
        .filter(|i| {
            let member_ok = i.target.member == m
                || (i.target.property.as_deref() == Some(m)
                    && matches!(i.kind, ItemKind::Getter | ItemKind::StaticGetter))
                || (m == "new" && i.kind == ItemKind::Constructor)
                || i.alias.strip_prefix(&format!("{t}_")).is_some_and(|rest| {
                    rest == m
                        || rest.starts_with(&format!("{m}_")) && i.target.member.starts_with(m)
                });
            type_matches(i, t) && member_ok
        })
        .collect()
}

pub(crate) fn fits_form(m: &Marshal, a: &Val) -> bool {
    let Ok(f) = Form::of(m) else { return false };
    let optional = matches!(m, Marshal::Optional(_));
    match a {
        Val::Handle(..) => f == Form::Handle,
        Val::Json(v) => fits_json(&f, v, optional),
    }
}

fn fits_json(f: &Form, v: &Value, optional: bool) -> bool {
    match (f, v) {
        // Null is absent for optionals, and passed as is (len -1, handle 0)
        // for strings, lists, maps and objects: .NET decides what it means.
        (_, Value::Null) => {
            optional
                || matches!(
                    f,
                    Form::Handle | Form::Opt(_) | Form::Str | Form::List(_) | Form::Map(..)
                )
        }
        (Form::Int, Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|x| x.fract() == 0.0)
        }
        (Form::Double, Value::Number(_)) => true,
        (Form::Bool, Value::Bool(_)) => true,
        // An object or array given for a string is passed as its JSON text.
        (Form::Str, Value::String(_) | Value::Object(_) | Value::Array(_)) => true,
        (Form::List(e), Value::Array(xs)) => xs.iter().all(|x| fits_json(e, x, true)),
        (Form::Map(_, vf), Value::Object(o)) => o.values().all(|x| fits_json(vf, x, true)),
        (Form::Opt(inner), v) => fits_json(inner, v, true),
        _ => false,
    }
}

/// How naturally the .NET parameter types match the JSON (to break ties
/// between overloads): a JSON integer prefers Int64 then Int32, a fraction
/// Double, a string String, a boolean Boolean.
pub(crate) fn natural_score(i: &PlanItem, args: &[Val]) -> usize {
    i.params
        .iter()
        .filter(|p| p.name.is_some())
        .zip(args)
        .map(|(p, a)| match a {
            Val::Json(Value::Number(n)) if n.is_i64() => match p.clr_type.as_str() {
                "System.Int64" => 3,
                "System.Int32" => 2,
                _ => 0,
            },
            Val::Json(Value::Number(_)) => usize::from(p.clr_type == "System.Double") * 3,
            Val::Json(Value::String(_)) => usize::from(p.clr_type == "System.String") * 3,
            Val::Json(Value::Bool(_)) => usize::from(p.clr_type == "System.Boolean") * 3,
            _ => 1,
        })
        .sum()
}
