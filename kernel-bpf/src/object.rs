//! The object table: fds of maps (and, later, programs and links), as
//! reference-counted objects.
//!
//! An fd names one object until it is closed; fds count up from the
//! platform's first fd and are never reused, so a stale fd can never reach
//! a newer object. An object lives while its fd is open or anything else
//! (a program using a map, a running helper) holds a reference.

use crate::error::{Error, Result};
use crate::map::Map;
use crate::prog::Program;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

/// An object behind an fd.
#[derive(Clone)]
pub enum Object {
    /// A map.
    Map(Arc<dyn Map>),
    /// A loaded program.
    Prog(Arc<Program>),
}

/// fd -> object.
pub struct Objects {
    table: spin::RwLock<BTreeMap<u32, Object>>,
    next_fd: AtomicU32,
    next_id: AtomicU32,
}

impl Objects {
    /// An empty table whose first fd is `first_fd`.
    pub fn new(first_fd: u32) -> Objects {
        Objects {
            table: spin::RwLock::new(BTreeMap::new()),
            next_fd: AtomicU32::new(first_fd),
            next_id: AtomicU32::new(1),
        }
    }

    /// A new object id (ids are separate from fds, as in Linux).
    pub fn next_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds an object and returns its new fd.
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
        self.table.write().insert(fd, obj);
        Ok(fd)
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

    /// Closes `fd` and returns its object (the seed's `bpf_object_remove`).
    pub fn remove(&self, fd: u32) -> Option<Object> {
        self.table.write().remove(&fd)
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
