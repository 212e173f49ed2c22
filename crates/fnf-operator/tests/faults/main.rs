//! Faults and hostile users, on one real kube-apiserver shared by every test
//! of this binary: the cloud misbehaving, the operator killed or starved, RRSA
//! credentials expiring, many objects at once, user mistakes and hostile
//! input, secrets that must not leak and runs that must not be taken.
//!
//! Each test works in a fresh namespace of its own and its operators watch
//! only that namespace. The one cluster-scoped object a test here adds is the
//! input-depth admission policy (`bad_input`), bound by a namespace selector
//! to that test's namespace only: `bad_input`'s deep-input test, beside it,
//! must still be able to create an object nested past the limit, as in a
//! cluster that had objects before the policy. A restart of the control plane
//! would fail every other test here: that test has its own binary
//! (`faults_apiserver_restart`).
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod cloud;
mod operator;
mod rrsa;
mod scale;
mod security;
mod security_identity;
mod upgrade;
