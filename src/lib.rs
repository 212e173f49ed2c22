//! fnf-operator: runs Alibaba Cloud Serverless Workflow (fnf) executions from
//! Kubernetes `FlowExecution` resources and mirrors what the cloud says into
//! their status.
//!
//! Layout is the architecture: `crd` (the resource types), `fnf` (the only code
//! that talks to the cloud), `controller` (a pure decision plus a thin I/O layer),
//! `emulator` (a local fnf for tests and the demo), `devcluster` (a local
//! kube-apiserver + etcd for tests and the demo).
#![forbid(unsafe_code)]
#![deny(warnings)]

pub mod bench;
pub mod cli;
pub mod controller;
pub mod crd;
pub mod devcluster;
pub mod emulator;
pub mod fnf;
pub mod plugin;
pub mod sandbox;
