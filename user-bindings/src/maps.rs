//! Maps in the style of aya and libbpf-rs: a [`Map`] owns its fd and knows
//! its shape; typed views ([`HashMap`], [`LruHashMap`], [`Array`],
//! [`PerCpuHashMap`], [`PerCpuArray`], [`Queue`], [`Stack`],
//! [`ProgramArray`], and the readers [`RingBuf`] and [`PerfEventArray`])
//! check the shape once, then take keys and values as
//! Rust types. Key and value types are plain data (zerocopy's traits), so
//! no call needs `unsafe`.
//!
//! ```
//! use user_bindings::{hosted::Process, maps::HashMap};
//! let sys = Process::new(2);
//! let counts: HashMap<_, u32, u64> = HashMap::create(&sys, 16).unwrap();
//! counts.insert(&7, &1, 0).unwrap();
//! assert_eq!(counts.get(&7, 0).unwrap(), Some(1));
//! assert_eq!(counts.keys().collect::<Result<Vec<_>, _>>().unwrap(), [7]);
//! ```

// The typed views call the low-level layer, whose attrs carry pointers to
// the keys and values here; each call says why they are valid.
#![allow(unsafe_code)]

use crate::fd::{Error, Fd, Result};
use crate::perf::PerfSource;
use crate::{raw, Sys};
use abi::{MapBatchAttr, MapCreateAttr, MapElemAttr, MapInfo, MapType, ObjInfoAttr};
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// What a map is made of, for [`Map::create`].
///
/// ```
/// # use user_bindings::{maps::MapSpec, abi::{MapType, BPF_F_NO_PREALLOC}};
/// let spec = MapSpec { flags: BPF_F_NO_PREALLOC, ..MapSpec::new(MapType::Hash, 4, 8, 1024) };
/// assert_eq!(spec.flags, BPF_F_NO_PREALLOC);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// The type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// BPF_F_* flags.
    pub flags: u32,
    /// Name (cut to 15 bytes).
    pub name: [u8; 16],
    /// For a map of maps, its template's fd.
    pub inner_map_fd: u32,
}

impl MapSpec {
    /// A map of this type and shape, no flags, no name.
    ///
    /// ```
    /// # use user_bindings::{maps::MapSpec, abi::MapType};
    /// let spec = MapSpec::new(MapType::Hash, 4, 8, 64);
    /// assert_eq!(spec.max_entries, 64);
    /// ```
    pub fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapSpec {
        MapSpec {
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            name: [0; 16],
            inner_map_fd: 0,
        }
    }

    /// The same, named.
    ///
    /// ```
    /// # use user_bindings::{maps::MapSpec, abi::MapType};
    /// let spec = MapSpec::new(MapType::Hash, 4, 8, 64).named("counts");
    /// assert_eq!(&spec.name[..7], b"counts\0");
    /// ```
    pub fn named(mut self, name: &str) -> MapSpec {
        self.name = [0; 16];
        let n = name.len().min(15);
        self.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        self
    }
}

/// A map: its fd (closed on drop) and shape.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
/// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Hash, 4, 8, 16).named("counts")).unwrap();
/// assert_eq!((map.key_size(), map.value_size(), map.max_entries()), (4, 8, 16));
/// ```
#[derive(Debug)]
pub struct Map<S: Sys> {
    fd: Fd<S>,
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
}

impl<S: Sys + Clone> Map<S> {
    /// Creates a map (BPF_MAP_CREATE).
    ///
    /// # Errors
    /// The kernel's errno (EINVAL for a bad shape, E2BIG, ENOMEM, ...).
    ///
    /// ```
    /// use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert_eq!(map.value_size(), 8);
    /// ```
    pub fn create(sys: &S, spec: &MapSpec) -> Result<Map<S>> {
        let mut attr = MapCreateAttr {
            map_type: spec.map_type.raw(),
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
            map_flags: spec.flags,
            inner_map_fd: spec.inner_map_fd,
            map_name: spec.name,
            ..Default::default()
        };
        // SAFETY: the attr holds no pointers.
        let fd = unsafe { raw::map_create(sys, &mut attr) }.map_err(|e| Error::new("BPF_MAP_CREATE", e))?;
        Ok(Map {
            fd: Fd::new(sys.clone(), fd),
            map_type: spec.map_type,
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
        })
    }

    /// Takes ownership of a map fd (from an object, another process...),
    /// reading its shape from the kernel.
    ///
    /// # Errors
    /// BPF_OBJ_GET_INFO_BY_FD's errno (EBADF, EINVAL for a program fd); the
    /// fd is closed then.
    ///
    /// ```
    /// use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let sys = Process::new(1);
    /// let made = Map::create(&sys, &MapSpec::new(MapType::Hash, 4, 8, 4)).unwrap();
    /// let fd = made.into_fd();
    /// let again = Map::from_fd(fd).unwrap();
    /// assert_eq!(again.map_type(), MapType::Hash);
    /// ```
    pub fn from_fd(fd: Fd<S>) -> Result<Map<S>> {
        let mut info = MapInfo::default();
        let mut attr = ObjInfoAttr {
            bpf_fd: fd.raw(),
            info_len: core::mem::size_of::<MapInfo>() as u32,
            info: &mut info as *mut MapInfo as u64,
        };
        // SAFETY: `info` is live and `info_len` bytes long.
        unsafe { raw::obj_get_info_by_fd(fd.sys(), &mut attr) }.map_err(|e| Error::new("BPF_OBJ_GET_INFO_BY_FD", e))?;
        let map_type = MapType::try_from(info.r#type).map_err(|_| Error::new("map type", abi::Errno::EINVAL.raw()))?;
        Ok(Map {
            fd,
            map_type,
            key_size: info.key_size,
            value_size: info.value_size,
            max_entries: info.max_entries,
        })
    }
}

impl<S: Sys> Map<S> {
    /// Its fd.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert!(map.fd().raw() > 0);
    /// ```
    pub fn fd(&self) -> &Fd<S> {
        &self.fd
    }

    /// Gives up the map, keeping its fd open.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// let fd = map.into_fd();
    /// assert!(fd.raw() > 0);
    /// ```
    pub fn into_fd(self) -> Fd<S> {
        self.fd
    }

    /// The type.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert_eq!(map.map_type(), MapType::Array);
    /// ```
    pub fn map_type(&self) -> MapType {
        self.map_type
    }

    /// Key size in bytes.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert_eq!(map.key_size(), 4);
    /// ```
    pub fn key_size(&self) -> u32 {
        self.key_size
    }

    /// Value size in bytes (per CPU, for per-CPU maps).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert_eq!(map.value_size(), 8);
    /// ```
    pub fn value_size(&self) -> u32 {
        self.value_size
    }

