mod support;
use hosting::MochiError;

#[test]
fn add() {
    let shim = support::shim();
    type Add = unsafe extern "system" fn(i32, i32, *mut i32, *mut MochiError) -> i32;
    let f: Add = unsafe { shim.export(support::EXPORTS, "mochi_abi_fixture_calc_add") }.unwrap();
    let mut out = 0;
    let mut err = MochiError::new();
    let st = unsafe { f(2, 40, &mut out, &mut err) };
    shim.check(st, &mut err).unwrap();
    assert_eq!(out, 42);
    eprintln!("{:?}", shim.runtime().start_timings());
}
