#![no_main]

// The operator's own run-identity file, compiled here without the rest of
// the operator (kube would dominate every fuzz build); `run_spec` stands in
// for the CRD type it reads.
#[path = "../../crates/fnf-operator/src/crd/run_identity.rs"]
#[allow(dead_code)]
mod run_identity;

mod run_spec {
    pub struct KeyRef {
        pub name: String,
        pub key: String,
    }

    pub struct InputFieldSource {
        pub field: String,
        pub secret_key_ref: Option<KeyRef>,
        pub as_json: bool,
    }

    impl InputFieldSource {
        pub fn is_secret(&self) -> bool {
            self.secret_key_ref.is_some()
        }
    }
}

use run_identity::write_canonical;

#[path = "../checks/canonical_json.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