    /// Maximum entries.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert_eq!(map.max_entries(), 4);
    /// ```
    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    /// Makes the map read-only for system calls (BPF_MAP_FREEZE).
    ///
    /// # Errors
    /// The errno (EBUSY if already frozen, ...).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Array, Map, MapSpec}, abi::{Errno, MapType}};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 2).unwrap();
    /// a.map().freeze().unwrap();
    /// assert_eq!(a.set(0, &1, 0).unwrap_err().errno, Errno::EPERM.raw());
    /// ```
    pub fn freeze(&self) -> Result<()> {
        let mut attr = MapElemAttr {
            map_fd: self.fd.raw(),
            ..Default::default()
        };
        // SAFETY: no pointers.
        unsafe { raw::map_freeze(self.fd.sys(), &mut attr) }
            .map(|_| ())
            .map_err(|e| Error::new("BPF_MAP_FREEZE", e))
    }

    /// Bytes of one value as the system call moves it: one per CPU, each
    /// padded to 8 bytes, for per-CPU maps.
    fn value_bytes(&self) -> usize {
        if is_percpu(self.map_type) {
            (self.value_size as usize).next_multiple_of(8) * self.fd.sys().possible_cpus() as usize
        } else {
            self.value_size as usize
        }
    }

    /// One element command on byte buffers of the map's sizes (checked
    /// here, so the kernel never writes past `value`).
    fn elem(
        &self,
        what: &'static str,
        key: Option<&[u8]>,
        value: Option<Bytes<'_>>,
        flags: u64,
        call: unsafe fn(&S, &mut MapElemAttr) -> core::result::Result<u32, crate::Errno>,
    ) -> Result<()> {
        let bad = Error::new(what, abi::Errno::EINVAL.raw());
        if key.is_some_and(|k| k.len() != self.key_size as usize) {
            return Err(bad);
        }
        if value.as_ref().is_some_and(|v| v.len() != self.value_bytes()) {
            return Err(bad);
        }
        let mut attr = MapElemAttr {
            map_fd: self.fd.raw(),
            key: key.map_or(0, |k| k.as_ptr() as u64),
            value: value.map_or(0, |v| v.addr()),
            flags,
            ..Default::default()
        };
        // SAFETY: the key is `key_size` bytes and the value (written by
        // lookups, read by updates) exactly what the kernel moves for this
        // map; both live until the call returns.
        unsafe { call(self.fd.sys(), &mut attr) }
            .map(|_| ())
            .map_err(|e| Error::new(what, e))
    }

    /// Sets `key` to `value`, both as bytes of the map's sizes.
    pub(crate) fn update_bytes(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.update(Some(key), value, 0)
    }

    fn lookup(&self, key: Option<&[u8]>, value: &mut [u8], flags: u64) -> Result<bool> {
        found(self.elem(
            "BPF_MAP_LOOKUP_ELEM",
            key,
            Some(Bytes::Out(value)),
            flags,
            raw::map_lookup_elem::<S>,
        ))
    }

    fn update(&self, key: Option<&[u8]>, value: &[u8], flags: u64) -> Result<()> {
        self.elem(
            "BPF_MAP_UPDATE_ELEM",
            key,
            Some(Bytes::In(value)),
            flags,
            raw::map_update_elem::<S>,
        )
    }

    fn delete(&self, key: Option<&[u8]>) -> Result<()> {
        self.elem("BPF_MAP_DELETE_ELEM", key, None, 0, raw::map_delete_elem::<S>)
    }

    fn lookup_and_delete(&self, key: Option<&[u8]>, value: &mut [u8]) -> Result<bool> {
        found(self.elem(
            "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
            key,
            Some(Bytes::Out(value)),
            0,
            raw::map_lookup_and_delete_elem::<S>,
        ))
    }

    /// The key after `key` (the first for `None`), or `None` at the end.
    fn next_key(&self, key: Option<&[u8]>) -> Result<Option<Vec<u8>>> {
        let mut next = vec![0u8; self.key_size as usize];
        if key.is_some_and(|k| k.len() != next.len()) {
            return Err(Error::new("BPF_MAP_GET_NEXT_KEY", abi::Errno::EINVAL.raw()));
        }
        let mut attr = MapElemAttr {
            map_fd: self.fd.raw(),
            key: key.map_or(0, |k| k.as_ptr() as u64),
            value: next.as_mut_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: the key and the next key are `key_size` bytes, live
        // until the call returns.
        match unsafe { raw::map_get_next_key(self.fd.sys(), &mut attr) } {
            Ok(_) => Ok(Some(next)),
            Err(e) if e == abi::Errno::ENOENT.raw() => Ok(None),
            Err(e) => Err(Error::new("BPF_MAP_GET_NEXT_KEY", e)),
        }
    }

    /// A batch command on arrays of keys and values of the map's sizes;
    /// the number of elements processed, and whether the map ended.
    #[allow(clippy::too_many_arguments)]
    fn batch(
        &self,
        what: &'static str,
        call: unsafe fn(&S, &mut MapBatchAttr) -> core::result::Result<u32, crate::Errno>,
        in_batch: Option<&[u8]>,
        out_batch: Option<&mut [u8]>,
        keys: Bytes<'_>,
        values: Option<Bytes<'_>>,
        count: u32,
        elem_flags: u64,
    ) -> Result<(u32, bool)> {
        let bad = Error::new(what, abi::Errno::EINVAL.raw());
        let n = count as usize;
        if keys.len() != n * self.key_size as usize
            || values.as_ref().is_some_and(|v| v.len() != n * self.value_bytes())
        {
            return Err(bad);
        }
        // Linux's batch position of a hash map is a bucket index (4 bytes);
        // of an array, a key.
        if [in_batch.map(<[u8]>::len), out_batch.as_ref().map(|b| b.len())]
            .into_iter()
            .flatten()
            .any(|l| l < self.key_size.max(4) as usize)
        {
            return Err(bad);
        }
        let mut attr = MapBatchAttr {
            in_batch: in_batch.map_or(0, |b| b.as_ptr() as u64),
            out_batch: out_batch.map_or(0, |b| b.as_mut_ptr() as u64),
            keys: keys.addr(),
            values: values.map_or(0, |v| v.addr()),
            count,
            map_fd: self.fd.raw(),
            elem_flags,
            flags: 0,
        };
        // SAFETY: the arrays hold `count` keys and values of the sizes the
        // kernel moves; the batch positions are at least as long as a key
        // (and 4 bytes); all live until the call returns.
        match unsafe { call(self.fd.sys(), &mut attr) } {
            Ok(_) => Ok((attr.count, false)),
            Err(e) if e == abi::Errno::ENOENT.raw() => Ok((attr.count, true)),
            Err(e) => Err(Error::new(what, e)),
        }
    }
}

/// A buffer the kernel reads (`In`) or writes (`Out`) through a user
/// pointer, so a value to store is passed without a copy.
enum Bytes<'a> {
    In(&'a [u8]),
    Out(&'a mut [u8]),
}

impl Bytes<'_> {
    fn len(&self) -> usize {
        match self {
            Bytes::In(b) => b.len(),
            Bytes::Out(b) => b.len(),
        }
    }

    fn addr(self) -> u64 {
        match self {
            Bytes::In(b) => b.as_ptr() as u64,
            Bytes::Out(b) => b.as_mut_ptr() as u64,
        }
    }
}

fn is_percpu(t: MapType) -> bool {
    matches!(t, MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash)
}

/// `Ok(false)` for ENOENT.
fn found(r: Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.errno == abi::Errno::ENOENT.raw() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Checks that `map` is one of `types` with keys of `K` and values of `V`.
fn shaped<S: Sys, K, V>(map: &Map<S>, types: &[MapType]) -> Result<()> {
    let key_ok = core::mem::size_of::<K>() == map.key_size as usize;
    let value_ok = core::mem::size_of::<V>() == map.value_size as usize;
    if types.contains(&map.map_type) && key_ok && value_ok {
        Ok(())
    } else {
        Err(Error::new("map type or shape", abi::Errno::EINVAL.raw()))
    }
}

fn read<V: FromBytes>(bytes: &[u8]) -> V {
    // The buffer was sized for V by the caller.
    V::read_from_bytes(bytes).unwrap_or_else(|_| V::new_zeroed())
}

/// Keys of a map, from the kernel one at a time (BPF_MAP_GET_NEXT_KEY).
///
/// ```
/// # use user_bindings::{hosted::Process, maps::HashMap};
/// let m: HashMap<_, u32, u8> = HashMap::create(&Process::new(1), 4).unwrap();
/// m.insert(&1, &0, 0).unwrap();
/// let mut keys = m.keys();
/// assert_eq!(keys.next().unwrap().unwrap(), 1);
/// assert!(keys.next().is_none());
/// ```
pub struct Keys<'a, S: Sys, K> {
    map: &'a Map<S>,
    at: Option<Vec<u8>>,
    done: bool,
    _k: PhantomData<K>,
}

impl<S: Sys, K: FromBytes> Iterator for Keys<'_, S, K> {
    type Item = Result<K>;

