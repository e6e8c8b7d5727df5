//! Puts `memory.x` where the linker (through cortex-m-rt's `link.x`) finds it.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn core::error::Error>> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    fs::write(out.join("memory.x"), include_bytes!("memory.x"))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    Ok(())
}
