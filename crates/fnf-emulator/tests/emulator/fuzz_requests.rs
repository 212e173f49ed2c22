//! Property test of the emulator's request decoding on the wire: generated
//! HTTP requests (any method, path, query, headers, declared length and
//! body, and plain garbage) never panic a connection task, and the emulator
//! still serves a signed call afterwards.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fnf_emulator::RunningEmulator;
use fnf_testkit::emulator_calls::{Caller, config, start};
use proptest::prelude::*;

/// Panics seen on the emulator's runtime threads (a panicking connection task
/// only drops its connection, so nothing else would tell).
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);
const SERVER_THREAD: &str = "fuzz-emulator";

struct Served {
    runtime: tokio::runtime::Runtime,
    emulator: RunningEmulator,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(SERVER_THREAD) {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(SERVER_THREAD)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = runtime.block_on(start(config()));
        Served { runtime, emulator }
    })
}

/// Sends raw bytes and reads until the server closes or answers in full.
fn exchange(raw: &[u8]) -> Vec<u8> {
    let addr = served().emulator.local_addr();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    // The server may refuse early and close: a failed write is an answer too.
    let _ = stream.write_all(raw);
    let _ = stream.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

/// `PROPTEST_CASES` when set (a longer run by hand), else `default`.
fn cases_or(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok());
    ProptestConfig::with_cases(cases.unwrap_or(default))
}

fn http_request() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "get", "OPTIONS", "X"]),
        prop_oneof![
            Just("/".to_string()),
            "/\\?[A-Za-z0-9=&%+._~-]{0,80}",
            "/_emulator/[a-z/]{0,20}",
            "/[a-z]{0,10}",
        ],
        prop::collection::vec(
            prop_oneof![
                ("[a-z-]{1,16}", "[ -~]{0,40}"),
                Just((
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string()
                )),
                "[0-9]{1,12}".prop_map(|n| ("content-length".to_string(), n)),
                "[ -~]{0,60}"
                    .prop_map(|v| ("authorization".to_string(), format!("ACS3-HMAC-SHA256 {v}"))),
                "[A-Za-z]{0,20}".prop_map(|v| ("x-acs-action".to_string(), v)),
                Just(("x-acs-version".to_string(), "2019-03-15".to_string())),
            ],
            0..6,
        ),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(method, path, headers, body)| {
            let mut raw = format!("{method} {path} HTTP/1.1\r\nhost: fuzz\r\n");
            for (k, v) in headers {
                raw.push_str(&format!("{k}: {v}\r\n"));
            }
            raw.push_str("\r\n");
            let mut raw = raw.into_bytes();
            raw.extend(body);
            raw
        })
}

proptest! {
    // Each case is a TCP round trip to a live server: fewer cases.
    #![proptest_config(cases_or(64))]

    #[test]
    fn generated_http_requests_never_panic_the_server(raw in prop_oneof![
        http_request(),
        prop::collection::vec(any::<u8>(), 0..200),
    ]) {
        let answer = exchange(&raw);
        if !answer.is_empty() {
            prop_assert!(answer.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&answer));
        }
        prop_assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn the_server_still_answers_after_the_generated_requests() {
    exchange(b"GET /?Action=ListFlows HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999\r\n\r\n");
    let served = served();
    let caller = Caller::new(&served.emulator);
    let (status, body) = served.runtime.block_on(caller.call("ListFlows", &[]));
    assert_eq!(status, 200, "{body}");
    assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), 0);
}