    fn next(&mut self) -> Option<Result<K>> {
        if self.done {
            return None;
        }
        match self.map.next_key(self.at.as_deref()) {
            Ok(Some(k)) => {
                let key = read(&k);
                self.at = Some(k);
                Some(Ok(key))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A hash map (`BPF_MAP_TYPE_HASH`, or an LRU hash through
/// [`LruHashMap`]) of `K` to `V`.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::HashMap, abi::BPF_ANY};
/// let m: HashMap<_, [u8; 4], u64> = HashMap::create(&Process::new(1), 4).unwrap();
/// m.insert(b"ping", &1, BPF_ANY).unwrap();
/// assert_eq!(m.get(b"ping", 0).unwrap(), Some(1));
/// ```
pub struct HashMap<S: Sys, K, V> {
    map: Map<S>,
    _kv: PhantomData<(K, V)>,
}

impl<S, K, V> HashMap<S, K, V>
where
    S: Sys + Clone,
    K: IntoBytes + FromBytes + Immutable,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates a hash map of up to `max_entries` elements.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, [u8; 16]> = HashMap::create(&Process::new(1), 8).unwrap();
    /// assert_eq!(m.map().max_entries(), 8);
    /// ```
    pub fn create(sys: &S, max_entries: u32) -> Result<Self> {
        let spec = MapSpec::new(MapType::Hash, size::<K>(), size::<V>(), max_entries);
        Self::try_from(Map::create(sys, &spec)?)
    }

    /// Views `map` as a hash map of `K` to `V`.
    ///
    /// # Errors
    /// EINVAL if it is not a (LRU) hash map with keys of `K` and values of
    /// `V`.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{HashMap, Map, MapSpec}, abi::MapType};
    /// let sys = Process::new(1);
    /// let map = Map::create(&sys, &MapSpec::new(MapType::Hash, 4, 8, 4)).unwrap();
    /// let typed: HashMap<_, u32, u64> = HashMap::try_from(map).unwrap();
    /// # let _ = typed;
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, K, V>(&map, &[MapType::Hash, MapType::LruHash])?;
        Ok(HashMap { map, _kv: PhantomData })
    }
}

impl<S, K, V> HashMap<S, K, V>
where
    S: Sys,
    K: IntoBytes + FromBytes + Immutable,
    V: IntoBytes + FromBytes + Immutable,
{
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// assert_eq!(m.map().key_size(), 4);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// The value of `key`, if there is one (`flags`: BPF_F_LOCK or 0).
    ///
    /// # Errors
    /// The errno, for anything but a missing key.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// assert_eq!(m.get(&1, 0).unwrap(), None);
    /// ```
    pub fn get(&self, key: &K, flags: u64) -> Result<Option<V>> {
        let mut v = vec![0u8; size::<V>() as usize];
        Ok(self.map.lookup(Some(key.as_bytes()), &mut v, flags)?.then(|| read(&v)))
    }

    /// Sets `key` to `value` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST).
    ///
    /// # Errors
    /// EEXIST, ENOENT (by the flags), E2BIG when full, ...
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap, abi::{Errno, BPF_NOEXIST}};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// m.insert(&1, &10, BPF_NOEXIST).unwrap();
    /// assert_eq!(m.insert(&1, &11, BPF_NOEXIST).unwrap_err().errno, Errno::EEXIST.raw());
    /// ```
    pub fn insert(&self, key: &K, value: &V, flags: u64) -> Result<()> {
        self.map.update(Some(key.as_bytes()), value.as_bytes(), flags)
    }

    /// Removes `key`.
    ///
    /// # Errors
    /// ENOENT if it is not there.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap, abi::Errno};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// assert_eq!(m.remove(&1).unwrap_err().errno, Errno::ENOENT.raw());
    /// ```
    pub fn remove(&self, key: &K) -> Result<()> {
        self.map.delete(Some(key.as_bytes()))
    }

    /// The keys, in the kernel's order.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// m.insert(&3, &0, 0).unwrap();
    /// assert_eq!(m.keys().map(Result::unwrap).collect::<Vec<_>>(), [3]);
    /// ```
    pub fn keys(&self) -> Keys<'_, S, K> {
        Keys {
            map: &self.map,
            at: None,
            done: false,
            _k: PhantomData,
        }
    }

    /// The elements, in the kernel's order (each looked up as its key is
    /// reached; one removed meanwhile is skipped).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// m.insert(&3, &30, 0).unwrap();
    /// assert_eq!(m.iter().map(Result::unwrap).collect::<Vec<_>>(), [(3, 30)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, V)>> + '_ {
        self.keys().filter_map(move |k| match k {
            Ok(k) => match self.get(&k, 0) {
                Ok(Some(v)) => Some(Ok((k, v))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            },
            Err(e) => Some(Err(e)),
        })
    }

    /// Every element, read in batches of `batch` (BPF_MAP_LOOKUP_BATCH).
    ///
    /// Linux hands out a hash map's elements a whole bucket at a time and
    /// answers ENOSPC when one bucket holds more than the batch; the batch
    /// then doubles until the bucket fits, so a small `batch` only costs
    /// calls.
    ///
    /// # Errors
    /// The errno (EINVAL for a batch of 0, ...).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// m.insert_batch(&[1, 2, 3], &[10, 20, 30], 0).unwrap();
    /// let mut all = m.get_batch(2).unwrap();
    /// all.sort();
    /// assert_eq!(all, [(1, 10), (2, 20), (3, 30)]);
    /// ```
    pub fn get_batch(&self, batch: u32) -> Result<Vec<(K, V)>> {
        let (ks, vs) = (size::<K>() as usize, size::<V>() as usize);
        let pos = ks.max(4);
        let mut out = Vec::new();
        let mut at: Option<Vec<u8>> = None;
        let mut batch = batch;
        loop {
            let mut next = vec![0u8; pos];
            let mut keys = vec![0u8; batch as usize * ks];
            let mut values = vec![0u8; batch as usize * vs];
            let (n, end) = match self.map.batch(
                "BPF_MAP_LOOKUP_BATCH",
                raw::map_lookup_batch::<S>,
                at.as_deref(),
                Some(&mut next),
                Bytes::Out(&mut keys),
                Some(Bytes::Out(&mut values)),
                batch,
                0,
            ) {
                Err(e) if e.errno == abi::Errno::ENOSPC.raw() && batch < self.map.max_entries() => {
                    batch = batch.saturating_mul(2).min(self.map.max_entries());
                    continue;
                }
                r => r?,
            };
            for i in 0..n as usize {
                out.push((read(&keys[i * ks..][..ks]), read(&values[i * vs..][..vs])));
            }
            if end {
                return Ok(out);
            }
            at = Some(next);
        }
    }

    /// Sets each of `keys` to the value at the same index
    /// (BPF_MAP_UPDATE_BATCH); returns how many were set.
    ///
    /// # Errors
    /// EINVAL if the slices differ in length; the kernel's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// assert_eq!(m.insert_batch(&[1, 2], &[10, 20], 0).unwrap(), 2);
    /// ```
    pub fn insert_batch(&self, keys: &[K], values: &[V], elem_flags: u64) -> Result<u32> {
        if keys.len() != values.len() {
            return Err(Error::new("BPF_MAP_UPDATE_BATCH", abi::Errno::EINVAL.raw()));
        }
        let n = keys.len() as u32;
        let (done, _) = self.map.batch(
            "BPF_MAP_UPDATE_BATCH",
            raw::map_update_batch::<S>,
            None,
            None,
            Bytes::In(keys.as_bytes()),
            Some(Bytes::In(values.as_bytes())),
            n,
            elem_flags,
        )?;
        Ok(done)
    }

    /// Removes `keys` (BPF_MAP_DELETE_BATCH); returns how many were
    /// removed.
    ///
    /// # Errors
    /// ENOENT when one is missing (those before it are removed).
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::HashMap};
    /// let m: HashMap<_, u32, u64> = HashMap::create(&Process::new(1), 8).unwrap();
    /// m.insert_batch(&[1, 2], &[10, 20], 0).unwrap();
    /// assert_eq!(m.remove_batch(&[1, 2]).unwrap(), 2);
    /// ```
    pub fn remove_batch(&self, keys: &[K]) -> Result<u32> {
        let n = keys.len() as u32;
        let (done, missing) = self.map.batch(
            "BPF_MAP_DELETE_BATCH",
            raw::map_delete_batch::<S>,
            None,
            None,
            Bytes::In(keys.as_bytes()),
            None,
            n,
            0,
        )?;
        if missing {
            return Err(Error::new("BPF_MAP_DELETE_BATCH", abi::Errno::ENOENT.raw()));
        }
        Ok(done)
    }
}

/// An LRU hash map (`BPF_MAP_TYPE_LRU_HASH`): a [`HashMap`] that evicts
/// the least recently used element when full.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::LruHashMap};
/// let m: LruHashMap<_, u32, u64> = LruHashMap::create(&Process::new(1), 4).unwrap();
/// for k in 0..16 {
///     m.insert(&k, &1, 0).unwrap();
/// }
/// assert!(m.keys().count() <= 4);
/// ```
pub struct LruHashMap<S: Sys, K, V>(HashMap<S, K, V>);

impl<S, K, V> LruHashMap<S, K, V>
where
    S: Sys + Clone,
    K: IntoBytes + FromBytes + Immutable,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates an LRU hash map of up to `max_entries` elements.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::LruHashMap, abi::MapType};
    /// let m: LruHashMap<_, u32, u64> = LruHashMap::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(m.map().map_type(), MapType::LruHash);
    /// ```
    pub fn create(sys: &S, max_entries: u32) -> Result<Self> {
        let spec = MapSpec::new(MapType::LruHash, size::<K>(), size::<V>(), max_entries);
        Ok(LruHashMap(HashMap::try_from(Map::create(sys, &spec)?)?))
    }
}

