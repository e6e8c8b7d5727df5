//! placeholder
#![no_std]
#![no_main]
use cortex_m_rt::entry;
#[entry]
fn main() -> ! {
    coffer_firmware::finish("bare-primitives", Ok(()))
}
