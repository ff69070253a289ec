//! The native call of an export: arguments converted per the plan's
//! marshalling into the integer and floating-point slots of the platform's C
//! ABI, the result read back from its out-parameter slots (docs/hosting.md).

use std::ffi::c_void;

use hosting::{MochiError, Shim};
use serde_json::{Map, Value};
use shimgen::BindingPlan;
use shimgen::csharp::abi::{Form, entry_layout};
use shimgen::plan::{ItemKind, PlanItem};
use shimgen::typemap::Marshal;

use crate::chain::{Call, Val};
use crate::error::InvokeError;
use crate::resolve::{candidates, complete_args, fits_form, is_any, natural_score, single};

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
            .filter(|i| {
                // Parameters with a .NET default may be left out.
                complete_args(i, args).is_some_and(|full| {
                    i.params
                        .iter()
                        .filter(|p| p.name.is_some())
                        .zip(&full)
                        .all(|(p, a)| fits_form(&p.marshal, a))
                })
            })
            .map(|i| (*i, natural_score(i, args)))
            .collect();
        let best = fits.iter().map(|(_, s)| *s).max().unwrap_or(0);
        fits.retain(|(_, s)| *s == best);
        // With equal scores, the overload taking exactly these arguments wins.
        let arity = |i: &PlanItem| i.mochi_params().len() - usize::from(with_receiver);
        if fits.iter().any(|(i, _)| arity(i) == args.len()) {
            fits.retain(|(i, _)| arity(i) == args.len());
        }
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
                    let full = complete_args(item, &args).unwrap_or(args);
                    return invoke_item(shim, exports, item, Some(recv), &full, handles);
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
    let full = complete_args(item, &args).unwrap_or(args);
    invoke_item(shim, exports, item, receiver, &full, handles)
}

/// A JSON value as a .NET object of the shim's process (`mochi_box_json`):
/// a new handle (the caller releases it), or 0 for null.
pub fn box_json(shim: &Shim, v: &Value) -> Result<isize, InvokeError> {
    type BoxJson = unsafe extern "system" fn(*const u8, i32, *mut isize, *mut MochiError) -> i32;
    let text = v.to_string();
    let mut out: isize = 0;
    let mut err = MochiError::new();
    // SAFETY: the signature of ShimAbi.mochi_box_json (docs/hosting.md).
    let status = unsafe {
        let f: BoxJson = shim.export(hosting::shim::SHIM_ABI_TYPE, "mochi_box_json")?;
        f(
            text.as_ptr(),
            hosting::shim::abi_len(text.len()),
            &mut out,
            &mut err,
        )
    };
    shim.check(status, &mut err)?;
    Ok(out)
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
            (
                Form::Callback,
                Val::Callback {
                    function,
                    context,
                    release,
                },
            ) => {
                self.ints.push(*function as i64);
                self.ints.push(*context as i64);
                self.ints.push(*release as i64);
            }
            (Form::Callback, Val::Json(Value::Null)) => self.ints.extend([0, 0, 0]),
            (Form::Callback, _) => {
                bail!("a delegate parameter takes a native callback (fn, ctx, release)")
            }
            (_, Val::Callback { .. }) => bail!("a callback where {f:?} is expected"),
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

// Integer-class arguments past the sixth go to the stack in order (x86-64 System
// V; past the eighth on AArch64), so up to 32 are passed; doubles stay in their 8
// registers (a ninth would go to the stack too, interleaved by position).
const MAX_INTS: usize = 32;
const MAX_DOUBLES: usize = 8;

/// Calls one translated item of `shim` with the receiver and arguments
/// (every parameter of the Mochi signature, in order); handles the call
/// creates (results, and arguments boxed for `object` parameters) are pushed
/// to `handles` for the caller to release.
pub fn invoke_item(
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
        // JSON for an `object` parameter: boxed by the shim, released with the rest.
        let boxed;
        let v = match v {
            Val::Json(j) if is_any(&p.marshal) && !j.is_null() => {
                let h = box_json(shim, j).map_err(|e| {
                    e.within(format!(
                        "boxing the argument `{}`",
                        p.name.as_deref().unwrap_or("?")
                    ))
                })?;
                handles.push(h);
                boxed = Val::Handle(h, "System.Object".into());
                &boxed
            }
            other => other,
        };
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
            i[14], i[15], i[16], i[17], i[18], i[19], i[20], i[21], i[22], i[23], i[24], i[25],
            i[26], i[27], i[28], i[29], i[30], i[31], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
            d[7],
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
        // Never a result form.
        Form::Callback => Val::Json(Value::Null),
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