impl<S: Sys, K, V> core::ops::Deref for LruHashMap<S, K, V> {
    type Target = HashMap<S, K, V>;

    fn deref(&self) -> &HashMap<S, K, V> {
        &self.0
    }
}

/// An array (`BPF_MAP_TYPE_ARRAY`) of `V`, indexed by `u32`.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::Array};
/// let a: Array<_, [u32; 2]> = Array::create(&Process::new(1), 2).unwrap();
/// a.set(0, &[1, 2], 0).unwrap();
/// assert_eq!(a.get(0).unwrap(), [1, 2]);
/// ```
pub struct Array<S: Sys, V> {
    map: Map<S>,
    _v: PhantomData<V>,
}

impl<S, V> Array<S, V>
where
    S: Sys + Clone,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates an array of `len` zeroed values.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Array};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(a.get(3).unwrap(), 0);
    /// ```
    pub fn create(sys: &S, len: u32) -> Result<Self> {
        Self::try_from(Map::create(sys, &MapSpec::new(MapType::Array, 4, size::<V>(), len))?)
    }

    /// Views `map` as an array of `V`.
    ///
    /// # Errors
    /// EINVAL if it is not an array of `V`.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Array, Map, MapSpec}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Hash, 4, 8, 4)).unwrap();
    /// assert!(Array::<_, u64>::try_from(map).is_err());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, u32, V>(&map, &[MapType::Array])?;
        Ok(Array { map, _v: PhantomData })
    }
}

