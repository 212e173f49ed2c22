#![no_main]

#[path = "../checks/emulator_definition.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
