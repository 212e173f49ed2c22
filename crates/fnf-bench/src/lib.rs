//! The status-lag benchmark (`fnf-bench`): how long after an execution ends in
//! the cloud its FlowExecution shows it, for N live executions under the
//! documented DescribeExecution quota, long-poll against interval polling.
//! Runs everything locally (control plane, emulator, operator in-process) and
//! writes `docs/benchmarks.md` and its plot. Never talks to a real cloud.

pub mod accounts;
pub mod args;
mod cleanup;
pub mod flow_objects;
pub mod history;
pub mod limits;
pub mod measure;
pub mod observe;
pub mod operator;
pub mod plot;
pub mod presets;
pub mod report;
pub mod scenario;
pub mod shape;
pub mod spec;
pub mod stats;
#[cfg(test)]
mod testing;
mod waits;
pub mod workload;

use std::path::PathBuf;
use std::time::Instant;

pub use args::{BenchArgs, ScenarioSpec, Strategy};
pub use scenario::ScenarioResult;

use fnf_client::FnfError;
use fnf_emulator::EmulatorError;
use fnf_testkit::devcluster::{DevCluster, DevClusterError};
use report::RunContext;

const DOC_FILE: &str = "benchmarks.md";
const PLOT_FILE: &str = "benchmarks-lag.png";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Usage(String),
    #[error("control plane: {0}")]
    Cluster(#[from] DevClusterError),
    #[error("emulator: {0}")]
    Emulator(#[from] EmulatorError),
    #[error("operator configuration: {0}")]
    Config(#[from] FnfError),
    #[error("{context}: {source}")]
    Kube {
        context: String,
        source: kube::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("plot: {0}")]
    Plot(String),
    #[error("operator process: {0}")]
    Operator(String),
}

impl BenchError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Usage(_) => "BenchUsage",
            Self::Cluster(_) => "BenchClusterFailed",
            Self::Emulator(_) => "BenchEmulatorFailed",
            Self::Config(_) => "BenchConfigInvalid",
            Self::Kube { .. } => "BenchKubeFailed",
            Self::Io { .. } => "BenchIoFailed",
            Self::Plot(_) => "BenchPlotFailed",
            Self::Operator(_) => "BenchOperatorFailed",
        }
    }
}

/// Runs every scenario, prints the table, writes the document and the plot.
pub async fn run(args: BenchArgs, command: String) -> Result<Vec<ScenarioResult>, BenchError> {
    let scenarios = args.scenarios()?;
    if args.floors {
        let mut printed = Vec::new();
        for spec in &scenarios {
            let line = report::floor_summary(spec);
            if !printed.contains(&line) {
                println!("{line}");
                printed.push(line);
            }
        }
        return Ok(Vec::new());
    }
    fnf_client::install_crypto_provider();
    let started = Instant::now();
    let machine = measure::machine();
    let ticks_per_sec = measure::clock_ticks_per_sec();
    let cluster = DevCluster::start().await?;
    for path in [
        fnf_operator::crd::CRD_PATHS[0],
        fnf_operator::crd::FLOW_CRD_PATHS[0],
        // The operator also runs the CronFlowExecution controller: its kind must exist.
        fnf_operator::crd::CRON_CRD_PATHS[0],
    ] {
        cluster
            .install_crds_from_yaml(&fnf_testkit::repo_path(path))
            .await?;
    }

    let mut results = Vec::new();
    for (i, spec) in scenarios.iter().enumerate() {
        // The last scenario's objects go with the control plane.
        let cleanup = i + 1 < scenarios.len();
        let result = scenario::run(&cluster, *spec, &args, ticks_per_sec, cleanup).await?;
        println!(
            "{}\n",
            report::terminal_table(std::slice::from_ref(&result))
        );
        results.push(result);
    }
    cluster.shutdown().await?;
    println!("{}", report::terminal_table(&results));

    std::fs::create_dir_all(&args.out_dir).map_err(|source| BenchError::Io {
        context: format!("creating {}", args.out_dir.display()),
        source,
    })?;
    let plot_path = args.out_dir.join(PLOT_FILE);
    let plot_file = match plot::write_lag_cdf(&plot_path, &results, args.box_seconds) {
        Ok(()) => Some(PLOT_FILE.to_string()),
        Err(err) => {
            tracing::warn!(reason = err.reason(), error = %err, "no plot");
            None
        }
    };
    let ctx = RunContext {
        command,
        machine,
        date: jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
        box_seconds: args.box_seconds,
        seed: args.seed,
        total_secs: started.elapsed().as_secs_f64(),
        plot_file,
    };
    let doc_path: PathBuf = args.out_dir.join(DOC_FILE);
    std::fs::write(&doc_path, document(&results, &ctx)).map_err(|source| BenchError::Io {
        context: format!("writing {}", doc_path.display()),
        source,
    })?;
    println!("wrote {} and {}", doc_path.display(), plot_path.display());
    Ok(results)
}