impl<S, V> Array<S, V>
where
    S: Sys,
    V: IntoBytes + FromBytes + Immutable,
{
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Array};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(a.map().max_entries(), 4);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// The value at `index`.
    ///
    /// # Errors
    /// ENOENT past the end.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Array, abi::Errno};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(a.get(4).unwrap_err().errno, Errno::ENOENT.raw());
    /// ```
    pub fn get(&self, index: u32) -> Result<V> {
        let mut v = vec![0u8; size::<V>() as usize];
        if self.map.lookup(Some(&index.to_ne_bytes()), &mut v, 0)? {
            Ok(read(&v))
        } else {
            Err(Error::new("BPF_MAP_LOOKUP_ELEM", abi::Errno::ENOENT.raw()))
        }
    }

    /// Sets the value at `index`.
    ///
    /// # Errors
    /// E2BIG past the end, EEXIST with BPF_NOEXIST, ...
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Array};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 4).unwrap();
    /// a.set(1, &5, 0).unwrap();
    /// assert_eq!(a.get(1).unwrap(), 5);
    /// ```
    pub fn set(&self, index: u32, value: &V, flags: u64) -> Result<()> {
        self.map.update(Some(&index.to_ne_bytes()), value.as_bytes(), flags)
    }

    /// Every value, in index order.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Array};
    /// let a: Array<_, u64> = Array::create(&Process::new(1), 2).unwrap();
    /// a.set(1, &5, 0).unwrap();
    /// assert_eq!(a.iter().map(Result::unwrap).collect::<Vec<_>>(), [0, 5]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<V>> + '_ {
        (0..self.map.max_entries).map(move |i| self.get(i))
    }
}

/// A per-CPU hash map (`BPF_MAP_TYPE_PERCPU_HASH` or
/// `BPF_MAP_TYPE_LRU_PERCPU_HASH`): each key holds one `V` per possible
/// CPU.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
/// let m: PerCpuHashMap<_, u32, u32> = PerCpuHashMap::create(&Process::new(2), 4).unwrap();
/// m.insert(&1, &[5, 6], 0).unwrap();
/// assert_eq!(m.get(&1).unwrap().unwrap().iter().sum::<u32>(), 11);
/// ```
pub struct PerCpuHashMap<S: Sys, K, V> {
    map: Map<S>,
    _kv: PhantomData<(K, V)>,
}

/// A per-CPU array (`BPF_MAP_TYPE_PERCPU_ARRAY`): each index holds one `V`
/// per possible CPU.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::PerCpuArray};
/// let a: PerCpuArray<_, u64> = PerCpuArray::create(&Process::new(4), 1).unwrap();
/// assert_eq!(a.get(0).unwrap().len(), 4, "one value per CPU");
/// ```
pub struct PerCpuArray<S: Sys, V> {
    map: Map<S>,
    _v: PhantomData<V>,
}

/// Values of all CPUs, unpacked from the system call's layout (each padded
/// to 8 bytes).
fn per_cpu_values<V: FromBytes>(bytes: &[u8]) -> Vec<V> {
    let stride = core::mem::size_of::<V>().next_multiple_of(8);
    bytes
        .chunks(stride)
        .map(|c| read(&c[..core::mem::size_of::<V>()]))
        .collect()
}

/// The system call's layout of one value per CPU; EINVAL unless `values`
/// has one per possible CPU.
fn per_cpu_bytes<S: Sys, V: IntoBytes + Immutable>(map: &Map<S>, values: &[V]) -> Result<Vec<u8>> {
    if values.len() != map.fd.sys().possible_cpus() as usize {
        return Err(Error::new("BPF_MAP_UPDATE_ELEM", abi::Errno::EINVAL.raw()));
    }
    let stride = core::mem::size_of::<V>().next_multiple_of(8);
    let mut out = vec![0u8; stride * values.len()];
    for (chunk, v) in out.chunks_mut(stride).zip(values) {
        chunk[..core::mem::size_of::<V>()].copy_from_slice(v.as_bytes());
    }
    Ok(out)
}

impl<S, K, V> PerCpuHashMap<S, K, V>
where
    S: Sys + Clone,
    K: IntoBytes + FromBytes + Immutable,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates a per-CPU hash map of up to `max_entries` keys.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// m.insert(&1, &[10, 20], 0).unwrap();
    /// assert_eq!(m.get(&1).unwrap(), Some(vec![10, 20]));
    /// ```
    pub fn create(sys: &S, max_entries: u32) -> Result<Self> {
        let spec = MapSpec::new(MapType::PercpuHash, size::<K>(), size::<V>(), max_entries);
        Self::try_from(Map::create(sys, &spec)?)
    }

    /// Views `map` as a per-CPU hash map of `K` to `V`.
    ///
    /// # Errors
    /// EINVAL if it is not one of that shape.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, PerCpuHashMap}, abi::MapType};
    /// let map = Map::create(&Process::new(2), &MapSpec::new(MapType::LruPercpuHash, 4, 8, 4)).unwrap();
    /// assert!(PerCpuHashMap::<_, u32, u64>::try_from(map).is_ok());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, K, V>(&map, &[MapType::PercpuHash, MapType::LruPercpuHash])?;
        Ok(PerCpuHashMap { map, _kv: PhantomData })
    }
}

impl<S, K, V> PerCpuHashMap<S, K, V>
where
    S: Sys,
    K: IntoBytes + FromBytes + Immutable,
    V: IntoBytes + FromBytes + Immutable,
{
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// assert_eq!(m.map().value_size(), 8);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Every CPU's value of `key`, if it is there.
    ///
    /// # Errors
    /// The errno, for anything but a missing key.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// assert_eq!(m.get(&1).unwrap(), None);
    /// ```
    pub fn get(&self, key: &K) -> Result<Option<Vec<V>>> {
        let mut v = vec![0u8; self.map.value_bytes()];
        Ok(self
            .map
            .lookup(Some(key.as_bytes()), &mut v, 0)?
            .then(|| per_cpu_values(&v)))
    }

    /// Sets every CPU's value of `key` (`values`: one per possible CPU).
    ///
    /// # Errors
    /// EINVAL for the wrong number of values; the kernel's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap, abi::Errno};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// assert_eq!(m.insert(&1, &[1], 0).unwrap_err().errno, Errno::EINVAL.raw());
    /// ```
    pub fn insert(&self, key: &K, values: &[V], flags: u64) -> Result<()> {
        self.map
            .update(Some(key.as_bytes()), &per_cpu_bytes(&self.map, values)?, flags)
    }

    /// Removes `key`.
    ///
    /// # Errors
    /// ENOENT if it is not there.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// m.insert(&1, &[1, 2], 0).unwrap();
    /// m.remove(&1).unwrap();
    /// ```
    pub fn remove(&self, key: &K) -> Result<()> {
        self.map.delete(Some(key.as_bytes()))
    }

    /// The keys, in the kernel's order.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuHashMap};
    /// let m: PerCpuHashMap<_, u32, u64> = PerCpuHashMap::create(&Process::new(2), 8).unwrap();
    /// m.insert(&4, &[1, 2], 0).unwrap();
    /// assert_eq!(m.keys().map(Result::unwrap).collect::<Vec<_>>(), [4]);
    /// ```
    pub fn keys(&self) -> Keys<'_, S, K> {
        Keys {
            map: &self.map,
            at: None,
            done: false,
            _k: PhantomData,
        }
    }
}

