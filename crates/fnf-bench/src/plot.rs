//! The lag distribution as a PNG: one CDF per scenario on a log time axis,
//! planner solid and interval dashed. Text needs a TrueType font from the
//! system (plotters' pure-Rust `ab_glyph` renderer, no C libraries); without
//! one there is no plot, and the benchmark says so rather than failing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::BenchError;
use super::args::Strategy;
use super::scenario::ScenarioResult;
use super::stats::seen_cdf;

const WIDTH_PX: u32 = 1100;
const HEIGHT_PX: u32 = 650;
/// Lags below this are drawn at it: a log axis has no zero.
const MIN_LAG_SECS: f64 = 0.001;
const FONT_FAMILY: &str = "sans-serif";
const FONT_CANDIDATES: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];
const SIZE_COLORS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

fn find_font() -> Option<PathBuf> {
    FONT_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| find_ttf(Path::new("/usr/share/fonts"), 4))
}

fn find_ttf(dir: &Path, depth: u32) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut dirs = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("ttf"))
        {
            return Some(path);
        }
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.iter()
        .filter(|_| depth > 0)
        .find_map(|d| find_ttf(d, depth - 1))
}

/// Registers a system font once per process; the bytes live as long as it.
fn ensure_font() -> Result<(), BenchError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let path = find_font()
                .ok_or("no TrueType font under /usr/share/fonts (install fonts-dejavu-core)")?;
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, leaked)
                .map_err(|_| format!("{} is not a usable font", path.display()))
        })
        .clone()
        .map_err(BenchError::Plot)
}

fn plot_err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Plot(e.to_string())
}

/// Draws the CDFs into `path`.
pub fn write_lag_cdf(
    path: &Path,
    results: &[ScenarioResult],
    box_seconds: u64,
) -> Result<(), BenchError> {
    ensure_font()?;
    // One color per workload: its planner and interval runs share it.
    let mut workloads: Vec<String> = Vec::new();
    for r in results {
        let label = r.spec.workload_label();
        if !workloads.contains(&label) {
            workloads.push(label);
        }
    }
    let max_lag = results
        .iter()
        .flat_map(|r| r.lags.iter().map(|l| l.secs))
        .fold(box_seconds as f64, f64::max);
    let x_max = (max_lag * 1.5).max(10.0);

    let root = BitMapBackend::new(path, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Status lag: share of executions whose end was visible in Kubernetes within t",
            (FONT_FAMILY, 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((MIN_LAG_SECS..x_max).log_scale(), 0f64..1.0f64)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("lag t (s, log scale): watch saw the terminal phase − emulator's StoppedTime")
        .y_desc("share of executions")
        .label_style((FONT_FAMILY, 14))
        .draw()
        .map_err(plot_err)?;

    for result in results {
        let workload = result.spec.workload_label();
        let index = workloads.iter().position(|w| *w == workload).unwrap_or(0);
        let color = SIZE_COLORS[index % SIZE_COLORS.len()];
        let mut points: Vec<(f64, f64)> = vec![(MIN_LAG_SECS, 0.0)];
        for (secs, share) in seen_cdf(&result.lags) {
            let x = secs.max(MIN_LAG_SECS);
            let previous = points.last().map_or(0.0, |p| p.1);
            // Steps: the share rises at each lag, not between them.
            points.push((x, previous));
            points.push((x, share));
        }
        let end_share = points.last().map_or(0.0, |p| p.1);
        points.push((x_max, end_share));
        let label = result.spec.label();
        let style = color.stroke_width(2);
        let drawn = match result.spec.strategy {
            Strategy::LongPoll => chart.draw_series(LineSeries::new(points, style)),
            Strategy::Interval => chart.draw_series(DashedLineSeries::new(points, 8, 5, style)),
        }
        .map_err(plot_err)?;
        drawn.label(label).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
        });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT_FAMILY, 14))
        .draw()
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}
