//! Prints the FlowExecution CRD generated from the Rust types, or with `--write`
//! writes it to `crds/` and the chart's `crds/`.

fn main() -> anyhow::Result<()> {
    let yaml = fnf_operator::crd::crd_yaml()?;
    if std::env::args().any(|a| a == "--write") {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for path in fnf_operator::crd::CRD_PATHS {
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, &yaml)?;
            eprintln!("wrote {}", path.display());
        }
    } else {
        print!("{yaml}");
    }
    Ok(())
}
