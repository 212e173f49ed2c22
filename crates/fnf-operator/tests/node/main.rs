//! The chart's Deployment as real pods on a real node (`DevCluster::with_node`): the
//! operator image assembled from the release binary as the Dockerfile's final stage says,
//! `helm install --wait` as a user runs it, in a namespace that enforces the `restricted`
//! Pod Security profile, against the emulator served over HTTPS on the node's network.
//!
//! Opt-in: these run only with `FNF_NODE_TESTS=1` (they need root, Debian packages that
//! `tools/node/install-packages.sh` installs, a one-off build of kubelet and friends, and
//! a release build of the operator), and otherwise pass at once saying they were skipped.
//! One node per machine: every test of this binary shares it, each in its own namespace
//! with its own release watching only that namespace.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helm_lifecycle;
mod leader;
mod rrsa;
mod security;
mod serving;
mod support;
mod upgrade;
