//! Custom attribute value blobs (ECMA-335 II.23.3).
//!
//! The caller describes the constructor's parameters as [`ArgType`]s; enum
//! arguments name their underlying primitive. Named arguments carry their own
//! type codes; an enum named argument needs `enum_underlying` to size it.

use crate::error::{Context, Result};
use crate::heaps::Blob;
use crate::reader::Reader;

/// Deepest nesting of arrays / boxed values accepted.
const MAX_DEPTH: u32 = 16;

/// The type of one attribute argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgType {
    Boolean,
    Char,
    I1,
    U1,
    I2,
    U2,
    I4,
    U4,
    I8,
    U8,
    R4,
    R8,
    String,
    /// `System.Type`, serialised as a type name string.
    Type,
    /// `System.Object`: a boxed, self-describing value.
    Object,
    /// An enum with its full name and underlying integer type.
    Enum(String, Box<ArgType>),
    SzArray(Box<ArgType>),
}

/// A decoded argument value.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    Boolean(bool),
    Char(u16),
    Int(i64),
    UInt(u64),
    R4(f32),
    R8(f64),
    /// `None` is the null string (or null `Type`).
    String(Option<String>),
    Type(Option<String>),
    Enum(String, i64),
    /// `None` is a null array.
    Array(Option<Vec<ArgValue>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NamedArg {
    pub is_field: bool,
    pub name: String,
    pub value: ArgValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttributeValue {
    pub fixed: Vec<ArgValue>,
    pub named: Vec<NamedArg>,
}

/// Decodes an attribute value blob given the constructor's parameter types.
/// `enum_underlying` answers for enums referenced by name in named or boxed
/// arguments (e.g. by looking the enum up in the current module).
pub fn decode_attribute(
    blob: Blob<'_>,
    params: &[ArgType],
    enum_underlying: &mut dyn FnMut(&str) -> Option<ArgType>,
) -> Result<AttributeValue> {
    let mut r = blob.reader(Context::CustomAttribute);
    let prolog = r.u16()?;
    if prolog != 0x0001 {
        return Err(crate::Error::at(
            Context::CustomAttribute,
            blob.offset,
            format_args!("bad prolog {prolog:#06x} (expected 0x0001)"),
        ));
    }
    let mut d = AttributeDecoder { r, enum_underlying };
    let mut fixed = Vec::with_capacity(params.len());
    for p in params {
        fixed.push(d.value(p, 0)?);
    }
    let mut named = Vec::new();
    if d.r.is_empty() {
        // Some compilers omit NumNamed when it is zero.
        return Ok(AttributeValue { fixed, named });
    }
    let count = d.r.u16()? as usize;
    if count > d.r.remaining() {
        return Err(d.r.error(format_args!(
            "{count} named arguments declared but only {} bytes follow",
            d.r.remaining()
        )));
    }
    for _ in 0..count {
        let at = d.r.offset();
        let is_field = match d.r.u8()? {
            0x53 => true,
            0x54 => false,
            other => {
                return Err(crate::Error::at(
                    Context::CustomAttribute,
                    at,
                    format_args!(
                        "named argument kind {other:#04x} is neither FIELD (0x53) nor PROPERTY (0x54)"
                    ),
                ));
            }
        };
        let ty = d.field_or_prop_type(0)?;
        let name = d.ser_string()?.unwrap_or_default();
        let value = d.value(&ty, 0)?;
        named.push(NamedArg {
            is_field,
            name,
            value,
        });
    }
    Ok(AttributeValue { fixed, named })
}

struct AttributeDecoder<'b, 'f> {
    r: Reader<'b>,
    enum_underlying: &'f mut dyn FnMut(&str) -> Option<ArgType>,
}

impl AttributeDecoder<'_, '_> {
    /// SerString: a compressed length (0xFF = null) then UTF-8.
    fn ser_string(&mut self) -> Result<Option<String>> {
        if self.r.peek_u8()? == 0xFF {
            self.r.u8()?;
            return Ok(None);
        }
        let len = self.r.compressed_u32()? as usize;
        let bytes = self.r.bytes(len, "a serialised string")?;
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    }

    fn field_or_prop_type(&mut self, depth: u32) -> Result<ArgType> {
        if depth > MAX_DEPTH {
            return Err(self.r.error("argument type nesting too deep"));
        }
        let at = self.r.offset();
        Ok(match self.r.u8()? {
            0x02 => ArgType::Boolean,
            0x03 => ArgType::Char,
            0x04 => ArgType::I1,
            0x05 => ArgType::U1,
            0x06 => ArgType::I2,
            0x07 => ArgType::U2,
            0x08 => ArgType::I4,
            0x09 => ArgType::U4,
            0x0A => ArgType::I8,
            0x0B => ArgType::U8,
            0x0C => ArgType::R4,
            0x0D => ArgType::R8,
            0x0E => ArgType::String,
            0x1D => ArgType::SzArray(Box::new(self.field_or_prop_type(depth + 1)?)),
            0x50 => ArgType::Type,
            0x51 => ArgType::Object,
            0x55 => {
                let name = self.ser_string()?.unwrap_or_default();
                let underlying = (self.enum_underlying)(&name).ok_or_else(|| {
                    crate::Error::at(
                        Context::CustomAttribute,
                        at,
                        format_args!("cannot size enum `{name}`: its definition is not available"),
                    )
                })?;
                ArgType::Enum(name, Box::new(underlying))
            }
            other => {
                return Err(crate::Error::at(
                    Context::CustomAttribute,
                    at,
                    format_args!("unknown serialisation type {other:#04x}"),
                ));
            }
        })
    }

    fn value(&mut self, ty: &ArgType, depth: u32) -> Result<ArgValue> {
        if depth > MAX_DEPTH {
            return Err(self.r.error("argument nesting too deep"));
        }
        let r = &mut self.r;
        Ok(match ty {
            ArgType::Boolean => ArgValue::Boolean(r.u8()? != 0),
            ArgType::Char => ArgValue::Char(r.u16()?),
            ArgType::I1 => ArgValue::Int(r.u8()? as i8 as i64),
            ArgType::U1 => ArgValue::UInt(r.u8()? as u64),
            ArgType::I2 => ArgValue::Int(r.u16()? as i16 as i64),
            ArgType::U2 => ArgValue::UInt(r.u16()? as u64),
            ArgType::I4 => ArgValue::Int(r.u32()? as i32 as i64),
            ArgType::U4 => ArgValue::UInt(r.u32()? as u64),
            ArgType::I8 => ArgValue::Int(r.u64()? as i64),
            ArgType::U8 => ArgValue::UInt(r.u64()?),
            ArgType::R4 => ArgValue::R4(f32::from_bits(r.u32()?)),
            ArgType::R8 => ArgValue::R8(f64::from_bits(r.u64()?)),
            ArgType::String => ArgValue::String(self.ser_string()?),
            ArgType::Type => ArgValue::Type(self.ser_string()?),
            ArgType::Object => {
                let inner = self.field_or_prop_type(depth + 1)?;
                self.value(&inner, depth + 1)?
            }
            ArgType::Enum(name, underlying) => {
                let v = match self.value(underlying, depth + 1)? {
                    ArgValue::Int(i) => i,
                    ArgValue::UInt(u) => u as i64,
                    ArgValue::Boolean(b) => b as i64,
                    ArgValue::Char(c) => c as i64,
                    _ => {
                        return Err(self.r.error(format_args!(
                            "enum `{name}` has a non-integer underlying type"
                        )));
                    }
                };
                ArgValue::Enum(name.clone(), v)
            }
            ArgType::SzArray(elem) => {
                let at = r.offset();
                let n = r.u32()?;
                if n == u32::MAX {
                    return Ok(ArgValue::Array(None));
                }
                if n as usize > r.remaining() {
                    return Err(crate::Error::at(
                        Context::CustomAttribute,
                        at,
                        format_args!(
                            "array of {n} elements but only {} bytes follow",
                            r.remaining()
                        ),
                    ));
                }
                // Pre-size modestly: nested arrays each claiming every byte left would
                // otherwise request (bytes left x value size) per level.
                let mut items = Vec::with_capacity((n as usize).min(64));
                for _ in 0..n {
                    items.push(self.value(elem, depth + 1)?);
                }
                ArgValue::Array(Some(items))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(b: &[u8]) -> Blob<'_> {
        Blob {
            data: b,
            offset: 0x10,
        }
    }

    #[test]
    fn obsolete_message_and_error_flag() {
        let mut b = vec![1, 0, 3];
        b.extend_from_slice(b"old");
        b.extend_from_slice(&[1, 0, 0]);
        let v = decode_attribute(blob(&b), &[ArgType::String, ArgType::Boolean], &mut |_| {
            None
        })
        .unwrap();
        assert_eq!(
            v.fixed,
            vec![
                ArgValue::String(Some("old".into())),
                ArgValue::Boolean(true)
            ]
        );
        assert!(v.named.is_empty());
    }

    #[test]
    fn named_string_property() {
        // TargetFramework(".NETCoreApp,Version=v8.0", FrameworkDisplayName = ".NET 8.0")
        let mut b = vec![1, 0, 4];
        b.extend_from_slice(b"net8");
        b.extend_from_slice(&[1, 0, 0x54, 0x0E, 4]);
        b.extend_from_slice(b"Name");
        b.push(2);
        b.extend_from_slice(b"v8");
        let v = decode_attribute(blob(&b), &[ArgType::String], &mut |_| None).unwrap();
        assert_eq!(v.named[0].name, "Name");
        assert_eq!(v.named[0].value, ArgValue::String(Some("v8".into())));
    }

    #[test]
    fn byte_array_and_null_array() {
        let b = [1, 0, 2, 0, 0, 0, 1, 2, 0, 0];
        let t = [ArgType::SzArray(Box::new(ArgType::U1))];
        let v = decode_attribute(blob(&b), &t, &mut |_| None).unwrap();
        assert_eq!(
            v.fixed[0],
            ArgValue::Array(Some(vec![ArgValue::UInt(1), ArgValue::UInt(2)]))
        );
        let n = [1, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        let v = decode_attribute(blob(&n), &t, &mut |_| None).unwrap();
        assert_eq!(v.fixed[0], ArgValue::Array(None));
    }

    #[test]
    fn huge_array_count_is_an_error_not_an_allocation() {
        let b = [1, 0, 0xFE, 0xFF, 0xFF, 0x7F];
        let t = [ArgType::SzArray(Box::new(ArgType::I8))];
        assert!(decode_attribute(blob(&b), &t, &mut |_| None).is_err());
    }

    #[test]
    fn unknown_enum_in_named_argument_is_reported() {
        let mut b = vec![1, 0, 1, 0, 0x54, 0x55, 1, b'E', 1, b'P', 1, 0, 0, 0];
        assert!(decode_attribute(blob(&b), &[], &mut |_| None).is_err());
        b.truncate(b.len());
        let v = decode_attribute(blob(&b), &[], &mut |_| Some(ArgType::I4)).unwrap();
        assert_eq!(v.named[0].value, ArgValue::Enum("E".into(), 1));
    }
}
