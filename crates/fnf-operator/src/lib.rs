//! fnf-operator: runs Alibaba Cloud Serverless Workflow (fnf) executions from
//! Kubernetes `FlowExecution` resources and mirrors what the cloud says into
//! their status. This crate is what the image builds.
//!
//! Layout is the architecture: `crd` (the resource types), `controller` (a pure
//! decision plus a thin I/O layer), `cli` (the `run` command's flags and start-up)
//! and `call` (the `call` command). The cloud client is the `fnf-client` crate,
//! the only code that talks to the cloud.

pub mod call;
pub mod cli;
pub mod controller;
pub mod crd;
