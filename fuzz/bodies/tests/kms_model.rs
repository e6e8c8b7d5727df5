//! The kms_model target's own checks: its byte encoding round-trips, every scenario decodes to
//! itself and runs clean, and pseudo-random inputs run clean.

// Test code: helpers fail by panicking; std is what a test uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core)]

use coffer_fuzz_bodies::corpus::kms_model_scenarios;
use coffer_fuzz_bodies::kms_model::{self, MAX_OPS, decode, encode};

#[test]
fn scenarios_encode_to_bytes_that_decode_back() {
    for (name, ops) in kms_model_scenarios() {
        let bytes = encode(&ops);
        let expected: Vec<_> = ops.iter().copied().take(MAX_OPS).collect();
        assert_eq!(decode(&bytes), expected, "scenario {name}");
    }
}

#[test]
fn scenarios_run_clean() {
    for (_, ops) in kms_model_scenarios() {
        kms_model::run(&encode(&ops));
    }
}

/// A fixed pseudo-random walk (xorshift): arbitrary bytes must give agreement, never a panic.
#[test]
fn pseudo_random_inputs_run_clean() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let cases: usize = std::env::var("KMS_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    for _ in 0..cases {
        let len = usize::try_from(state % 400).unwrap();
        let data: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        kms_model::run(&data);
    }
}
