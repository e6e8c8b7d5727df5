//! Figures that criterion does not record (HSM call counts, peak heap), written as JSON next to
//! criterion's own output, for `report.py`.

use std::path::PathBuf;

/// `<target dir>/coffer-benches`: `CARGO_TARGET_DIR` if set, else this crate's `target/`
/// (where criterion writes `criterion/` too).
pub fn dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    target.join("coffer-benches")
}

/// Writes `value` as `<dir>/<name>.json` and says where.
pub fn write(name: &str, value: &serde_json::Value) {
    let dir = dir();
    std::fs::create_dir_all(&dir).expect("create the figures directory");
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(value).expect("JSON")).expect("write the figures");
    println!("figures written to {}", path.display());
}
