//! What both firmwares share: the demo-only random generator, the peak-stack measurement, the
//! report over semihosting, and the fault handlers that turn a panic or a fault into a failing
//! exit status (so that QEMU, and CI, see it).
//!
//! `unsafe` appears in two places, each with the reason: the stack scan in [`stack`] (and the
//! declaration of the linker symbols it reads), and the HardFault handler's signature, which
//! cortex-m-rt requires. Every other line of the firmware is safe code. No interrupt is enabled;
//! cortex-m-rt's default handler (a loop) would show as a hang, which CI's timeout catches.

#![no_std]
#![deny(unsafe_code)]

pub mod rng;
pub mod stack;

use core::fmt;
use core::panic::PanicInfo;

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use cortex_m_semihosting::hprintln;

/// A step of a firmware's run failed: what was being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed(pub &'static str);

/// `Ok(())` if `condition` holds, else [`Failed`] naming `what`.
///
/// # Errors
/// [`Failed`] when `condition` is false.
pub fn ensure(condition: bool, what: &'static str) -> Result<(), Failed> {
    if condition { Ok(()) } else { Err(Failed(what)) }
}

/// Turns any error into [`Failed`] after printing it (Coffer's errors and the primitives' carry
/// no key bytes or plaintext in their Debug output).
///
/// # Errors
/// [`Failed`] naming `what` when `result` is an error.
pub fn check<T, E: fmt::Debug>(result: Result<T, E>, what: &'static str) -> Result<T, Failed> {
    result.map_err(|e| {
        hprintln!("  error in {}: {:?}", what, e);
        Failed(what)
    })
}

/// Prints one line of the run's report, with the peak stack so far (the peak only grows, so the
/// step whose line first shows a figure is the step that reached it).
pub fn report(args: fmt::Arguments<'_>) {
    hprintln!("[stack {:>6}] {}", stack::usage().peak, args);
}

/// Ends the run: prints the outcome and the peak stack, then exits QEMU with status 0 on
/// success and 1 on failure.
pub fn finish(name: &str, outcome: Result<(), Failed>) -> ! {
    let stack = stack::usage();
    hprintln!("stack: peak {} bytes of {} (painted at reset, scanned now)", stack.peak, stack.size);
    match outcome {
        Ok(()) => {
            hprintln!("{}: OK", name);
            exit(true)
        }
        Err(Failed(what)) => {
            hprintln!("{}: FAILED at: {}", name, what);
            exit(false)
        }
    }
}

/// Exits QEMU through semihosting; on a board without a debugger attached, halts.
fn exit(success: bool) -> ! {
    debug::exit(if success { EXIT_SUCCESS } else { EXIT_FAILURE });
    loop {
        cortex_m::asm::bkpt();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("PANIC: {}", info);
    exit(false)
}

/// Any fault ends the run as a failure instead of looping until CI's timeout. A stack overflow
/// does not get here: the stack sits at the bottom of RAM (see `memory.x`), so the exception
/// entry cannot push its frame either, and QEMU stops with a lockup (exit status 134), which
/// fails the run as well.
// `unsafe fn` is what cortex-m-rt's `#[exception]` requires of a HardFault handler (it runs with
// whatever state the fault left); the body is safe code.
#[allow(unsafe_code)]
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HARD FAULT at pc {:#010x}", frame.pc());
    exit(false)
}
