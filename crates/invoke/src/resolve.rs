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
            "no overload of {member} takes these {n} argument(s); candidates (with how many arguments each takes):\n{}",
            cands
                .iter()
                .map(|i| {
                    let named: Vec<&shimgen::plan::ParamPlan> =
                        i.params.iter().filter(|p| p.name.is_some()).collect();
                    let required = named
                        .iter()
                        .rposition(|p| p.default.is_none() && !p.param_array)
                        .map_or(0, |k| k + 1);
                    let takes = if required == named.len() {
                        format!("{required}")
                    } else {
                        format!("{required} to {}", named.len())
                    };
                    format!(
                        "  {}    takes {takes}{}",
                        signature(i),
                        if i.receiver.is_some() {
                            " after the receiver"
                        } else {
                            ""
                        }
                    )
                })
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
    // An alias naming one overload (`JsonConvert.ToString_guid`) picks it; a
    // member name (`ValidationFailure.new`) reaches every overload, including
    // the suffixed ones beside a bare alias.
    let names_member = exact.iter().any(|i| {
        i.target.member == m
            || (m == "new" && i.kind == ItemKind::Constructor)
            || (i.target.property.as_deref() == Some(m))
    });
    if !exact.is_empty() && !names_member {
        return exact;
    }
    let found: Vec<&PlanItem> = items
        .filter(|i| {
            let member_ok = i.target.member == m
                || (i.target.property.as_deref() == Some(m)
                    && matches!(i.kind, ItemKind::Getter | ItemKind::StaticGetter))
                || (m == "new" && i.kind == ItemKind::Constructor)
                || i.alias.strip_prefix(&format!("{t}_")).is_some_and(|rest| {
                    rest == m
                        || rest.starts_with(&format!("{m}_"))
                            && (i.target.member.starts_with(m)
                                || m.starts_with(i.target.member.as_str()))
                });
            type_matches(i, t) && member_ok
        })
        .collect();
    // `RetryStrategyOptions.new` is the class's, not its generic base's
    // (`RetryStrategyOptions_Object`), whose CLR short name is the same: a
    // declaring type whose Mochi name is known (from a receiver or a
    // constructor) and is not `t` gives way.
    let mochi_name = |decl: &str| {
        plan.items.iter().find_map(|i| {
            if i.target.declaring_type != decl {
                return None;
            }
            match &i.receiver {
                Some(r) => Some(r.mochi_type.clone()),
                None if i.kind == ItemKind::Constructor => Some(i.returns.mochi_type.clone()),
                None => None,
            }
        })
    };
    let own_type = |i: &&PlanItem| mochi_name(&i.target.declaring_type).is_none_or(|n| n == t);
    if found.iter().any(own_type) && !found.iter().all(own_type) {
        return found.into_iter().filter(own_type).collect();
    }
    found
}

/// Whether the value `a` can be passed for a parameter marshalled as `m`.
pub fn fits_form(m: &Marshal, a: &Val) -> bool {
    let Ok(f) = Form::of(m) else { return false };
    let optional = matches!(m, Marshal::Optional(_));
    match a {
        Val::Handle(..) => f == Form::Handle,
        Val::Callback { .. } => f == Form::Callback,
        // A null delegate.
        Val::Json(Value::Null) if f == Form::Callback => true,
        // JSON for an `object` parameter is boxed (mochi_box_json).
        Val::Json(v) if is_any(m) => !v.is_null() || optional || f == Form::Handle,
        Val::Json(v) => fits_json(&f, v, optional),
    }
}

/// `object` (`any`), optional or not.
pub(crate) fn is_any(m: &Marshal) -> bool {
    match m {
        Marshal::Any => true,
        Marshal::Optional(i) => is_any(i),
        _ => false,
    }
}

/// The arguments of every Mochi parameter of `item` (its receiver aside):
/// `args`, then the .NET default value of each parameter left out (a
/// `params` array left out is empty). `None` when there are too many
/// arguments or one left out has no default.
pub fn complete_args(item: &PlanItem, args: &[Val]) -> Option<Vec<Val>> {
    let named: Vec<&shimgen::plan::ParamPlan> =
        item.params.iter().filter(|p| p.name.is_some()).collect();
    if args.len() > named.len() {
        return None;
    }
    let mut out = args.to_vec();
    for p in &named[args.len()..] {
        out.push(Val::Json(default_json(p)?));
    }
    Some(out)
}

/// The .NET default of an optional parameter as JSON.
fn default_json(p: &shimgen::plan::ParamPlan) -> Option<Value> {
    let Some(c) = &p.default else {
        return p.param_array.then(|| Value::Array(Vec::new()));
    };
    let v = c.value.as_deref();
    Some(match c.kind.as_str() {
        "null" => Value::Null,
        "bool" => Value::Bool(matches!(v?, "true" | "1")),
        "string" => Value::String(v?.to_string()),
        "char" => Value::String(char::from_u32(v?.parse().ok()?)?.to_string()),
        "float32" | "float64" => {
            serde_json::Number::from_f64(v?.parse().ok()?).map(Value::Number)?
        }
        "uint64" => Value::from(v?.parse::<u64>().ok()?),
        _ => Value::from(v?.parse::<i64>().ok()?),
    })
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