impl<S, V> PerCpuArray<S, V>
where
    S: Sys + Clone,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates a per-CPU array of `len` indices.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuArray};
    /// let a: PerCpuArray<_, u32> = PerCpuArray::create(&Process::new(3), 2).unwrap();
    /// assert_eq!(a.get(0).unwrap(), [0, 0, 0]);
    /// ```
    pub fn create(sys: &S, len: u32) -> Result<Self> {
        Self::try_from(Map::create(
            sys,
            &MapSpec::new(MapType::PercpuArray, 4, size::<V>(), len),
        )?)
    }

    /// Views `map` as a per-CPU array of `V`.
    ///
    /// # Errors
    /// EINVAL if it is not one of that shape.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, PerCpuArray}, abi::MapType};
    /// let map = Map::create(&Process::new(2), &MapSpec::new(MapType::Array, 4, 8, 4)).unwrap();
    /// assert!(PerCpuArray::<_, u64>::try_from(map).is_err());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, u32, V>(&map, &[MapType::PercpuArray])?;
        Ok(PerCpuArray { map, _v: PhantomData })
    }
}

impl<S, V> PerCpuArray<S, V>
where
    S: Sys,
    V: IntoBytes + FromBytes + Immutable,
{
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuArray};
    /// let a: PerCpuArray<_, u32> = PerCpuArray::create(&Process::new(3), 2).unwrap();
    /// assert_eq!(a.map().max_entries(), 2);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Every CPU's value at `index`.
    ///
    /// # Errors
    /// ENOENT past the end.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuArray};
    /// let a: PerCpuArray<_, u32> = PerCpuArray::create(&Process::new(2), 2).unwrap();
    /// a.set(1, &[7, 8], 0).unwrap();
    /// assert_eq!(a.get(1).unwrap(), [7, 8]);
    /// ```
    pub fn get(&self, index: u32) -> Result<Vec<V>> {
        let mut v = vec![0u8; self.map.value_bytes()];
        if self.map.lookup(Some(&index.to_ne_bytes()), &mut v, 0)? {
            Ok(per_cpu_values(&v))
        } else {
            Err(Error::new("BPF_MAP_LOOKUP_ELEM", abi::Errno::ENOENT.raw()))
        }
    }

    /// Sets every CPU's value at `index` (one per possible CPU).
    ///
    /// # Errors
    /// EINVAL for the wrong number of values; E2BIG past the end.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerCpuArray, abi::Errno};
    /// let a: PerCpuArray<_, u32> = PerCpuArray::create(&Process::new(2), 2).unwrap();
    /// assert_eq!(a.set(2, &[1, 2], 0).unwrap_err().errno, Errno::E2BIG.raw());
    /// ```
    pub fn set(&self, index: u32, values: &[V], flags: u64) -> Result<()> {
        self.map
            .update(Some(&index.to_ne_bytes()), &per_cpu_bytes(&self.map, values)?, flags)
    }
}

/// A FIFO queue (`BPF_MAP_TYPE_QUEUE`) or, as [`Stack`], a LIFO stack of
/// `V`.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::Queue};
/// let q: Queue<_, u16> = Queue::create(&Process::new(1), 8).unwrap();
/// q.push(&7, 0).unwrap();
/// assert_eq!(q.pop().unwrap(), Some(7));
/// ```
pub struct Queue<S: Sys, V> {
    map: Map<S>,
    _v: PhantomData<V>,
}

/// A LIFO stack (`BPF_MAP_TYPE_STACK`): a [`Queue`] that pops the newest.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::Stack};
/// let s: Stack<_, u32> = Stack::create(&Process::new(1), 4).unwrap();
/// s.push(&1, 0).unwrap();
/// s.push(&2, 0).unwrap();
/// assert_eq!(s.pop().unwrap(), Some(2));
/// ```
pub struct Stack<S: Sys, V>(Queue<S, V>);

impl<S, V> Queue<S, V>
where
    S: Sys + Clone,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates a queue of up to `max_entries` values.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Queue};
    /// let q: Queue<_, u32> = Queue::create(&Process::new(1), 4).unwrap();
    /// q.push(&1, 0).unwrap();
    /// q.push(&2, 0).unwrap();
    /// assert_eq!(q.pop().unwrap(), Some(1));
    /// ```
    pub fn create(sys: &S, max_entries: u32) -> Result<Self> {
        Self::try_from(Map::create(
            sys,
            &MapSpec::new(MapType::Queue, 0, size::<V>(), max_entries),
        )?)
    }

    /// Views `map` as a queue (or stack) of `V`.
    ///
    /// # Errors
    /// EINVAL if it is not one of that shape.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, Queue}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Stack, 0, 4, 4)).unwrap();
    /// assert!(Queue::<_, u32>::try_from(map).is_ok());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, (), V>(&map, &[MapType::Queue, MapType::Stack])?;
        Ok(Queue { map, _v: PhantomData })
    }
}

impl<S, V> Queue<S, V>
where
    S: Sys,
    V: IntoBytes + FromBytes + Immutable,
{
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Queue};
    /// let q: Queue<_, u32> = Queue::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(q.map().key_size(), 0);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Pushes `value` (`flags`: BPF_EXIST replaces the oldest when full).
    ///
    /// # Errors
    /// E2BIG when full.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Queue, abi::Errno};
    /// let q: Queue<_, u32> = Queue::create(&Process::new(1), 1).unwrap();
    /// q.push(&1, 0).unwrap();
    /// assert_eq!(q.push(&2, 0).unwrap_err().errno, Errno::E2BIG.raw());
    /// ```
    pub fn push(&self, value: &V, flags: u64) -> Result<()> {
        self.map.update(None, value.as_bytes(), flags)
    }

    /// Takes the next value, if any.
    ///
    /// # Errors
    /// The errno, for anything but an empty queue.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Queue};
    /// let q: Queue<_, u32> = Queue::create(&Process::new(1), 1).unwrap();
    /// assert_eq!(q.pop().unwrap(), None);
    /// ```
    pub fn pop(&self) -> Result<Option<V>> {
        let mut v = vec![0u8; size::<V>() as usize];
        Ok(self.map.lookup_and_delete(None, &mut v)?.then(|| read(&v)))
    }

    /// The next value, left in place.
    ///
    /// # Errors
    /// The errno, for anything but an empty queue.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Queue};
    /// let q: Queue<_, u32> = Queue::create(&Process::new(1), 2).unwrap();
    /// q.push(&5, 0).unwrap();
    /// assert_eq!(q.peek().unwrap(), Some(5));
    /// assert_eq!(q.pop().unwrap(), Some(5));
    /// ```
    pub fn peek(&self) -> Result<Option<V>> {
        let mut v = vec![0u8; size::<V>() as usize];
        Ok(self.map.lookup(None, &mut v, 0)?.then(|| read(&v)))
    }
}

