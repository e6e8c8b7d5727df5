//! Writes the seed corpora to `fuzz/corpus/<target>/` (deterministic: the same files every run).
//!
//! ```sh
//! cargo run -p coffer-fuzz-bodies --bin make_corpus
//! ```
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a developer tool: a failure stops it loudly

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    for (target, _) in coffer_fuzz_bodies::TARGETS {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("create corpus folder");
        let seeds = coffer_fuzz_bodies::corpus::seeds(target);
        for (name, bytes) in &seeds {
            std::fs::write(dir.join(name), bytes).expect("write seed");
        }
        println!("{target}: {} seeds in {}", seeds.len(), dir.display());
    }
}
