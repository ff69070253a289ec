//! Calling translated members of a built shim with JSON arguments, for
//! `mochi-dotnet invoke <pkg-or-assembly> <Type.Member> [json-args…] [+ …]…`
//! (docs/shims.md, "invoke"): the call chain ([`parse_chain`]), the member a
//! `Type.Member` names ([`candidates`]), and the native call of its export with
//! the arguments converted per the plan's marshalling ([`call_one`]). Finding,
//! generating and building the shim and starting the runtime are the CLI's.
//!
//! A `+` chains calls: the previous result becomes the receiver of the next
//! member when it has one, else its first argument.
//!
//! The call is made through the native ABI of the export, built at run time:
//! on x86-64 System V and AArch64 (Linux) integer-class and floating-point
//! arguments go to separate register files and overflowing integer arguments
//! to the stack in order, so every export is called as
//! `fn(i64 × 16, f64 × 8) -> i32` with its integer-class slots first and its
//! doubles after (unused slots are ignored by the callee).

use std::ffi::c_void;

use hosting::{MochiError, Shim};
use serde_json::{Map, Value};
use shimgen::BindingPlan;
use shimgen::csharp::abi::{Form, entry_layout};
use shimgen::plan::{ItemKind, PlanItem};
use shimgen::typemap::Marshal;

/// Why a call could not be made, or failed.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The chain, a member or an argument is not what the shim offers; the
    /// message says what to write instead.
    #[error("{0}")]
    Call(String),
    /// An argument (or the receiver) does not fit its parameter.
    #[error("{what}: {source}")]
    Argument {
        what: String,
        #[source]
        source: Box<InvokeError>,
    },
    /// The export raised a .NET exception (its type and message).
    #[error(transparent)]
    Managed(#[from] hosting::ManagedException),
    #[error(transparent)]
    Host(#[from] hosting::Error),
}

impl InvokeError {
    /// This error, as the failure of `what` (an argument, the receiver).
    fn within(self, what: String) -> InvokeError {
        InvokeError::Argument {
            what,
            source: Box::new(self),
        }
    }
}

/// `InvokeError::Call` from a format string.
macro_rules! err {
    ($($t:tt)*) => { InvokeError::Call(format!($($t)*)) };
}

/// Returns `InvokeError::Call` from a format string.
macro_rules! bail {
    ($($t:tt)*) => { return Err(err!($($t)*)) };
}

/// One call of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub member: String,
    pub args: Vec<Value>,
}

/// Splits `Type.Member args… + Type.Member args…`. An argument that is not
/// JSON is taken as a string (`hello` = `"hello"`); write `"+"` for a plus sign.
pub fn parse_chain(tokens: &[String]) -> Result<Vec<Call>, InvokeError> {
    let mut calls = Vec::new();
    for group in tokens.split(|t| t == "+") {
        let Some((member, args)) = group.split_first() else {
            bail!("empty call in the chain (two `+` in a row, or a `+` at an end)");
        };
        let args = args
            .iter()
            .map(|a| serde_json::from_str(a).unwrap_or_else(|_| Value::String(a.clone())))
            .collect();
        calls.push(Call {
            member: member.clone(),
            args,
        });
    }
    if calls.is_empty() {
        bail!("nothing to call: give `Type.Member` (e.g. `JObject.Parse`)");
    }
    Ok(calls)
}

/// A value between calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Json(Value),
    /// A GCHandle and its CLR type.
    Handle(isize, String),
}

/// `{"handle": type, "string": ToString()}` for a final object result.
pub fn describe_handle(
    shim: &Shim,
    plan: &BindingPlan,
    exports: &str,
    h: isize,
    ty: &str,
    handles: &mut Vec<isize>,
) -> Value {
    let mut o = Map::new();
    o.insert("handle".into(), Value::String(ty.to_string()));
    if h == 0 {
        return Value::Null;
    }
    // The type's own ToString(), else one of a base it converts to.
    let mut types = vec![ty.to_string()];
    for i in &plan.items {
        if i.kind == ItemKind::Upcast && i.target.declaring_type == ty {
            types.extend(i.target.parameter_types.iter().cloned());
        }
    }
    let to_string = types.iter().find_map(|t| {
        plan.items.iter().find(|i| {
            i.kind == ItemKind::Method
                && i.target.member == "ToString"
                && i.params.is_empty()
                && i.receiver.as_ref().is_some_and(|r| &r.clr_type == t)
        })
    });
    if let Some(item) = to_string
        && let Ok(Val::Json(s)) = invoke_item(
            shim,
            exports,
            item,
            Some(Val::Handle(h, ty.to_string())),
            &[],
            handles,
        )
    {
        o.insert("string".into(), s);
    }
    Value::Object(o)
}

