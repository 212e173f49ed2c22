//! `fnf-soak --seed S --duration 5m [--wait-secs 10] [--operator PATH]`: the
//! chaos soak of issue 21 against its own local stack (see
//! docs/reliability.md). Prints the plan, the faults by kind, the calls by
//! action, the runs and every violation; exits 1 on a violation.
//! Needs the built operator: `cargo build -p fnf-operator --bin fnf-operator`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use fnf_testkit::soak::run::{SoakSettings, run};

const USAGE: &str =
    "usage: fnf-soak [--seed N] [--duration 5m|300s|300] [--wait-secs N] [--operator PATH]";

fn parse_duration(raw: &str) -> Option<Duration> {
    let (digits, unit) = match raw.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => raw.split_at(at),
        None => (raw, "s"),
    };
    let n: u64 = digits.parse().ok()?;
    match unit {
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        _ => None,
    }
}

/// The operator built next to this binary (`target/<profile>/fnf-operator`).
fn default_operator() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("fnf-operator")))
        .unwrap_or_else(|| PathBuf::from("fnf-operator"))
}

fn settings(args: &[String]) -> Result<SoakSettings, String> {
    let mut settings = SoakSettings {
        seed: 1,
        active: Duration::from_secs(300),
        wait_secs: 10,
        operator_binary: default_operator(),
        faults: true,
        plants: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--seed" => settings.seed = value.parse().map_err(|_| format!("bad seed {value}"))?,
            "--duration" => {
                settings.active =
                    parse_duration(value).ok_or_else(|| format!("bad duration {value}"))?
            }
            "--wait-secs" => {
                settings.wait_secs = value
                    .parse()
                    .map_err(|_| format!("bad --wait-secs {value}"))?
            }
            "--operator" => settings.operator_binary = PathBuf::from(value),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(settings)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if !settings.operator_binary.exists() {
        eprintln!(
            "no operator at {}: cargo build -p fnf-operator --bin fnf-operator, or --operator PATH",
            settings.operator_binary.display()
        );
        return ExitCode::from(2);
    }
    match run(&settings).await {
        Ok(report) => {
            println!("{report}");
            if report.violations.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("soak failed to run: {e:#}");
            ExitCode::from(2)
        }
    }
}
