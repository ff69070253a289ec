//! The C ABI form of every marshalling kind (docs/hosting.md, "Types"):
//! which native slots a parameter takes and which out-parameters a result
//! fills. Shared by the C# generator and by callers that build calls at run
//! time (`mochi-dotnet invoke`).

use crate::typemap::{Marshal, ScalarEncoding};

/// The native form of one value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// `int64_t`: integers of every width, enums, `TimeSpan` ticks.
    Int,
    /// `double`: `float` and `double`.
    Double,
    /// `uint8_t`: 0 false, else true.
    Bool,
    /// UTF-8 `(ptr, len)`: strings, `char`, and the string-encoded scalars; `len == -1` is null.
    Str,
    /// `intptr_t` GCHandle; 0 is null.
    Handle,
    /// `(E*, int32_t)`; `len == -1` is null.
    List(Box<Form>),
    /// `(entry*, int32_t)` of `{ K key; V value; }`.
    Map(Box<Form>, Box<Form>),
    /// `Nullable<T>`: `uint8_t has_value` then `T`'s form.
    Opt(Box<Form>),
    /// A callback (parameters only): `(fn, ctx, release)`, three pointers;
    /// `fn == NULL` is a null delegate.
    Callback,
}

/// Why a marshalling has no ABI form in this generator.
pub type Unsupported = String;

impl Form {
    /// The form of a value marshalled as `m`.
    pub fn of(m: &Marshal) -> Result<Form, Unsupported> {
        Ok(match m {
            Marshal::Unit => return Err("unit is not a value".into()),
            Marshal::Bool => Form::Bool,
            Marshal::I8
            | Marshal::U8
            | Marshal::I16
            | Marshal::U16
            | Marshal::I32
            | Marshal::U32
            | Marshal::I64
            | Marshal::U64
            | Marshal::ISize
            | Marshal::USize
            | Marshal::Enum { .. }
            | Marshal::Scalar(ScalarEncoding::TimeSpanTicks) => Form::Int,
            Marshal::F32 | Marshal::F64 => Form::Double,
            Marshal::Char | Marshal::Utf8String | Marshal::Scalar(_) => Form::Str,
            Marshal::Any | Marshal::Handle(_) => Form::Handle,
            Marshal::List { elem, .. } => Form::List(Box::new(Form::element(elem)?)),
            Marshal::Callback { .. } => Form::Callback,
            Marshal::Map { key, value, .. } => Form::Map(
                Box::new(Form::element(key)?),
                Box::new(Form::element(value)?),
            ),
            // `T??` (an optional out parameter under the try pattern) is `T?`.
            Marshal::Optional(inner) if matches!(**inner, Marshal::Optional(_)) => Form::of(inner)?,
            Marshal::Optional(inner) => {
                if is_reference_like(inner) {
                    Form::of(inner)?
                } else {
                    let f = Form::of(inner)?;
                    if matches!(f, Form::Opt(_) | Form::List(_) | Form::Map(..)) {
                        return Err(format!("optional of {f:?}"));
                    }
                    Form::Opt(Box::new(f))
                }
            }
        })
    }

    /// The form of a list element or map key/value: one array slot.
    pub fn element(m: &Marshal) -> Result<Form, Unsupported> {
        let f = Form::of(m)?;
        match f {
            Form::Int | Form::Double | Form::Bool | Form::Str | Form::Handle => Ok(f),
            Form::List(_) => {
                Err("a list inside a list or map (no ABI form for nested collections)".into())
            }
            Form::Map(..) => {
                Err("a map inside a list or map (no ABI form for nested collections)".into())
            }
            Form::Opt(_) => Err("an optional value type inside a list or map (no ABI form)".into()),
            Form::Callback => Err("a callback inside a list or map (no ABI form)".into()),
        }
    }

    /// Size in bytes of one array slot of this (element) form.
    pub fn slot_size(&self) -> usize {
        match self {
            Form::Bool => 1,
            Form::Str => 16,
            _ => 8,
        }
    }

    pub fn slot_align(&self) -> usize {
        match self {
            Form::Bool => 1,
            _ => 8,
        }
    }

    /// The C# type of one array slot.
    pub fn cs_slot(&self) -> &'static str {
        match self {
            Form::Int => "long",
            Form::Double => "double",
            Form::Bool => "byte",
            Form::Str => "MochiStr",
            Form::Handle => "IntPtr",
            _ => "void",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Form::Int => "Int64",
            Form::Double => "Double",
            Form::Bool => "Byte",
            Form::Str => "Str",
            Form::Handle => "Handle",
            _ => "X",
        }
    }
}

/// Layout of a map entry `{ K key; V value; }` with C natural alignment:
/// (value offset, entry size).
pub fn entry_layout(k: &Form, v: &Form) -> (usize, usize) {
    let align = k.slot_align().max(v.slot_align());
    let voff = k.slot_size().next_multiple_of(v.slot_align());
    (voff, (voff + v.slot_size()).next_multiple_of(align))
}

/// The C# struct name of a map entry: `MochiEntry_Str_Int64`.
pub fn entry_struct(k: &Form, v: &Form) -> String {
    format!("MochiEntry_{}_{}", k.code(), v.code())
}

/// Null is "absent" without a presence flag: strings, `Uri`, objects, lists, maps.
pub fn is_reference_like(m: &Marshal) -> bool {
    if let Marshal::Optional(inner) = m {
        return is_reference_like(inner);
    }
    matches!(
        m,
        Marshal::Utf8String
            | Marshal::Scalar(ScalarEncoding::UriString)
            | Marshal::Any
            | Marshal::Handle(_)
            | Marshal::List { .. }
            | Marshal::Map { .. }
    )
}

/// One native parameter slot of an export, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `int64_t`, `intptr_t`, a pointer, `int32_t` or `uint8_t`: an integer register.
    Int,
    /// `double`: a floating-point register.
    Double,
}

/// Native slots of a parameter of form `f`.
pub fn param_slots(f: &Form) -> Vec<Slot> {
    match f {
        Form::Double => vec![Slot::Double],
        Form::Int | Form::Bool | Form::Handle => vec![Slot::Int],
        Form::Str | Form::List(_) | Form::Map(..) => vec![Slot::Int, Slot::Int],
        Form::Callback => vec![Slot::Int, Slot::Int, Slot::Int],
        Form::Opt(inner) => {
            let mut v = vec![Slot::Int];
            v.extend(param_slots(inner));
            v
        }
    }
}

/// Out-parameters (all pointers) of a result of form `f`.
pub fn result_slots(f: &Form) -> usize {
    match f {
        Form::Int | Form::Double | Form::Bool | Form::Handle => 1,
        Form::Str | Form::List(_) | Form::Map(..) => 2,
        Form::Opt(inner) => 1 + result_slots(inner),
        // Never a result (the plan maps delegate results to no type).
        Form::Callback => 0,
    }
}
