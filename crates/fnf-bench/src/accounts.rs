//! A scenario's cloud side: an emulator that knows one key pair per account
//! (it meters quotas per AccessKey ID, so each key is an account with quotas
//! of its own) and each account's flows, and the Secrets through which the
//! FlowExecutions of accounts after the first name their key. Account 0 is
//! the operator's own credentials, as most FlowExecutions would use.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};

use super::BenchError;
use super::workload::flow_name;
use fnf_emulator::{Account, EmulatorConfig, ExecutionMode, RunningEmulator};
use fnf_testkit::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};

/// Waits `$.wait` seconds, then succeeds.
fn flow_definition(name: &str) -> String {
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: {name}\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    SecondsPath: $.wait\n    Next: Done\n  - Type: Succeed\n    Name: Done\n"
    )
}

/// The key pair of account `index` (0: the sandbox key the operator runs with).
/// Test keys of a local emulator, never real credentials.
fn key_pair(index: usize) -> (String, String) {
    match index {
        0 => (
            SANDBOX_ACCESS_KEY_ID.into(),
            SANDBOX_ACCESS_KEY_SECRET.into(),
        ),
        i => (
            format!("LTAI5tBenchAccount{i:02}"),
            format!("bench-account-{i}-secret"),
        ),
    }
}

/// The Secret a FlowExecution of account `index` names (`None`: account 0).
pub fn secret_name(index: usize) -> Option<String> {
    (index > 0).then(|| format!("bench-account-{index}"))
}

/// An emulator with the documented quotas, `accounts` keys, and `flows` flows
/// per account.
pub async fn start_emulator(accounts: usize, flows: usize) -> Result<RunningEmulator, BenchError> {
    let emulator = fnf_emulator::start(EmulatorConfig {
        accounts: (0..accounts.max(1))
            .map(|i| {
                let (id, secret) = key_pair(i);
                Account::new(id, secret)
            })
            .collect(),
        ..EmulatorConfig::default()
    })
    .await?;
    for account in 0..accounts.max(1) {
        for flow in 0..flows.max(1) {
            let name = flow_name(account, flow);
            emulator.create_flow(&name, &flow_definition(&name), ExecutionMode::Standard)?;
        }
    }
    Ok(emulator)
}

/// The Secrets of accounts 1.. in `namespace`.
pub async fn create_secrets(api: &Api<Secret>, accounts: usize) -> Result<(), BenchError> {
    for index in 1..accounts {
        let (id, secret) = key_pair(index);
        let object: Secret = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": secret_name(index)},
            "stringData": {"accessKeyId": id, "accessKeySecret": secret},
        }))
        .map_err(|e| BenchError::Usage(format!("bench Secret: {e}")))?;
        api.create(&PostParams::default(), &object)
            .await
            .map_err(|source| BenchError::Kube {
                context: format!("creating the Secret of account {index}"),
                source,
            })?;
    }
    Ok(())
}
