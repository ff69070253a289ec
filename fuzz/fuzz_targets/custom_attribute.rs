//! Custom attribute value decoding (II.23.3) with arbitrary constructor
//! parameter lists (derived from the input) and arbitrary value blobs.
#![no_main]

use ecma335::attributes::{ArgType, ArgValue, decode_attribute};
use ecma335::heaps::Blob;
use libfuzzer_sys::fuzz_target;

/// Reads one parameter type from the front of `input`.
fn arg_type(input: &mut &[u8], depth: u32) -> ArgType {
    let Some((&b, rest)) = input.split_first() else {
        return ArgType::I4;
    };
    *input = rest;
    match b % 18 {
        0 => ArgType::Boolean,
        1 => ArgType::Char,
        2 => ArgType::I1,
        3 => ArgType::U1,
        4 => ArgType::I2,
        5 => ArgType::U2,
        6 => ArgType::I4,
        7 => ArgType::U4,
        8 => ArgType::I8,
        9 => ArgType::U8,
        10 => ArgType::R4,
        11 => ArgType::R8,
        12 => ArgType::String,
        13 => ArgType::Type,
        14 => ArgType::Object,
        15 if depth < 24 => ArgType::Enum("E".into(), Box::new(arg_type(input, depth + 1))),
        _ if depth < 24 => ArgType::SzArray(Box::new(arg_type(input, depth + 1))),
        _ => ArgType::U1,
    }
}

fn check(v: &ArgValue) {
    if let ArgValue::Array(Some(items)) = v {
        items.iter().for_each(check);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, mut rest)) = data.split_first() else {
        return;
    };
    let params: Vec<ArgType> = (0..n % 8).map(|_| arg_type(&mut rest, 0)).collect();
    let blob = Blob {
        data: rest,
        offset: 0x1000,
    };
    // Enum names in named / boxed arguments: some resolve, some do not.
    let mut underlying = |name: &str| match name.len() % 4 {
        0 => None,
        1 => Some(ArgType::I4),
        2 => Some(ArgType::U1),
        _ => Some(ArgType::SzArray(Box::new(ArgType::I8))),
    };
    if let Ok(v) = decode_attribute(blob, &params, &mut underlying) {
        assert_eq!(v.fixed.len(), params.len());
        v.fixed.iter().for_each(check);
        v.named.iter().for_each(|n| check(&n.value));
    }
});
