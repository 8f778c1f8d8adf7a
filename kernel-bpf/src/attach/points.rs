//! The points in use: by target for BPF_PROG_ATTACH and DETACH, by id for
//! firing. A point's probe is registered with the platform when its first
//! program attaches and unregistered when its last one detaches, so a point
//! with nothing attached costs the OS nothing.

use super::target::{ProbeKind, Target};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::prog::Program;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// A point's number, which the platform passes back to
/// [`Bpf::fire`](crate::Bpf::fire).
pub type PointId = u32;

/// What the platform is asked to arm.
#[derive(Clone, Copy, Debug)]
pub struct ProbeSpec<'a> {
    /// The number to fire it with.
    pub id: PointId,
    /// What kind of point.
    pub kind: ProbeKind,
    /// The function (its address is `addr`), `category:name` of a
    /// tracepoint, or a raw tracepoint's name.
    pub name: &'a str,
    /// The function's address (0 for tracepoints).
    pub addr: u64,
}

/// A program attached to a point.
pub struct Attached {
    /// The program.
    pub prog: Arc<Program>,
    /// Whether it gets `struct bpf_probe_ctx` (BPF_F_RCORE_PROBE_CTX).
    pub rcore_ctx: bool,
    /// Runs so far.
    pub runs: AtomicU64,
    /// Runs that ended in an error (a fault the interpreter caught).
    pub errors: AtomicU64,
}

/// One point: its target, address and programs in attach order.
pub(crate) struct Point {
    pub(crate) target: Target,
    pub(crate) addr: u64,
    /// Replaced whole on attach and detach, so a firing CPU takes one
    /// reference and runs a stable list.
    pub(crate) progs: spin::RwLock<Arc<[Arc<Attached>]>>,
}

/// Every point in use.
#[derive(Default)]
pub struct Points {
    /// Attach and detach are serialised by this lock.
    by_target: spin::Mutex<BTreeMap<Target, PointId>>,
    by_id: spin::RwLock<Vec<Option<Arc<Point>>>>,
    /// Run contexts of finished firings, reused by the next ones.
    pub(crate) scratch: spin::Mutex<Vec<crate::prog::interp::mem::Memory>>,
}

/// One point's state, for listings.
#[derive(Clone, Debug)]
pub struct PointInfo {
    /// Its number.
    pub id: PointId,
    /// Its target.
    pub target: Target,
    /// The function's address (0 for tracepoints).
    pub addr: u64,
    /// `(program id, runs, errors)` in attach order.
    pub progs: Vec<(u32, u64, u64)>,
}

impl Points {
    pub(crate) fn get(&self, id: PointId) -> Option<Arc<Point>> {
        self.by_id.read().get(id as usize).cloned().flatten()
    }

    /// Attaches `prog` to `target`, registering the point's probe first if
    /// it is new.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the program type does not fit the
    /// point, [`Error::NotFound`] for an unknown function (or whatever the
    /// platform refuses a probe with), [`Error::Again`] if the program is
    /// already attached there.
    pub fn attach<P: Platform>(
        &self,
        platform: &P,
        target: Target,
        prog: Arc<Program>,
        rcore_ctx: bool,
    ) -> Result<PointId> {
        if !target.kind.accepts(prog.prog_type) || (rcore_ctx && !target.kind.is_function()) {
            return Err(Error::InvalidArgument);
        }
        // A kprobe program is verified against the larger of the two
        // contexts it may get: this one must hold what it reads.
        let ctx_len = if rcore_ctx {
            crate::prog::verify::ctx::PROBE_CTX
        } else {
            crate::prog::verify::ctx::PT_REGS
        };
        if target.kind.is_function() && prog.verified.ctx_end > ctx_len {
            return Err(Error::InvalidArgument);
        }
        let mut by_target = self.by_target.lock();
        let id = match by_target.get(&target) {
            Some(&id) => id,
            None => {
                let addr = if target.kind.is_function() {
                    platform.symbol_addr(&target.name).ok_or(Error::NotFound)?
                } else {
                    0
                };
                let mut by_id = self.by_id.write();
                let id = by_id.iter().position(Option::is_none).unwrap_or(by_id.len());
                let id = PointId::try_from(id).map_err(|_| Error::NoSpace)?;
                platform.register_probe(&ProbeSpec {
                    id,
                    kind: target.kind,
                    name: &target.name,
                    addr,
                })?;
                let point = Arc::new(Point {
                    target: target.clone(),
                    addr,
                    progs: spin::RwLock::new(Arc::from(Vec::new())),
                });
                if id as usize == by_id.len() {
                    by_id.push(Some(point));
                } else {
                    by_id[id as usize] = Some(point);
                }
                by_target.insert(target, id);
                id
            }
        };
        let point = self.get(id).ok_or(Error::NotFound)?;
        let mut progs = point.progs.write();
        if progs.iter().any(|a| Arc::ptr_eq(&a.prog, &prog)) {
            return Err(Error::Again);
        }
        let mut next: Vec<Arc<Attached>> = progs.to_vec();
        next.push(Arc::new(Attached {
            prog,
            rcore_ctx,
            runs: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }));
        *progs = Arc::from(next);
        Ok(id)
    }

    /// Detaches `prog` (or, with `None`, every program) from `target`;
    /// unregisters the probe when nothing is left there.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the point or the program is not attached.
    pub fn detach<P: Platform>(&self, platform: &P, target: &Target, prog: Option<&Arc<Program>>) -> Result<()> {
        let mut by_target = self.by_target.lock();
        let &id = by_target.get(target).ok_or(Error::NotFound)?;
        let point = self.get(id).ok_or(Error::NotFound)?;
        let left = {
            let mut progs = point.progs.write();
            let next: Vec<Arc<Attached>> = progs
                .iter()
                .filter(|a| prog.is_some_and(|p| !Arc::ptr_eq(&a.prog, p)))
                .cloned()
                .collect();
            if next.len() == progs.len() {
                return Err(Error::NotFound);
            }
            let left = next.len();
            *progs = Arc::from(next);
            left
        };
        if left == 0 {
            platform.unregister_probe(&ProbeSpec {
                id,
                kind: target.kind,
                name: &target.name,
                addr: point.addr,
            });
            by_target.remove(target);
            self.by_id.write()[id as usize] = None;
        }
        Ok(())
    }

    /// Every point in use, by id.
    pub fn list(&self) -> Vec<PointInfo> {
        self.by_id
            .read()
            .iter()
            .enumerate()
            .filter_map(|(id, p)| {
                let p = p.as_ref()?;
                let progs = p
                    .progs
                    .read()
                    .iter()
                    .map(|a| {
                        (
                            a.prog.id,
                            a.runs.load(Ordering::Relaxed),
                            a.errors.load(Ordering::Relaxed),
                        )
                    })
                    .collect();
                Some(PointInfo {
                    id: id as PointId,
                    target: p.target.clone(),
                    addr: p.addr,
                    progs,
                })
            })
            .collect()
    }
}
