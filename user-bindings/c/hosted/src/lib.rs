//! The hosted kernel as a C library, `libbpf_hosted.a`. It links in place
//! of the system call (`sys_linux.c`), so a C program written against
//! `<bpf/bpf.h>` runs, unchanged, against a kernel-bpf in its own process:
//! `ccbpf --hosted` makes that choice when linking.
//!
//! - `rcbpf_sys_bpf`: bpf(2), served by the in-process kernel. Its user
//!   memory is the whole process, so a bad pointer is `EFAULT`, as from the
//!   real system call.
//! - `close`: a program closes map and program fds with `close(2)`, as on
//!   Linux. This one closes the in-process kernel's fds there and passes
//!   every other fd to the system call.
//! - `rcbpf_hosted_run`: runs the simulated kernel's workload, so that
//!   programs attached to its probes fire.

// The C ABI: exported, unmangled symbols.
#![allow(unsafe_code)]

use kernel_bpf::hosted::{possible_cpus, sim, Hosted};
use kernel_bpf::Bpf;
use std::ffi::{c_int, c_long, c_uint, c_void};
use std::sync::{Arc, Mutex, OnceLock};

struct State {
    bpf: Arc<Bpf<Hosted>>,
    /// The simulated kernel, made on the first `rcbpf_hosted_run`.
    sim: Mutex<Option<sim::Kernel>>,
}

static STATE: OnceLock<State> = OnceLock::new();

fn state() -> &'static State {
    STATE.get_or_init(|| State {
        bpf: Arc::new(Bpf::new(Hosted::whole_process(possible_cpus()))),
        sim: Mutex::new(None),
    })
}

/// bpf(2) in the process: the command's result, or a negative errno.
///
/// # Safety
/// None beyond the system call's: the kernel reads and writes `attr`
/// (and the pointers in it) through checked copies.
// SAFETY: a unique name of this library's C API.
#[unsafe(no_mangle)]
pub extern "C" fn rcbpf_sys_bpf(cmd: c_int, attr: *mut c_void, size: c_uint) -> c_long {
    match state().bpf.sys_bpf(cmd as u32, attr as u64, size) {
        Ok(v) => v as c_long,
        Err(e) => -c_long::from(e.raw()),
    }
}

/// close(2): an fd of the in-process kernel is closed there, any other by
/// the system call.
// SAFETY: this replaces libc's `close` in programs linked with this
// library, with the same contract: 0, or -1 with errno set.
#[unsafe(no_mangle)]
pub extern "C" fn close(fd: c_int) -> c_int {
    if let Some(s) = STATE.get() {
        if let Ok(fd) = u32::try_from(fd) {
            if s.bpf.objects().get(fd).is_ok() {
                return match s.bpf.close(fd) {
                    Ok(()) => 0,
                    Err(e) => {
                        set_errno(e.errno().raw());
                        -1
                    }
                };
            }
        }
    }
    // SAFETY: the close system call takes any number; it sets errno itself.
    unsafe { libc::syscall(libc::SYS_close, c_long::from(fd)) as c_int }
}

/// Runs `steps` steps of the simulated kernel's workload (its system
/// calls fire the probes programs are attached to).
// SAFETY: a unique name of this library's C API.
#[unsafe(no_mangle)]
pub extern "C" fn rcbpf_hosted_run(steps: u64) {
    let s = state();
    let mut sim = s.sim.lock().unwrap_or_else(|e| e.into_inner());
    sim.get_or_insert_with(|| sim::Kernel::new(s.bpf.clone(), 1))
        .run(steps, &mut |_| {});
}

fn set_errno(e: i32) {
    // SAFETY: libc's thread-local errno, always valid to write.
    unsafe { *libc::__errno_location() = e };
}