/// Resolves and calls one member; `prev` is the receiver (or first argument).
/// Handles the call creates are pushed to `handles` (the caller releases them).
pub fn call_one(
    shim: &Shim,
    plan: &BindingPlan,
    exports: &str,
    c: &Call,
    prev: Option<Val>,
    handles: &mut Vec<isize>,
) -> Result<Val, InvokeError> {
    let cands = candidates(plan, &c.member)?;
    // The previous result: receiver when the member has one, else first argument.
    let mut args: Vec<Val> = c.args.iter().cloned().map(Val::Json).collect();
    let pick = |with_receiver: bool, args: &[Val]| -> Vec<&PlanItem> {
        let mut fits: Vec<(&PlanItem, usize)> = cands
            .iter()
            .filter(|i| i.receiver.is_some() == with_receiver)
            .filter(|i| i.mochi_params().len() - usize::from(with_receiver) == args.len())
            .filter(|i| {
                i.params
                    .iter()
                    .filter(|p| p.name.is_some())
                    .zip(args)
                    .all(|(p, a)| fits_form(&p.marshal, a))
            })
            .map(|i| (*i, natural_score(i, args)))
            .collect();
        let best = fits.iter().map(|(_, s)| *s).max().unwrap_or(0);
        fits.retain(|(_, s)| *s == best);
        fits.into_iter().map(|(i, _)| i).collect()
    };
    let (item, receiver) = match prev {
        Some(p) => {
            let as_recv = pick(true, &args);
            if as_recv.len() == 1 {
                (as_recv[0], Some(p))
            } else {
                args.insert(0, p);
                let r = pick(false, &args);
                (single(&c.member, r, &cands, args.len())?, None)
            }
        }
        None => {
            let r = pick(false, &args);
            if r.is_empty() && !args.is_empty() {
                let rr = pick(true, &args[1..]);
                // A value receiver (`bool`, `DateTime`, an enum) may be the first argument.
                let value_recv: Vec<&PlanItem> = rr
                    .iter()
                    .copied()
                    .filter(|i| {
                        i.receiver.as_ref().is_some_and(|r| {
                            !matches!(r.marshal, Marshal::Handle(_) | Marshal::Any)
                                && fits_form(&r.marshal, &args[0])
                        })
                    })
                    .collect();
                if let [item] = value_recv.as_slice() {
                    let recv = args.remove(0);
                    return invoke_item(shim, exports, item, Some(recv), &args, handles);
                }
                // A handle receiver comes only through `+`.
                if !rr.is_empty() {
                    bail!(
                        "{} is an instance member: give its receiver through a chain, e.g. `Type.Create … + {}`",
                        c.member,
                        c.member
                    );
                }
            }
            (single(&c.member, r, &cands, args.len())?, None)
        }
    };
    invoke_item(shim, exports, item, receiver, &args, handles)
}

fn single<'a>(
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

