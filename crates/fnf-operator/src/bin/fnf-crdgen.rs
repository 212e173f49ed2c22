//! Prints the FlowExecution, Flow and CronFlowExecution CRDs generated from the
//! Rust types (and the admission policy on its input's depth), or with `--write` writes them to
//! `crds/` and the chart's `crds/`.

fn main() -> anyhow::Result<()> {
    let yaml = fnf_operator::crd::crd_yaml()?;
    let policy = fnf_operator::crd::input_depth_policy_yaml()?;
    let cron = fnf_operator::crd::cron_crd_yaml()?;
    let flow = fnf_operator::crd::flow_crd_yaml()?;
    if std::env::args().any(|a| a == "--write") {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let files = fnf_operator::crd::CRD_PATHS
            .iter()
            .map(|p| (p, &yaml))
            .chain(fnf_operator::crd::POLICY_PATHS.iter().map(|p| (p, &policy)))
            .chain(fnf_operator::crd::CRON_CRD_PATHS.iter().map(|p| (p, &cron)))
            .chain(fnf_operator::crd::FLOW_CRD_PATHS.iter().map(|p| (p, &flow)));
        for (path, text) in files {
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)?;
            eprintln!("wrote {}", path.display());
        }
    } else {
        print!("{yaml}---\n{policy}---\n{cron}---\n{flow}");
    }
    Ok(())
}