fn document(results: &[ScenarioResult], ctx: &RunContext) -> String {
    let slots = limits::floor::slots();
    let pages = limits::floor::pages_per_sec();
    format!(
        "# Benchmarks: status lag under the cloud's quota

<!-- Written by `fnf-bench`; re-run it rather than editing the figures. -->

```sh
# The default scenarios (the issue's steady workloads; about 96 minutes, see
# How long a run takes, below); writes this file and benchmarks-lag.png from one run:
nice -n 10 cargo run --release --bin fnf-bench -- --preset default
# The classic bursts of one flow (what no flags run; about 18 minutes):
nice -n 10 cargo run --release --bin fnf-bench
# A small one to try the harness (300 live over 20 flows, 3 minutes):
nice -n 10 cargo run --release --bin fnf-bench -- --preset small --measure-seconds 180
```

How long after an execution ends in the cloud does its FlowExecution say so?
`fnf-bench` answers that per workload, with the operator watching through its
**planner** (the default: DescribeExecution long-polls as many as the quota
sustains, ListExecutions pages for the rest) or by **interval** polling
(DescribeExecution every 10 s, what peer controllers do), and sets each p99
against the **floor**: the best p99 any scheme could reach under the quotas.

## Scenarios

A scenario is a size, a strategy and a shape; `--preset NAME` runs a named list,
or the flags give one shape for every size in `--sizes` (or `--live`):

- `--flows K`: flows per account the executions are spread over, with
  `--flow-skew uniform` or `zipf:S` (flow k's share ∝ 1/k^S).
- `--durations uniform:A-B` or `lognormal:MEDIAN,SIGMA[,cap=C]` (seconds).
  Default: uniform between `--wait-min-seconds` and `--wait-max-seconds`.
- `--arrivals burst` (all N applied at once) or `steady[:RATE]`: the live count
  N is applied first, each execution drawn as a run caught at a random moment of
  a steady state (length-biased, at a uniform point of it): it runs for what is
  left, and the emulator backdates its StartedTime by its age (the input key
  `fnfEmulatorStartedSecondsAgo`, which only the emulator reads; the operator
  then counts it adopted, since it predates its object). So endings come at
  their steady rate from the first second and start-time windows hold the ages
  of an account that has been running for hours. The emulator also starts
  with that account's **ended history**: the runs started at the steady rate
  over the longest run before (the cap; uncapped, the median × e^(3σ), at
  most four hours) that have ended by then (about 64,000 an account at
  10,000 live), so a window over old start times holds the thousands of
  ended runs a real account's does, not only those ended since the
  benchmark began. Then Poisson arrivals at RATE a second
  (default N ÷ mean run time, which keeps N live). Arrivals and measurement
  start when the operator has *started* the live count (the emulator accepted
  N StartExecutions), and it lasts max(3 median runs, `--measure-seconds`);
  only executions that *end* inside that window count. Ended FlowExecutions
  are deleted 30 s after their end (`ttlSecondsAfterFinished`), so the object
  count stays near the live count. A scenario with more than 1% of N still
  waiting to start when its window closes is flagged **no steady state**
  (starts fell behind arrivals).
- `--accounts A`: executions dealt round robin over A key pairs, each an
  account with its own quotas in the emulator (it meters per AccessKey ID);
  account 0 is the operator's own key, the others come from Secrets
  (`credentialsSecretRef`). Each account has its own K flows.
- `--seed` makes the workload reproducible; `--flow-objects N` adds N `Flow`
  objects as a side load.

Presets: `default` (also `steady`) = live 10,000 over 50 flows (zipf:1.1,
lognormal:300,1, cap=3600, steady) with planner and interval; live 2,000 over
200 flows (lognormal:180,1, cap=3600, planner); two accounts of 5,000 live
each (lognormal:300,1, cap=3600, planner).
`small` = live 300 over 20 flows, lognormal:20,1,cap=600, steady, planner
and interval; then a burst of 250 (planner). `classic` = the bursts N = 10,
100, 250 (planner), 1000, 10000 of one flow, runs of 20–60 s (also what no
flags run).

### How long a run takes

The issue asks for defaults that run in under 30 minutes on this 2-core
machine. With these shapes that is out of reach, by arithmetic: a steady
scenario is measured for 3 median runs after its live count is started, and
the arrival rate that keeps N live is N ÷ mean run (a lognormal's mean is its
median × e^(σ²/2), 1.65 × the median at σ = 1).

What bounds the arrival rate here is the apiserver, not the cloud. Each run
costs about 10 apiserver writes: its creation, the execution name recorded
before StartExecution, the finalizer, the Starting, Running and ended statuses,
the Started and ended Events, and for the 30 s TTL the finalizer's removal and
the deletion. On this machine the apiserver took about 260 writes a second
(130% of the 2 cores, etcd, the operator and the harness the rest), so about
26 runs a second: with a 180 s median (34 arrivals a second at 10,000 live)
the operator's starts fell behind and the live count was never reached.
10,000 live at 26 runs a second needs a mean run of 385 s, a median of at
least 233 s: 300 s here (20.2 arrivals a second, a fifth below the limit), a
15-minute window. The 2,000-live scenario keeps 180 s (6.7 arrivals a second).
Three 10,000 scenarios take 3 × (15 + about 12 to start the live count, drain
and clean up) ≈ 81 minutes, the 2,000 one about 15: about 96 minutes. A
shorter median raises the arrival rate past what the machine (and, below a
60 s median, StartExecution's 90/s with headroom) can start.

## How it is measured

- One process runs the harness: a local control plane (etcd and kube-apiserver
  from `devcluster`), and per scenario a fresh fnf emulator with the
  **documented quotas** (DescribeExecution and GetExecutionHistory burst 50 at
  5/s, StartExecution 100/s, other actions including ListExecutions burst 10 at
  2/s; over quota: 429 `ResourceThrottled`), per account.
- The operator runs as **its own process** per scenario (`fnf-bench operator
  run …`, the same code as `fnf-operator run`, default flags: 16 concurrent
  reconciles, steps followed, 10% quota headroom), watching only the
  scenario's fresh namespace.
- **Status lag** of one execution = the moment a `kube::runtime::watcher` on the
  namespace first receives the object with a terminal `status.phase` − the
  emulator's `StoppedTime` (same clock). It includes the operator noticing the
  end, its status write, and the watch delivering it.
- An execution not seen by the close counts as lagging at least (close − its
  end); a quantile such a bound could still move is shown as `≥`. *measured*:
  executions whose lag counts; *unseen*: their share not seen by the close.
- *floor p99*: the model below; *p99/floor*: the ratio (a floor under 0.1 s
  counts as 0.1 s: the write and the watch alone take about that).
- *read p99 ≤ s*: the operator's own p99 of StoppedTime → the read that found
  the end (`fnf_operator_ending_seen_lag_seconds`, bucket bound); the rest of
  the lag is the status write and the watch.
- *Describe/s*, *List/s*: calls the emulator answered per second, all
  accounts; *429s*: calls refused over quota (every action); per action in the
  last table.
- *writes/exec*: the operator's status writes (`fnf_operator_status_writes_total`)
  per FlowExecution created; *transitions+1*: the distinct (phase, current step)
  states the watch saw per object, plus one (a watch can merge two quick
  changes, so this can undercount).
- *peak RSS* and *CPU s* are the **operator process's** (`VmHWM` and
  utime+stime from `/proc/PID`).

## The floor

The best p99 any scheme could reach, per account (accounts are alike: the
executions are dealt round robin and each has the same flows). Assumptions:

1. **Long-polls.** The operator's share of the DescribeExecution quota is
   0.9 × 5 = {calls:.1} calls a second. A long-poll waits up to 60 s, so keeping
   one waiting on an execution for its whole run takes m = E[⌈run/60 s⌉]
   calls (its first one, then one a minute; computed from the run-time
   distribution). An ending with one waiting is seen at once (lag 0). Runs long
   next to a minute make this {slots:.0} executions held at once (0.9 × 5 × 60);
   short runs spend the budget on first calls. For a burst, m = live ÷
   (60 × endings/s), i.e. the {slots:.0} slots.
2. **Pages.** Any other ending is found by a ListExecutions page of its flow
   (one flow per page, ≤ 100 items), L = 0.9 × 2/s = {pages:.1} pages a second
   per account. A page is assumed to hold only endings not yet seen (a perfect
   scheme never re-pages one), and DescribeExecution calls beyond the slots are
   neglected (4.5/s finds at most 4.5 endings a second). The buckets' bursts
   (50 and 10 calls) matter only for a few seconds and are left out; the
   cloud's cap of 10,000 running executions per account does not bind (no
   scenario runs more than that per account).
3. **Endings.** In a steady state endings/s E = live ÷ mean run time (Little's
   law; or the arrival rate when given), flow k getting its share p_k of them
   and of the live count. A burst's endings are spread evenly over its run
   times (uniform A–B: E = N ÷ (B − A) for B − A seconds).
4. **Best long-poll assignment.** Whole flows are held, smallest first, while
   their cost (endings/s × m) fits in the budget: such a flow needs no page
   at all. The calls left over hold a random sample of the other flows'
   executions (share h = leftover ÷ m ÷ their endings/s), answering that share
   of their endings at once. The zero-lag share z is the held flows' endings
   plus h of the rest.
5. **Best page schedule.** A flow visited u times a second finds its endings
   with a lag uniform over [0, 1/u], so a share x·u of them within x seconds,
   and costs max(u, e_k/100) pages a second (e_k its paged endings/s). p99 ≤ x
   needs (0.99 − z)·E endings a second found within x. The cheapest way: visit
   the flows with the most paged endings every x seconds, the next one just
   often enough to make up the rest, and the others only as often as their
   endings fill pages (every ending must be found eventually: Σ e_k/100 pages
   a second at least). The floor is the least x whose cost fits in L:

   Σ_k e_k/100 + Σ_(flows visited every x) max(0, 1/x − e_k/100) + (the partly
   visited flow's share f of its endings) max(0, f/x − e_k/100) ≤ L.

   If Σ e_k/100 ≥ L, pages cannot keep up in a steady state: no floor (∞). In
   a burst they catch up after it: first come first served, the ending q of the
   way through a burst of T seconds waits q·T·(E′/(100·L) − 1), plus one
   round of the paged flows (K′/L), with q = (0.99 − z)·E/E′ and E′ the paged
   endings/s.
6. **Re-paging and final statuses** (steady states only). Step 5 lets a page
   hold only new endings, each with its final status; a real page cannot:
   ListExecutions selects by flow, start time and status, never by *not yet
   seen*; and each call reads one flow. Every cost below is per run started
   a second of one flow (times its e_k runs a second). With F(a) the share
   of runs over by age a, S = 1 − F and f the share ending a second of age,
   each second of age of each start second goes one of four ways:
   - **terminal-status visits** every x: a visit reads the ended runs, at
     least F(a) items (the visit that finds an ending at age a comes at an
     age in [a, a + x]), every ending so far with its final status:
     F(a)/(100·x) pages a second of age;
   - **`Running` visits** every x: a visit reads the live runs, at least
     S(a + x) items; an ending shows only by its absence, and its final
     status then costs a DescribeExecution call (a terminal-status listing
     of that second would read its ended runs again, which alone would
     have found the ending): S(a + x)/(100·x) pages and f(a) describes;
   - **held**: every live run has a DescribeExecution waiting or made within
     x of its ending; a call covers at most 60 + x seconds of one run (a
     long-poll waits 60 s, and an ending just after it is still found in
     time by a call up to x later): S(a)/(60 + x) describes;
   - **skipped**: among the 1% not counted.

   A flow any of whose ages is visited is visited every x, and each visit is
   a call, however few items it reads: max(1/x, its items ÷ 100) pages a
   second. (Visited with gaps g > x, it finds x/g of those endings in time
   at x/g of the cost: the same as being visited every x for that share of
   the time, so mixing is all a schedule can do.) A flow never visited has
   only held and skipped ages.

   Describes pay for long-polls and final statuses alike, so there are two
   budgets, L = 1.8 pages and B = 4.5 describes a second, and the 99% to
   count. Prices fold them into one sum: for any μ ≥ 0 pages a describe and
   λ ≥ 0 pages an ending counted, a schedule within both budgets counting
   0.99·E endings has pages + μ·(describes − B) − λ·(counted − 0.99·E) ≤ L.
   The left side is at least Σ_k D_k + λ·0.99·E − μ·B, D_k being the least
   pages + μ·describes − λ·counted flow k can have: unvisited, e_k Σ_a
   min(0, held − λ·f); visited, at least the larger of 1/x − λ·e_k (its
   calls, every ending counted) and e_k Σ_a min(0, cheapest way − λ·f) (its
   items); the smaller of the two (2,000 slices of the run-time
   distribution). A deadline x is out of reach as soon as one pair (μ, λ)
   makes the sum exceed L; the bound is the least x no pair rules out
   (searched on a grid and refined by golden section; any pair found proves
   what it shows). With one flow whose calls cost less than its items this
   is the fractional knapsack of the slices cheapest per ending, as before
   calls were charged. The floor is the larger of this and step 5's x (each
   a lower bound on its own). Long-polls are traded here, not fixed: this
   step does not use step 4's split, and may hold any ages of any run.

   Assumed: a listing reads whole start seconds of a flow, so it cannot pick
   out the absent runs (a narrower listing, by exact start time or name
   prefix, is a call of its own; it would be cheaper than a describe only
   where several absences sit together with few ended runs between them,
   and is not considered). Neglected, which only lowers the bound: a page's
   rounding up beyond the first (a visit is charged its items ÷ 100 past
   one call), a second listing in one visit (terminal status and `Running`
   are two calls), and a long-poll's first call (a run held for 10 s is
   charged 10/(60 + x) of a call).

   Examples (runs uniform over 100–200 s, t = F(a) = (a − 100)/100, every
   ending to be found; the unit tests in `limits/repaging_bound_tests.rs`):
   at 15 runs a second of one flow, holding the live runs of a second of
   age costs 100(1 − t)/(60 + x) describes per ending, under the one
   describe a `Running` listing needs wherever 1 − t < 0.6: the oldest runs
   are held, the rest listed by terminal status. Describes: 15 × 100(1 −
   t₀)²/(2(60 + x)) = 4.5; pages: 15 × t₀²/(2x) = 1.8; so t₀ = 0.397 and
   x = 0.66 s (1/x = 1.5 calls a second, under the items). Spread over 20
   flows of 0.75 runs a second, a visit reads 37.5 ended runs, under a page,
   so each visited flow costs 1/x; holding a flow whole takes 37.5/(60 + x)
   describes, and the 1% skipped are the held flows' youngest endings, the
   dearest to hold: h flows held, (20 − h)/x = 1.8, so x = 6.46 s with
   h = 8.4. Runs uniform over 100–1100 s end ten times less often, so
   holding costs ten times more per ending: at 3 runs a second of one flow
   `Running` listings take t = 0.535–0.572 and x = 2.66 s. For lognormal
   300 s, σ = 1, capped at 3600, at 20.7 runs a second over 50 flows,
   zipf:1.1 (the 10,000-live scenario): x = 51.19 s, a describe worth 0.16
   pages; 46.46 s before a visit's call was charged, 35.40 s counting
   finding an ending only (no final status).
7. **Mass start** (the burst scenarios that start everything at once): no scheme
   has a long-poll waiting for an execution before its first DescribeExecution,
   and at most 50 + 5t first calls can be placed t seconds after the start
   (the cloud's whole burst, no headroom). Endings before that are paged in
   every flow; if that share u exceeds 1 − z, z becomes 1 − u.
8. Not in the floor: the status write and the watch (tens of ms to a second
   on a loaded apiserver).

A round-robin reference is printed beside it: a round over the K′ paged flows
costs R = Σ max(1, ⌈e_k·R/100⌉)/L seconds; the p99 of round robin is then
R·(0.99 − z)/(1 − z). The floor is lower when flows are skewed (the big flows
are visited more often) and equal to it (times 0.99) when they are alike.

**Worked example** (the unit test `small_flows_go_wholly_to_slots_and_the_rest_share_the_pages`):
10 alike flows, 20 endings a second (2 per flow), each run needing m = 5/3
long-polls. One whole flow costs 2 × 5/3 = 3.33 calls/s ≤ 4.5, two do not;
the 1.167 calls/s left hold 0.7 endings/s of the other 18: h = 0.0389. Nine flows are paged at e = 2 × (1 − 0.0389) = 1.9222/s each, 17.3/s in
all; z = 1 − 17.3/20 = 0.135. p99 needs (0.99 − 0.135) × 20 = 17.1/s found
within x: eight whole flows (15.378/s) and 1.722/1.922 = 0.896 of the ninth.
Cost: 17.3/100 for all endings, plus 8 × (1/x − 0.0192) + (0.896/x − 0.0192) =
0.173 + 8.896/x − 0.173 ≤ 1.8, so x = 8.896/1.8 = **4.94 s**. Round robin: 9
pages a round, R = 5 s, p99 = 5 × 0.855/0.865 = 4.94 s (alike flows: the same).

The **mass start's floor** is the larger of the StartExecution quota (N ÷
(0.9 × 100/s); the operator's bucket starts empty) and the apiserver: each
start needs {writes} writes (the creation, the execution name recorded before
StartExecution, the finalizer, the started status) at about 3 ms of
kube-apiserver CPU each on this machine, over its cores. For N = 10,000 on 2
cores: max(111 s, 60 s) = 111 s.

## Results

{results}
The machine is shared and has 2 cores: absolute CPU and RSS figures move
with it; the lags of the quota-bound scenarios do not.
",
        writes = limits::floor::WRITES_PER_START,
        calls = limits::floor::describe_calls_per_sec(),
        results = report::markdown_results(results, ctx),
    )
}