fn fits_form(m: &Marshal, a: &Val) -> bool {
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
fn natural_score(i: &PlanItem, args: &[Val]) -> usize {
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

/// Native arguments under construction; buffers stay alive until the call returns.
#[derive(Default)]
struct Args {
    ints: Vec<i64>,
    doubles: Vec<f64>,
    buffers: Vec<Vec<u8>>,
}

impl Args {
    fn buffer(&mut self, bytes: Vec<u8>) -> i64 {
        let p = if bytes.is_empty() {
            0
        } else {
            bytes.as_ptr() as i64
        };
        self.buffers.push(bytes);
        p
    }

    fn push(&mut self, f: &Form, v: &Val) -> Result<(), InvokeError> {
        match (f, v) {
            (Form::Handle, Val::Handle(h, _)) => self.ints.push(*h as i64),
            (Form::Handle, Val::Json(Value::Null)) => self.ints.push(0),
            (Form::Handle, Val::Json(_)) => {
                bail!("an object argument comes from a previous call: chain it with `+`")
            }
            (Form::Opt(inner), Val::Json(Value::Null)) => {
                self.ints.push(0);
                self.zero(inner);
            }
            (Form::Opt(inner), v) => {
                self.ints.push(1);
                self.push(inner, v)?;
            }
            (Form::Str | Form::List(_) | Form::Map(..), Val::Json(Value::Null)) => {
                self.ints.push(0);
                self.ints.push(-1);
            }
            (_, Val::Handle(..)) => bail!("an object (handle) where {f:?} is expected"),
            (Form::Int, Val::Json(j)) => self.ints.push(json_int(j)?),
            (Form::Double, Val::Json(j)) => self.doubles.push(
                j.as_f64()
                    .ok_or_else(|| err!("expected a number, got {j}"))?,
            ),
            (Form::Bool, Val::Json(j)) => self.ints.push(i64::from(
                j.as_bool()
                    .ok_or_else(|| err!("expected true or false, got {j}"))?,
            )),
            (Form::Str, Val::Json(j)) => {
                let s = match j {
                    Value::String(s) => s.clone(),
                    Value::Object(_) | Value::Array(_) => j.to_string(),
                    other => bail!("expected a string, got {other}"),
                };
                let len = hosting::shim::abi_len(s.len()) as i64;
                let p = self.buffer(s.into_bytes());
                self.ints.push(p);
                self.ints.push(len);
            }
            (Form::List(e), Val::Json(Value::Array(xs))) => {
                let mut block = vec![0u8; xs.len() * e.slot_size()];
                for (i, x) in xs.iter().enumerate() {
                    let off = i * e.slot_size();
                    self.slot(e, x, &mut block[off..off + e.slot_size()])?;
                }
                let p = self.buffer(block);
                self.ints.push(p);
                self.ints.push(xs.len() as i64);
            }
            (Form::Map(k, vf), Val::Json(Value::Object(o))) => {
                let (voff, size) = entry_layout(k, vf);
                let mut block = vec![0u8; o.len() * size];
                for (i, (key, val)) in o.iter().enumerate() {
                    let base = i * size;
                    let kj = if **k == Form::Int {
                        Value::from(
                            key.parse::<i64>()
                                .map_err(|_| err!("map key {key:?} is not an integer"))?,
                        )
                    } else {
                        Value::String(key.clone())
                    };
                    self.slot(k, &kj, &mut block[base..base + k.slot_size()])?;
                    self.slot(
                        vf,
                        val,
                        &mut block[base + voff..base + voff + vf.slot_size()],
                    )?;
                }
                let p = self.buffer(block);
                self.ints.push(p);
                self.ints.push(o.len() as i64);
            }
            (f, Val::Json(j)) => bail!("{j} does not fit {f:?}"),
        }
        Ok(())
    }

    fn zero(&mut self, f: &Form) {
        match f {
            Form::Double => self.doubles.push(0.0),
            Form::Str | Form::List(_) | Form::Map(..) => {
                self.ints.push(0);
                self.ints.push(-1);
            }
            Form::Opt(i) => {
                self.ints.push(0);
                self.zero(i);
            }
            _ => self.ints.push(0),
        }
    }

    /// One array slot (list element, map key or value).
    fn slot(&mut self, f: &Form, v: &Value, out: &mut [u8]) -> Result<(), InvokeError> {
        match f {
            Form::Int => out.copy_from_slice(&json_int(v)?.to_ne_bytes()),
            Form::Double => out.copy_from_slice(
                &v.as_f64()
                    .ok_or_else(|| err!("expected a number, got {v}"))?
                    .to_ne_bytes(),
            ),
            Form::Bool => {
                out[0] = u8::from(
                    v.as_bool()
                        .ok_or_else(|| err!("expected true or false, got {v}"))?,
                )
            }
            Form::Handle => {
                if !v.is_null() {
                    bail!("objects inside lists cannot be given as JSON");
                }
                out.copy_from_slice(&0i64.to_ne_bytes());
            }
            Form::Str => {
                let (p, len) = match v {
                    Value::Null => (0i64, -1i32),
                    Value::String(s) => {
                        let len = hosting::shim::abi_len(s.len());
                        (self.buffer(s.as_bytes().to_vec()), len)
                    }
                    other => bail!("expected a string, got {other}"),
                };
                out[..8].copy_from_slice(&p.to_ne_bytes());
                out[8..12].copy_from_slice(&len.to_ne_bytes());
            }
            other => bail!("no array slot for {other:?}"),
        }
        Ok(())
    }
}

fn json_int(j: &Value) -> Result<i64, InvokeError> {
    if let Some(i) = j.as_i64() {
        return Ok(i);
    }
    if let Some(f) = j.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.2e18
    {
        return Ok(f as i64);
    }
    bail!("expected an integer (int64), got {j}")
}

type Export = unsafe extern "C" fn(
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
) -> i32;

const MAX_INTS: usize = 16;
const MAX_DOUBLES: usize = 8;

fn invoke_item(
    shim: &Shim,
    exports: &str,
    item: &PlanItem,
    receiver: Option<Val>,
    args: &[Val],
    handles: &mut Vec<isize>,
) -> Result<Val, InvokeError> {
    if !cfg!(all(
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        bail!("invoke builds native calls for x86-64 and AArch64 Unix only");
    }
    let ep = item
        .entry_point
        .as_deref()
        .ok_or_else(|| err!("{} has no entry point", item.alias))?;
    let mut a = Args::default();
    if let Some(rp) = &item.receiver {
        let r = receiver.ok_or_else(|| err!("{} needs a receiver", item.alias))?;
        let f = Form::of(&rp.marshal).map_err(|e| err!("receiver: {e}"))?;
        a.push(&f, &r)
            .map_err(|e| e.within("the receiver".to_string()))?;
    }
    let mut it = args.iter();
    for p in item.params.iter().filter(|p| p.name.is_some()) {
        let v = it
            .next()
            .ok_or_else(|| err!("missing argument `{}`", p.name.as_deref().unwrap_or("?")))?;
        let f = Form::of(&p.marshal).map_err(|e| err!("parameter {}: {e}", p.clr_name))?;
        a.push(&f, v).map_err(|e| {
            e.within(format!(
                "argument `{}` ({})",
                p.name.as_deref().unwrap_or("?"),
                p.mochi_type.as_deref().unwrap_or("?")
            ))
        })?;
    }
    let ret = if item.returns.marshal == Marshal::Unit {
        None
    } else {
        Some(Form::of(&item.returns.marshal).map_err(|e| err!("result: {e}"))?)
    };
    let nres = ret
        .as_ref()
        .map(shimgen::csharp::abi::result_slots)
        .unwrap_or(0);
    let mut out = vec![0u64; nres.max(1)];
    for slot in out.iter_mut().take(nres) {
        a.ints.push(slot as *mut u64 as i64);
    }
    let mut err = MochiError::new();
    a.ints.push(&mut err as *mut MochiError as i64);
    if a.ints.len() > MAX_INTS || a.doubles.len() > MAX_DOUBLES {
        bail!(
            "{ep} takes more native arguments than invoke passes ({MAX_INTS} integer, {MAX_DOUBLES} floating-point)"
        );
    }
    a.ints.resize(MAX_INTS, 0);
    a.doubles.resize(MAX_DOUBLES, 0.0);
    // SAFETY: the export's parameters are exactly the integer-class slots
    // (in order) and the doubles (in order) built above from the plan, which
    // is the signature the generator wrote; extra slots are ignored.
    let status = unsafe {
        let f: Export = shim.export(exports, ep)?;
        let (i, d) = (&a.ints, &a.doubles);
        f(
            i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], i[8], i[9], i[10], i[11], i[12], i[13],
            i[14], i[15], d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
        )
    };
    drop(a);
    shim.check(status, &mut err)?;
    let Some(f) = ret else {
        return Ok(Val::Json(Value::Null));
    };
    // SAFETY: the export filled `out` per the result form (docs/hosting.md).
    let v = unsafe { decode(shim, &f, &item.returns.marshal, &out, handles) };
    match v {
        Val::Handle(h, _) if h != 0 => {
            handles.push(h);
            let ty = match &item.returns.marshal {
                Marshal::Handle(t) => t.clone(),
                Marshal::Optional(m) => match &**m {
                    Marshal::Handle(t) => t.clone(),
                    _ => "System.Object".into(),
                },
                _ => "System.Object".into(),
            };
            Ok(Val::Handle(h, ty))
        }
        Val::Handle(..) => Ok(Val::Json(Value::Null)),
        other => Ok(other),
    }
}

/// Reads a result from its out-parameter slots (and frees what the shim allocated).
///
/// # Safety
/// `slots` must have been filled by an export for a result of form `f`.
unsafe fn decode(
    shim: &Shim,
    f: &Form,
    m: &Marshal,
    slots: &[u64],
    handles: &mut Vec<isize>,
) -> Val {
    let inner_marshal = |m: &Marshal| match m {
        Marshal::Optional(i) => (**i).clone(),
        other => other.clone(),
    };
    match f {
        Form::Int => Val::Json(Value::from(slots[0] as i64)),
        Form::Double => Val::Json(
            serde_json::Number::from_f64(f64::from_bits(slots[0]))
                .map(Value::Number)
                .unwrap_or(Value::Null),
        ),
        Form::Bool => Val::Json(Value::Bool(slots[0] as u8 != 0)),
        Form::Handle => Val::Handle(slots[0] as isize, String::new()),
        Form::Str => {
            // SAFETY: a caller-owned string from the export.
            let s = unsafe { shim.take_string(slots[0] as *mut u8, slots[1] as u32 as i32) };
            Val::Json(s.map(Value::String).unwrap_or(Value::Null))
        }
        Form::Opt(inner) => {
            if slots[0] as u8 == 0 {
                Val::Json(Value::Null)
            } else {
                // SAFETY: forwarded.
                unsafe { decode(shim, inner, &inner_marshal(m), &slots[1..], handles) }
            }
        }
        Form::List(e) => {
            let (p, n) = (slots[0] as *mut u8, slots[1] as u32 as i32);
            if n < 0 {
                return Val::Json(Value::Null);
            }
            let mut xs = Vec::with_capacity(n as usize);
            for i in 0..n as usize {
                // SAFETY: n slots of the element form in one block.
                xs.push(unsafe { read_slot(e, p.add(i * e.slot_size()), handles) });
            }
            // SAFETY: the block is caller-owned; strings inside it were copied.
            unsafe { shim.free(p.cast::<c_void>()) };
            Val::Json(Value::Array(xs))
        }
        Form::Map(k, v) => {
            let (p, n) = (slots[0] as *mut u8, slots[1] as u32 as i32);
            if n < 0 {
                return Val::Json(Value::Null);
            }
            let (voff, size) = entry_layout(k, v);
            let mut o = Map::new();
            for i in 0..n as usize {
                // SAFETY: n entries in one block.
                let (key, val) = unsafe {
                    (
                        read_slot(k, p.add(i * size), handles),
                        read_slot(v, p.add(i * size + voff), handles),
                    )
                };
                let key = match key {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                o.insert(key, val);
            }
            // SAFETY: as above.
            unsafe { shim.free(p.cast::<c_void>()) };
            Val::Json(Value::Object(o))
        }
    }
}

/// # Safety
/// `p` must point to one slot of form `f`.
unsafe fn read_slot(f: &Form, p: *const u8, handles: &mut Vec<isize>) -> Value {
    // SAFETY: guaranteed by the caller for every arm.
    unsafe {
        match f {
            Form::Int => Value::from(p.cast::<i64>().read_unaligned()),
            Form::Double => serde_json::Number::from_f64(p.cast::<f64>().read_unaligned())
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Form::Bool => Value::Bool(*p != 0),
            Form::Handle => {
                let h = p.cast::<isize>().read_unaligned();
                if h == 0 {
                    Value::Null
                } else {
                    handles.push(h);
                    serde_json::json!({ "handle": h })
                }
            }
            Form::Str => {
                let s = p.cast::<hosting::MochiStr>().read_unaligned();
                match s.as_bytes() {
                    Some(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
                    None => Value::Null,
                }
            }
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_split_on_plus() {
        let t: Vec<String> = [
            "JObject.Parse",
            "{\"a\":1}",
            "+",
            "JToken.SelectToken",
            "a",
            "+",
            "JToken.ToString",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = parse_chain(&t).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].args, vec![serde_json::json!({"a": 1})]);
        assert_eq!(c[1].args, vec![Value::String("a".into())]);
        assert!(c[2].args.is_empty());
        assert!(parse_chain(&["+".to_string()]).is_err());
    }
}
