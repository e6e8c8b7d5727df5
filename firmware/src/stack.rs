//! Peak stack use, measured: cortex-m-rt's `paint-stack` feature fills the whole stack region
//! (`_stack_end` .. `_stack_start`, see `memory.x`) with `0xCCCC_CCCC` at reset, before `main`;
//! [`usage`] finds the lowest word that no longer holds the paint. Everything above it has been
//! written at some point of the run, so the distance to the top is the peak (a lower bound only
//! if a frame reserved space it never wrote, which then was not needed either).

use cortex_m_rt::STACK_PAINT_VALUE;

/// Stack figures of the run so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackUsage {
    /// The deepest the stack has been, in bytes.
    pub peak: usize,
    /// The stack region's size, in bytes.
    pub size: usize,
}

// The bounds of the stack region, defined by `memory.x`. Declaring foreign statics is unsafe by
// nature (the compiler cannot check their type); only their addresses are taken, never their
// values.
#[allow(unsafe_code)]
unsafe extern "C" {
    static _stack_end: u32;
    static _stack_start: u32;
}

/// Scans the painted region from its bottom and returns the peak stack use so far.
#[must_use]
pub fn usage() -> StackUsage {
    // Taking the address of a foreign static is safe; the addresses are the linker's symbols.
    let bottom = (&raw const _stack_end) as usize;
    let top = (&raw const _stack_start) as usize;
    let mut addr = bottom;
    while addr < top {
        // The one unavoidable `unsafe` of the firmware: the memory scanned belongs to no Rust
        // object (it is the unused part of the stack, or frames that have returned), so no safe
        // reference to it can exist.
        // SAFETY: `addr` is 4-byte aligned (the region's bounds are, and the scan steps by 4),
        // inside mapped RAM (the bounds come from `memory.x`) and below the live frames; a
        // volatile u32 read of it has no side effect, and any bit pattern is a valid u32.
        #[allow(unsafe_code)]
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != STACK_PAINT_VALUE {
            break;
        }
        addr += 4;
    }
    StackUsage { peak: top - addr, size: top - bottom }
}
