//! Every documented error code, injected once into StartExecution through the
//! emulator, ends in its documented behaviour: retried codes change only
//! CloudReachable and the run completes with one start; refusals stall with
//! the code as the reason and a Warning Event, and are not retried in a loop.

use std::time::Duration;

use fnf_emulator::Fault;
use fnf_testkit::e2e::*;

const RETRIED: &[&str] = &[
    "InternalServerError",
    "ResourceThrottled",
    "PreconditionFailed",
    "ConcurrentUpdateError",
];
/// Code, and the reason the Succeeded condition must carry.
const REFUSED: &[(&str, &str)] = &[
    ("InvalidArgument", "InvalidArgument"),
    ("MissingRequiredParams", "MissingRequiredParams"),
    ("EntityTooLarge", "EntityTooLarge"),
    ("InvalidAccessKeyID", "InvalidAccessKeyID"),
    ("SignatureNotMatch", "SignatureNotMatch"),
    ("AccessDenied", "AccessDenied"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_code_on_start_ends_in_its_documented_behaviour() {
    let env = Env::new("e2e-codes").await;
    let operator = env.start_operator();
    for code in RETRIED {
        env.emulator.inject(Fault::FailNext {
            action: "StartExecution".into(),
            code: (*code).into(),
            count: 1,
        });
        let name = format!("retry-{}", code.to_lowercase());
        env.create(&name, serde_json::json!({"flowName": "quick"}))
            .await;
        let fe = env
            .wait_for(&name, Duration::from_secs(60), completed)
            .await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{code}");
        // The run's name (runPolicy OnChange): the one the status records.
        let execution = fe.status.as_ref().unwrap().execution_name.clone().unwrap();
        assert_eq!(
            env.emulator
                .counters()
                .executions_created("quick", &execution),
            1,
            "{code}"
        );
    }
    // Operator defects, not the user's: retried as cloud trouble, never a stall.
    for code in [
        "ActionNotSupported",
        "APIVersionNotSupported",
        "UnsupportedMediaType",
        "MissingRequiredHeader",
    ] {
        env.emulator.inject(Fault::FailNext {
            action: "StartExecution".into(),
            code: code.into(),
            count: 1,
        });
        let name = format!("defect-{}", code.to_lowercase());
        env.create(&name, serde_json::json!({"flowName": "quick"}))
            .await;
        let fe = env
            .wait_for(&name, Duration::from_secs(60), completed)
            .await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{code}");
    }
    for (code, reason) in REFUSED {
        env.emulator.inject(Fault::FailNext {
            action: "StartExecution".into(),
            code: (*code).into(),
            count: 1,
        });
        let name = format!("refused-{}", code.to_lowercase());
        env.create(&name, serde_json::json!({"flowName": "quick"}))
            .await;
        let fe = env
            .wait_for(&name, Duration::from_secs(30), |fe| {
                condition(fe, "Stalled") == Some("True")
            })
            .await;
        let succeeded = fe
            .status
            .as_ref()
            .unwrap()
            .condition("Succeeded")
            .unwrap()
            .clone();
        assert_eq!(succeeded.status, "False", "{code}");
        assert_eq!(succeeded.reason, *reason, "{code}");
        let events = env
            .kubectl(&[
                "get",
                "events",
                "-n",
                &env.namespace,
                "--field-selector",
                &format!("involvedObject.name={name}"),
            ])
            .await;
        assert!(
            events.contains("Warning") && events.contains(reason),
            "{code}: {events}"
        );
    }
    // Refusals are not retried in a loop: no StartExecution for them in a few seconds.
    let starts = env.emulator.counters().calls("StartExecution");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        env.emulator.counters().calls("StartExecution"),
        starts,
        "a refusal must not loop"
    );
    operator.stop().await.unwrap();
}
