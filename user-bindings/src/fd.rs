//! Owned fds and the typed API's error.

use crate::{Errno, Sys};
use alloc::string::String;
use core::fmt;

/// An fd that bpf(2) returned, closed when dropped.
///
/// ```
/// use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
/// let sys = Process::new(2);
/// let map = Map::create(&sys, &MapSpec::new(MapType::Array, 4, 8, 1)).unwrap();
/// let fd = map.fd().raw();
/// drop(map);
/// assert_eq!(sys.bpf.objects().get(fd).is_err(), true, "closed with its owner");
/// ```
#[derive(Debug)]
pub struct Fd<S: Sys> {
    fd: u32,
    sys: S,
}

impl<S: Sys> Fd<S> {
    /// Takes ownership of `fd`, which `sys` returned.
    ///
    /// ```
    /// use user_bindings::{hosted::Process, Fd};
    /// let sys = Process::new(1);
    /// let owned = Fd::new(sys.clone(), 12345);
    /// assert_eq!(owned.raw(), 12345);
    /// ```
    pub fn new(sys: S, fd: u32) -> Fd<S> {
        Fd { fd, sys }
    }

    /// The fd number.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, Fd};
    /// let fd = Fd::new(Process::new(1), 7);
    /// assert_eq!(fd.raw(), 7);
    /// ```
    pub fn raw(&self) -> u32 {
        self.fd
    }

    /// The kernel it belongs to.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, Fd, Sys};
    /// let fd = Fd::new(Process::new(3), 7);
    /// assert_eq!(fd.sys().possible_cpus(), 3);
    /// ```
    pub fn sys(&self) -> &S {
        &self.sys
    }
}

impl<S: Sys> Drop for Fd<S> {
    fn drop(&mut self) {
        // A close that fails leaves nothing to undo.
        let _ = self.sys.close(self.fd);
    }
}

/// A failed command: what was asked, the errno, and for program loads the
/// verifier's log.
///
/// ```
/// use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::{Errno, MapType}};
/// let err = Map::create(&Process::new(1), &MapSpec::new(MapType::Hash, 0, 8, 1)).unwrap_err();
/// assert_eq!(err.errno, Errno::EINVAL.raw());
/// assert_eq!(err.to_string(), "BPF_MAP_CREATE: errno 22");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The command or operation.
    pub what: &'static str,
    /// The errno (positive).
    pub errno: Errno,
    /// The verifier's log, for a program load (else empty).
    pub log: String,
}

impl Error {
    /// An error without a log.
    ///
    /// ```
    /// # use user_bindings::Error;
    /// assert_eq!(Error::new("BPF_MAP_CREATE", 1).errno, 1);
    /// ```
    pub fn new(what: &'static str, errno: Errno) -> Error {
        Error {
            what,
            errno,
            log: String::new(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: errno {}", self.what, self.errno)?;
        if !self.log.is_empty() {
            write!(f, "\n{}", self.log)?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// The result of the typed API.
pub type Result<T> = core::result::Result<T, Error>;
