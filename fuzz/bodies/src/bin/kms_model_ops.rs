//! Prints the operations a kms_model input decodes into, one per line (for reading a crash).
//!
//! ```sh
//! cargo run -p coffer-fuzz-bodies --bin kms_model_ops -- fuzz/regressions/kms_model/<file>
//! ```
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a developer tool: a failure stops it loudly

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).expect("read input");
        println!("{path}:");
        for (step, op) in coffer_fuzz_bodies::kms_model::decode(&data).iter().enumerate() {
            println!("  {step:2} {op:?}");
        }
    }
}
