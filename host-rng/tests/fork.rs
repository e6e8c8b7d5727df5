//! A child process never repeats its parent's outputs: after `fork`, the generator's state is
//! the parent's byte for byte, and only the fork epoch tells them apart.
#![allow(unsafe_code)] // fork, pipe, read, write, waitpid and _exit: the test's own process control
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use coffer_host_rng::HostRng;
use rand_core::TryRng;

/// Forks; the child fills 32 bytes from `rng` and sends them back. Returns (parent's, child's)
/// next 32 bytes.
fn outputs_across_a_fork(rng: &mut HostRng) -> ([u8; 32], [u8; 32]) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two c_ints for the kernel to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only runs the generator (no allocation, no locks: its epoch page is
    // already mapped), writes to the pipe and calls `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut out = [0u8; 32];
        let status = match rng.try_fill_bytes(&mut out) {
            // SAFETY: `out` is 32 readable bytes; fds[1] is the pipe's write end.
            Ok(()) if unsafe { libc::write(fds[1], out.as_ptr().cast(), 32) } == 32 => 0,
            _ => 1,
        };
        // SAFETY: ends the child without running the parent's destructors or test harness.
        unsafe { libc::_exit(status) };
    }
    let mut parent = [0u8; 32];
    rng.try_fill_bytes(&mut parent).unwrap();
    let mut child = [0u8; 32];
    // SAFETY: `child` is 32 writable bytes; fds[0] is the pipe's read end.
    let read = unsafe { libc::read(fds[0], child.as_mut_ptr().cast(), 32) };
    let mut status = 0;
    // SAFETY: waits for the child forked above; `status` is a valid c_int.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    // SAFETY: closes the two descriptors made by `pipe` above.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    assert_eq!(read, 32, "the child sent its bytes");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child failed");
    (parent, child)
}

#[test]
fn a_child_does_not_repeat_its_parent() {
    assert!(coffer_host_rng::detects_forks(), "Linux 4.14+ supports MADV_WIPEONFORK");
    let mut rng = HostRng::new();
    let mut warm = [0u8; 12];
    rng.try_fill_bytes(&mut warm).unwrap(); // seeded in the parent
    for _ in 0..8 {
        let (parent, child) = outputs_across_a_fork(&mut rng);
        assert_ne!(parent, child, "the child repeated the parent's bytes");
    }
    // And the parent goes on from its own chain after the children.
    let (parent, child) = outputs_across_a_fork(&mut rng);
    assert_ne!(parent, child);
}
