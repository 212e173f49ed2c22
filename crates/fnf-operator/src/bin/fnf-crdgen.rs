//! Prints the FlowExecution, Flow and CronFlowExecution CRDs generated from the
//! Rust types (and the admission policy on its input's depth), or with `--write` writes them to
//! `crds/` and the chart's `crds/`.

fn main() -> anyhow::Result<()> {
    let files = fnf_operator::crd::generated_files()?;
    if std::env::args().any(|a| a == "--write") {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        for (path, text) in files {
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)?;
            eprintln!("wrote {}", path.display());
        }
    } else {
        // Each document once: the chart's copies are the same text.
        let mut printed = std::collections::BTreeSet::new();
        let documents: Vec<String> = files
            .into_iter()
            .map(|(_, text)| text)
            .filter(|text| printed.insert(text.clone()))
            .collect();
        print!("{}", documents.join("---\n"));
    }
    Ok(())
}
