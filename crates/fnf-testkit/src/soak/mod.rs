//! The chaos soak (issue 21): a seeded workload and fault schedule against the
//! whole stack (control plane, emulator, two operator replicas), a recording
//! of everything, and the invariant checker that judges it. See
//! docs/reliability.md for the catalogue, the invariants and their bounds.

pub mod checker;
pub mod cut_proxy;
pub mod fault_driver;
pub mod plan;
pub mod plant;
pub mod recorder;
pub mod recording;
pub mod replicas;
pub mod run;
pub mod workload;