impl<S, V> Stack<S, V>
where
    S: Sys + Clone,
    V: IntoBytes + FromBytes + Immutable,
{
    /// Creates a stack of up to `max_entries` values.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::Stack, abi::MapType};
    /// let s: Stack<_, u32> = Stack::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(s.map().map_type(), MapType::Stack);
    /// ```
    pub fn create(sys: &S, max_entries: u32) -> Result<Self> {
        let map = Map::create(sys, &MapSpec::new(MapType::Stack, 0, size::<V>(), max_entries))?;
        Ok(Stack(Queue::try_from(map)?))
    }
}

impl<S: Sys, V> core::ops::Deref for Stack<S, V> {
    type Target = Queue<S, V>;

    fn deref(&self) -> &Queue<S, V> {
        &self.0
    }
}

/// A program array (`BPF_MAP_TYPE_PROG_ARRAY`): the programs
/// `bpf_tail_call` jumps to, by index.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::ProgramArray};
/// let p = ProgramArray::create(&Process::new(1), 8).unwrap();
/// assert_eq!(p.map().max_entries(), 8);
/// ```
pub struct ProgramArray<S: Sys> {
    map: Map<S>,
}

impl<S: Sys + Clone> ProgramArray<S> {
    /// Creates a program array of `len` slots.
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::ProgramArray};
    /// let p = ProgramArray::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(p.map().max_entries(), 4);
    /// ```
    pub fn create(sys: &S, len: u32) -> Result<Self> {
        Self::try_from(Map::create(sys, &MapSpec::new(MapType::ProgArray, 4, 4, len))?)
    }

    /// Views `map` as a program array.
    ///
    /// # Errors
    /// EINVAL if it is not one.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, ProgramArray}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::ProgArray, 4, 4, 2)).unwrap();
    /// assert!(ProgramArray::try_from(map).is_ok());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        shaped::<S, u32, u32>(&map, &[MapType::ProgArray])?;
        Ok(ProgramArray { map })
    }
}

impl<S: Sys> ProgramArray<S> {
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::ProgramArray};
    /// let p = ProgramArray::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(p.map().value_size(), 4);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Puts `program` in slot `index`.
    ///
    /// # Errors
    /// E2BIG past the end; EINVAL for a program of another type than the
    /// array's first.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::ProgramArray, programs::Program, abi::{Insn, ProgType}};
    /// let sys = Process::new(1);
    /// let exit0 = [Insn { code: 0xb7, ..Default::default() }, Insn { code: 0x95, ..Default::default() }];
    /// let prog = Program::load(&sys, ProgType::SocketFilter, &exit0, "GPL").unwrap();
    /// let p = ProgramArray::create(&sys, 4).unwrap();
    /// p.set(0, &prog, 0).unwrap();
    /// ```
    pub fn set(&self, index: u32, program: &crate::programs::Program<S>, flags: u64) -> Result<()> {
        self.map
            .update(Some(&index.to_ne_bytes()), &program.fd().raw().to_ne_bytes(), flags)
    }

    /// The id of the program in slot `index` (what the system call reads
    /// from a program array), or `None` if it is empty.
    ///
    /// # Errors
    /// The errno, for anything but an empty slot.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::ProgramArray};
    /// let p = ProgramArray::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(p.id(0).unwrap(), None);
    /// ```
    pub fn id(&self, index: u32) -> Result<Option<u32>> {
        let mut v = [0u8; 4];
        Ok(self
            .map
            .lookup(Some(&index.to_ne_bytes()), &mut v, 0)?
            .then(|| u32::from_ne_bytes(v)))
    }

    /// Empties slot `index`.
    ///
    /// # Errors
    /// ENOENT if it is empty.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::ProgramArray, abi::Errno};
    /// let p = ProgramArray::create(&Process::new(1), 4).unwrap();
    /// assert_eq!(p.clear(0).unwrap_err().errno, Errno::ENOENT.raw());
    /// ```
    pub fn clear(&self, index: u32) -> Result<()> {
        self.map.delete(Some(&index.to_ne_bytes()))
    }
}

/// A ring buffer (`BPF_MAP_TYPE_RINGBUF`), from the consumer's side:
/// the records programs submitted, in order.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::RingBuf};
/// let rb = RingBuf::create(&Process::new(1), 4096).unwrap();
/// assert_eq!(rb.consume(|_| {}).unwrap(), 0, "nothing submitted yet");
/// ```
pub struct RingBuf<S: Sys> {
    map: Map<S>,
}

impl<S: Sys + Clone> RingBuf<S> {
    /// Creates a ring buffer of `size` bytes (a power of 2, at least a
    /// page).
    ///
    /// # Errors
    /// EINVAL for another size; BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::RingBuf, abi::Errno};
    /// let err = RingBuf::create(&Process::new(1), 5000).err().unwrap();
    /// assert_eq!(err.errno, Errno::EINVAL.raw());
    /// ```
    pub fn create(sys: &S, size: u32) -> Result<Self> {
        Self::try_from(Map::create(sys, &MapSpec::new(MapType::Ringbuf, 0, 0, size))?)
    }

    /// Views `map` as a ring buffer.
    ///
    /// # Errors
    /// EINVAL if it is not one.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, RingBuf}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Ringbuf, 0, 0, 4096)).unwrap();
    /// assert!(RingBuf::try_from(map).is_ok());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        if map.map_type != MapType::Ringbuf {
            return Err(Error::new("map type or shape", abi::Errno::EINVAL.raw()));
        }
        Ok(RingBuf { map })
    }
}

impl<S: Sys> RingBuf<S> {
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::RingBuf};
    /// let rb = RingBuf::create(&Process::new(1), 8192).unwrap();
    /// assert_eq!(rb.map().max_entries(), 8192);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Hands each record that is ready to `f`, oldest first, and frees it;
    /// returns how many (discarded reservations are skipped).
    ///
    /// # Errors
    /// EOPNOTSUPP where the backend cannot reach ring buffers; the errno
    /// of mapping it.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::RingBuf};
    /// let rb = RingBuf::create(&Process::new(1), 4096).unwrap();
    /// let mut seen = Vec::new();
    /// rb.consume(|r| seen.push(r.to_vec())).unwrap();
    /// assert!(seen.is_empty());
    /// ```
    pub fn consume(&self, mut f: impl FnMut(&[u8])) -> Result<usize> {
        self.map
            .fd
            .sys()
            .ringbuf_consume(self.map.fd.raw(), self.map.max_entries, &mut f)
            .map_err(|e| Error::new("ring buffer", e))
    }
}

