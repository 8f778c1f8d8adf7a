//! The object table: fds of maps and programs, as reference-counted
//! objects, and a registry of every object still alive.
//!
//! An fd names one object until it is closed; fds count up from the
//! platform's first fd and are never reused, so a stale fd can never reach
//! a newer object.
//!
//! # Ownership
//!
//! Two kinds of reference keep an object alive, as in Linux:
//! - a *user reference*: an open fd (later also a pin, a link or an
//!   attachment). Maps count theirs ([`MapDef::get_user`](crate::map::MapDef::get_user));
//! - a *kernel reference*: an `Arc` held by another object or by a run in
//!   flight: a program holds the maps its instructions name, a PROG_ARRAY
//!   holds the programs in its slots, a running program holds itself and
//!   every program it tail-calls into until it returns.
//!
//! Kernel references may form cycles: a program that tail-calls through a
//! PROG_ARRAY holds the array, and the array holds the program (itself, or
//! one that holds it back). Such a cycle is broken where Linux breaks it:
//! when a map's last user reference goes, [`Map::release_users`] drops
//! everything the map holds (a PROG_ARRAY empties its slots). Only maps can
//! hold objects, and what a program holds is fixed at load, so every cycle
//! passes through a map and is broken once no user can reach that map. A
//! PROG_ARRAY refuses new entries once it has no user left, so a store
//! racing with the last close cannot rebuild the cycle.
//!
//! Runs in flight keep what they run: a tail call clones the program out
//! of its slot before it jumps, so clearing the slot mid-run is safe.

use crate::error::{Error, Result};
use crate::map::Map;
use crate::prog::Program;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU32, Ordering};

/// An object behind an fd.
#[derive(Clone)]
pub enum Object {
    /// A map.
    Map(Arc<dyn Map>),
    /// A loaded program.
    Prog(Arc<Program>),
}

impl Object {
    /// Takes a user reference (an fd, a pin, ...).
    fn get_user(&self) {
        if let Object::Map(m) = self {
            m.def().get_user();
        }
    }

    /// Drops a user reference; the last one releases what a map holds.
    fn put_user(&self) {
        if let Object::Map(m) = self {
            if m.def().put_user() {
                m.release_users();
            }
        }
    }

    fn downgrade(&self) -> WeakObject {
        match self {
            Object::Map(m) => WeakObject::Map(Arc::downgrade(m)),
            Object::Prog(p) => WeakObject::Prog(Arc::downgrade(p)),
        }
    }
}

/// A registry entry: sees an object without keeping it alive.
enum WeakObject {
    Map(Weak<dyn Map>),
    Prog(Weak<Program>),
}

impl WeakObject {
    fn is_alive(&self) -> bool {
        match self {
            WeakObject::Map(m) => m.strong_count() > 0,
            WeakObject::Prog(p) => p.strong_count() > 0,
        }
    }
}

/// How many objects are still alive, whoever holds them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Live {
    /// Maps.
    pub maps: usize,
    /// Programs.
    pub progs: usize,
}

/// fd -> object, and every object ever added, weakly.
pub struct Objects {
    table: spin::RwLock<BTreeMap<u32, Object>>,
    /// Objects by insertion order; dead entries are swept as it grows.
    registry: spin::Mutex<Registry>,
    next_fd: AtomicU32,
    next_id: AtomicU32,
}

struct Registry {
    all: alloc::vec::Vec<WeakObject>,
    /// Length after the last sweep: the next sweep comes at twice that.
    swept: usize,
}

impl Objects {
    /// An empty table whose first fd is `first_fd`.
    pub fn new(first_fd: u32) -> Objects {
        Objects {
            table: spin::RwLock::new(BTreeMap::new()),
            registry: spin::Mutex::new(Registry {
                all: alloc::vec::Vec::new(),
                swept: 0,
            }),
            next_fd: AtomicU32::new(first_fd),
            next_id: AtomicU32::new(1),
        }
    }

    /// A new object id (ids are separate from fds, as in Linux).
    pub fn next_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds an object with a new fd (a user reference) and returns the fd.
    ///
    /// # Errors
    /// [`Error::TooManyObjects`] once fds would leave the positive `i32` range.
    pub fn insert(&self, obj: Object) -> Result<u32> {
        let fd = self
            .next_fd
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |fd| {
                (fd < i32::MAX as u32).then_some(fd + 1)
            })
            .map_err(|_| Error::TooManyObjects)?;
        self.register(&obj);
        obj.get_user();
        self.table.write().insert(fd, obj);
        Ok(fd)
    }

    /// Remembers `obj` for [`Objects::live`] (once per object is enough;
    /// more is harmless).
    fn register(&self, obj: &Object) {
        let mut r = self.registry.lock();
        if r.all.len() >= 2 * r.swept.max(32) {
            r.all.retain(WeakObject::is_alive);
            r.swept = r.all.len();
        }
        r.all.push(obj.downgrade());
    }

    /// How many maps and programs are alive: held by an fd, by another
    /// object or by a run in flight. Objects are counted once each.
    pub fn live(&self) -> Live {
        let r = self.registry.lock();
        let mut seen: alloc::collections::BTreeSet<*const ()> = alloc::collections::BTreeSet::new();
        let mut live = Live::default();
        for w in &r.all {
            let (ptr, is_map) = match w {
                WeakObject::Map(m) => (m.as_ptr() as *const (), true),
                WeakObject::Prog(p) => (p.as_ptr() as *const (), false),
            };
            if w.is_alive() && seen.insert(ptr) {
                if is_map {
                    live.maps += 1;
                } else {
                    live.progs += 1;
                }
            }
        }
        live
    }

    /// The object of `fd`.
    ///
    /// # Errors
    /// [`Error::BadFd`] if no object has it.
    pub fn get(&self, fd: u32) -> Result<Object> {
        self.table.read().get(&fd).cloned().ok_or(Error::BadFd { fd })
    }

    /// The map of `fd`.
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if it is not a map.
    pub fn map(&self, fd: u32) -> Result<Arc<dyn Map>> {
        match self.get(fd)? {
            Object::Map(m) => Ok(m),
            Object::Prog(_) => Err(Error::WrongObjectKind { fd }),
        }
    }

    /// The program of `fd`.
    ///
    /// # Errors
    /// [`Error::BadFd`], or [`Error::WrongObjectKind`] if it is not a program.
    pub fn prog(&self, fd: u32) -> Result<Arc<Program>> {
        match self.get(fd)? {
            Object::Prog(p) => Ok(p),
            Object::Map(_) => Err(Error::WrongObjectKind { fd }),
        }
    }

    /// Closes `fd` and returns its object (the seed's `bpf_object_remove`);
    /// its user reference goes with the fd.
    pub fn remove(&self, fd: u32) -> Option<Object> {
        let obj = self.table.write().remove(&fd)?;
        // Outside the table's lock: releasing may free programs and maps.
        obj.put_user();
        Some(obj)
    }

    /// The open fds, in order.
    pub fn fds(&self) -> alloc::vec::Vec<u32> {
        self.table.read().keys().copied().collect()
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.table.read().len()
    }

    /// Whether no fd is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Objects {
    /// The kernel going away closes every fd, so cycles are broken too.
    fn drop(&mut self) {
        let table = core::mem::take(self.table.get_mut());
        for obj in table.into_values() {
            obj.put_user();
        }
    }
}
