//! Where the report's files go and writing them: `report.md`,
//! `report.json` and one SVG chart per workload and metric, in
//! `target/compare/` of the workspace unless `--out` says otherwise.

use std::path::{Path, PathBuf};

use super::{chart, json, markdown, Report};

/// `compare/` in the target directory: `$CARGO_TARGET_DIR` when set (as
/// cargo reads it, relative to the current directory), else the
/// workspace's `target/`.
pub fn default_dir() -> PathBuf {
    target_dir(std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from)).join("compare")
}

fn target_dir(from_env: Option<PathBuf>) -> PathBuf {
    match from_env {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        // The compare crate sits one level below the workspace root.
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
}

/// Writes every file of `report` into `dir` (created if missing) and
/// returns their paths, the report first. An error names the file.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // The paths are printed for the user: without the "compare/.." of
    // the default.
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut written = Vec::new();
    let mut write = |name: &str, text: &str| -> Result<(), String> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
        Ok(())
    };
    write("report.md", &markdown::render(report))?;
    write("report.json", &json::render(report))?;
    for table in &report.tables {
        for (i, metric) in table.workload.metrics.iter().enumerate() {
            if let Some(svg) = chart::svg(table, i, report.results.repeats)? {
                write(&chart::file_name(table.workload.name, metric.name), &svg)?;
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testing::{fake_workloads, machine, FRAME};
    use crate::report::Results;
    use crate::Mode;

    #[test]
    fn the_target_dir_comes_from_the_env_or_the_workspace() {
        assert_eq!(
            target_dir(Some(PathBuf::from("/tmp/t"))),
            PathBuf::from("/tmp/t")
        );
        let fallback = target_dir(Some(PathBuf::new()));
        assert!(fallback.ends_with("../target"), "{fallback:?}");
        assert_eq!(target_dir(None), fallback);
    }

    #[test]
    fn writes_the_report_json_and_a_chart_per_measured_metric() {
        let dir = std::env::temp_dir().join(format!("compare-test-{}", std::process::id()));
        let mut results = Results::new(Mode::Smoke, 1, &fake_workloads(), &[FRAME]);
        results.record(0, FRAME, Ok(vec![1.0, 2.0]));
        results.record(1, FRAME, Err("oom".into()));
        let written = write_all(&Report::new(results, machine()), &dir).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "report.md",
                "report.json",
                "spin-ns_task.svg",
                "spin-tasks_s.svg"
            ]
        );
        assert!(written.iter().all(|p| p.is_file()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_dir_is_a_clear_error() {
        let file = std::env::temp_dir().join(format!("compare-file-{}", std::process::id()));
        std::fs::write(&file, "").unwrap();
        let results = Results::new(Mode::Smoke, 1, &fake_workloads(), &[FRAME]);
        let error = write_all(&Report::new(results, machine()), &file.join("sub")).unwrap_err();
        assert!(error.starts_with("cannot create "), "{error}");
        std::fs::remove_file(&file).unwrap();
    }
}
