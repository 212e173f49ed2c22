//! `fnf-operator call`, the command people use to check what the operator's
//! credentials can see: against a server that speaks the protocol (the
//! emulator), and without credentials.

use fnf_emulator::ExecutionMode;
use fnf_testkit::sandbox;

const FLOW: &str = "Type: StateMachine\nSpecVersion: v1\nName: f\nStartAt: Done\nStates:\n  - Type: Succeed\n    Name: Done\n";

fn call(endpoint: &str, with_keys: bool, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fnf-operator"));
    command
        .arg("call")
        .args(args)
        .args(["--endpoint", endpoint]);
    for var in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_ROLE_ARN",
    ] {
        command.env_remove(var);
    }
    if with_keys {
        command.envs(sandbox::sandbox_credentials_env());
    }
    command.output().unwrap()
}

/// Runs `call` off the async runtime, so the emulator in this process keeps serving.
async fn call_blocking(endpoint: &str, with_keys: bool, args: &[&str]) -> std::process::Output {
    let endpoint = endpoint.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        call(&endpoint, with_keys, &args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_prints_the_answer_or_names_what_is_missing() {
    fnf_client::install_crypto_provider();
    let emulator = sandbox::start_emulator().await.unwrap();
    emulator
        .create_flow("f", FLOW, ExecutionMode::Standard)
        .unwrap();
    let endpoint = emulator.endpoint();
    let describe = [
        "DescribeExecution",
        "--param",
        "FlowName=f",
        "--param",
        "ExecutionName=e",
    ];

    let started = call_blocking(
        &endpoint,
        true,
        &[
            "StartExecution",
            "--param",
            "FlowName=f",
            "--param",
            "ExecutionName=e",
        ],
    )
    .await;
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );

    let described = call_blocking(&endpoint, true, &describe).await;
    assert!(described.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&described.stdout).unwrap();
    assert_eq!(answer["Name"], "e");
    assert_eq!(answer["FlowName"], "f");

    let missing = call_blocking(
        &endpoint,
        true,
        &[
            "DescribeExecution",
            "--param",
            "FlowName=f",
            "--param",
            "ExecutionName=nope",
        ],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ExecutionNotExists"));

    let no_keys = call_blocking(&endpoint, false, &describe).await;
    assert_eq!(no_keys.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&no_keys.stderr);
    assert!(
        stderr.contains("ALIBABA_CLOUD_ACCESS_KEY_ID")
            && stderr.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        "{stderr}"
    );
    emulator.shutdown().await;
}

/// The parsed `call` arguments reach the wire: the action, its parameters and
/// the chosen signature, verified as the cloud would.
#[tokio::test]
async fn the_call_command_sends_any_action_with_the_chosen_signature() {
    use clap::Parser;
    use fnf_testkit::cloud_stub::*;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        call: fnf_operator::call::CallArgs,
    }
    let server =
        TestServer::start(|_: &Recorded, _: usize| Reply::json(200, execution_json("Running")))
            .await;
    let url = server.url();
    let cli = Cli::try_parse_from([
        "fnf-operator",
        "DescribeExecution",
        "--param",
        "FlowName=my_flow",
        "--param",
        "ExecutionName=my_exec",
        "--endpoint",
        &url,
        "--signature",
        "v3",
    ])
    .unwrap();
    let answer = fnf_operator::call::run_call_with(&cli.call, static_credentials(None))
        .await
        .unwrap();
    assert_eq!(answer["Status"], "Running");
    let request = &server.requests()[0];
    assert_eq!(
        (
            request.method.as_str(),
            request.param("FlowName").as_deref()
        ),
        ("GET", Some("my_flow"))
    );
    assert!(request.header("authorization").is_some());
    verify_signature(request, SECRET).unwrap();
    assert!(Cli::try_parse_from(["fnf-operator", "StopExecution", "--param", "novalue"]).is_err());
}