/// A perf event array (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`): per-CPU buffers
/// that `bpf_perf_event_output` appends samples to, read through a
/// [`PerfBuffer`] (see [`PerfEventArray::open`] for a whole round).
///
/// ```
/// # use user_bindings::{hosted::Process, maps::PerfEventArray};
/// let events = PerfEventArray::create(&Process::new(2), 2).unwrap();
/// let mut reader = events.open(4).unwrap();
/// assert_eq!(reader.read(|_, _| {}).unwrap().read, 0);
/// ```
pub struct PerfEventArray<S: Sys> {
    map: Map<S>,
}

impl<S: Sys + Clone> PerfEventArray<S> {
    /// Creates a perf event array of `slots` slots (one per CPU is usual:
    /// [`Sys::possible_cpus`]).
    ///
    /// # Errors
    /// BPF_MAP_CREATE's errno.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerfEventArray, Sys};
    /// let sys = Process::new(2);
    /// let events = PerfEventArray::create(&sys, sys.possible_cpus()).unwrap();
    /// assert_eq!(events.map().max_entries(), 2);
    /// ```
    pub fn create(sys: &S, slots: u32) -> Result<Self> {
        Self::try_from(Map::create(sys, &MapSpec::new(MapType::PerfEventArray, 4, 4, slots))?)
    }

    /// Views `map` as a perf event array.
    ///
    /// # Errors
    /// EINVAL if it is not one.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{Map, MapSpec, PerfEventArray}, abi::MapType};
    /// let map = Map::create(&Process::new(1), &MapSpec::new(MapType::Array, 4, 4, 1)).unwrap();
    /// assert!(PerfEventArray::try_from(map).is_err());
    /// ```
    pub fn try_from(map: Map<S>) -> Result<Self> {
        if map.map_type != MapType::PerfEventArray {
            return Err(Error::new("map type or shape", abi::Errno::EINVAL.raw()));
        }
        Ok(PerfEventArray { map })
    }
}

impl<S: Sys> PerfEventArray<S> {
    /// The map underneath.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::PerfEventArray};
    /// let events = PerfEventArray::create(&Process::new(1), 1).unwrap();
    /// assert_eq!(events.map().key_size(), 4);
    /// ```
    pub fn map(&self) -> &Map<S> {
        &self.map
    }

    /// Starts reading: on Linux, opens a BPF output event for each CPU
    /// (up to the array's size), with a ring of `pages` data pages (a
    /// power of 2), and puts it in the CPU's slot, as libbpf's
    /// `perf_buffer__new` does; samples output before this are not kept.
    /// The slots are emptied when the reader is dropped.
    ///
    /// # Errors
    /// EINVAL for `pages` not a power of 2; EOPNOTSUPP where the backend
    /// cannot read perf buffers (rCore's user programs: the rCore kernel
    /// drains them itself); the errno of opening or mapping an event.
    ///
    /// ```
    /// use user_bindings::{hosted::Process, maps::PerfEventArray, programs::Program, Sys};
    /// use user_bindings::abi::{Insn, ProgType, BPF_F_CURRENT_CPU};
    /// let sys = Process::new(1);
    /// let events = PerfEventArray::create(&sys, sys.possible_cpus()).unwrap();
    /// let mut reader = events.open(8).unwrap();
    /// // *(u64 *)(r10 - 8) = 7; perf_event_output(ctx, events, CURRENT_CPU, r10 - 8, 8)
    /// let i = |code, regs, off, imm| Insn { code, regs, off, imm };
    /// let fd = events.map().fd().raw() as i32;
    /// let insns = [
    ///     i(0x7a, 0x0a, -8, 7),
    ///     i(0x18, 0x12, 0, fd), i(0, 0, 0, 0),
    ///     i(0x18, 0x03, 0, BPF_F_CURRENT_CPU as i32), i(0, 0, 0, 0),
    ///     i(0xbf, 0xa4, 0, 0), i(0x07, 0x04, 0, -8),
    ///     i(0xb7, 0x05, 0, 8),
    ///     i(0x85, 0, 0, 25),
    ///     i(0x95, 0, 0, 0),
    /// ];
    /// let p = Program::load(&sys, ProgType::SocketFilter, &insns, "GPL").unwrap();
    /// p.test_run(&[0; 14], 2).unwrap();
    /// let mut seen = Vec::new();
    /// let events = reader.read(|_cpu, sample| seen.push(sample[0])).unwrap();
    /// assert_eq!((events.read, events.lost, seen), (2, 0, vec![7, 7]));
    /// ```
    pub fn open(&self, pages: u32) -> Result<PerfBuffer<'_>> {
        let source = self
            .map
            .fd
            .sys()
            .perf_open(self.map.fd.raw(), self.map.max_entries, pages)
            .map_err(|e| Error::new("perf buffer", e))?;
        Ok(PerfBuffer { source })
    }
}

/// The reader of a [`PerfEventArray`]'s buffers (see
/// [`PerfEventArray::open`]); dropping it empties the array's slots.
///
/// ```
/// # use user_bindings::{hosted::Process, maps::PerfEventArray};
/// let events = PerfEventArray::create(&Process::new(1), 1).unwrap();
/// let reader = events.open(1).unwrap();
/// drop(reader); // output to the array fails with ENOENT again
/// ```
pub struct PerfBuffer<'a> {
    source: Box<dyn PerfSource + 'a>,
}

/// What one [`PerfBuffer::read`] saw.
///
/// ```
/// use user_bindings::maps::PerfEvents;
/// assert_eq!(PerfEvents::default(), PerfEvents { read: 0, lost: 0 });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerfEvents {
    /// Samples handed over.
    pub read: usize,
    /// Samples the kernel dropped because a buffer was full.
    pub lost: u64,
}

impl PerfBuffer<'_> {
    /// Hands each waiting sample to `f(cpu, bytes)`, oldest first per
    /// CPU, and frees it. A sample's bytes are padded with zeros so that
    /// they and their 4-byte length fill whole 8-byte words (as Linux and
    /// libbpf deliver them: an 8-byte output reads as 12 bytes).
    ///
    /// # Errors
    /// EINVAL for a buffer whose contents make no sense.
    ///
    /// ```
    /// # use user_bindings::{hosted::Process, maps::{PerfEventArray, PerfEvents}};
    /// let events = PerfEventArray::create(&Process::new(1), 1).unwrap();
    /// let mut reader = events.open(1).unwrap();
    /// assert_eq!(reader.read(|_, _| ()).unwrap(), PerfEvents { read: 0, lost: 0 });
    /// ```
    pub fn read(&mut self, mut f: impl FnMut(u32, &[u8])) -> Result<PerfEvents> {
        let (read, lost) = self.source.read(&mut f).map_err(|e| Error::new("perf buffer", e))?;
        Ok(PerfEvents { read, lost })
    }
}

fn size<T>() -> u32 {
    core::mem::size_of::<T>() as u32
}
