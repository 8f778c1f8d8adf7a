//! Maps: one trait for what the kernel does with them, one file per type.
//!
//! Two paths reach a map. The syscall path copies keys and values in and
//! out ([`Map::lookup`], [`Map::update`], ...). The helper path, used by
//! programs, gets a pointer into the value storage ([`Map::lookup_ptr`])
//! that stays valid while the map lives (a running program holds it), as in
//! Linux; values are atomic words (see `slab`), so concurrent access is sound.
//!
//! Map creation checks the attr the way Linux's `map_alloc_check` functions
//! do, with the same errnos.

mod array;
mod hash;
mod map_in_map;
pub(crate) mod perf_event_array;
pub(crate) mod prog_array;
mod queue;
mod ringbuf;
pub(crate) mod slab;
mod stack_trace;

pub(crate) use hash::{HashMap, INDEX as HASH_INDEX, LOCK as HASH_LOCK, NULLS as HASH_NULLS};
pub use map_in_map::{is_map_in_map, MapInMap};
pub use perf_event_array::PerfEventArray;
pub use prog_array::{ProgArray, ProgEntry};
pub use ringbuf::{RingBuf, RingRecord};
pub use stack_trace::StackTrace;

use crate::error::{Error, Result};
use abi::{
    MapCreateAttr, MapType, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
    BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED,
    BPF_OBJ_NAME_LEN,
};
use alloc::sync::Arc;
use core::any::Any;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Access flags: who may read and write (Linux BPF_F_ACCESS_MASK).
const ACCESS_MASK: u32 = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/// What every map is: its creation attributes, and whether it is frozen.
#[derive(Debug)]
pub struct MapDef {
    /// The type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes (as a program sees one value).
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// BPF_F_* creation flags.
    pub flags: u32,
    /// Name, NUL-padded.
    pub name: [u8; BPF_OBJ_NAME_LEN as usize],
    /// Map id (for OBJ_GET_INFO_BY_FD).
    pub id: u32,
    /// Number of CPUs, for per-CPU maps.
    pub cpus: u32,
    frozen: AtomicBool,
    /// User references (Linux's `usercnt`): open fds, and later pins and
    /// links. See [`crate::object`] for the ownership rules.
    users: AtomicU32,
}

impl MapDef {
    /// Whether the map holds one value per CPU.
    pub fn is_percpu(&self) -> bool {
        matches!(
            self.map_type,
            MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash
        )
    }

    /// Bytes of a value as the syscall side sees it: per-CPU maps carry one
    /// 8-byte-aligned value per CPU, as in Linux.
    pub fn syscall_value_size(&self) -> usize {
        if self.is_percpu() {
            slab::words(self.value_size as usize) * 8 * self.cpus as usize
        } else {
            self.value_size as usize
        }
    }

    /// Whether the syscall side may read.
    pub fn sys_can_read(&self) -> bool {
        self.flags & BPF_F_WRONLY == 0
    }

    /// Whether the syscall side may write (not read-only, not frozen).
    pub fn sys_can_write(&self) -> bool {
        self.flags & BPF_F_RDONLY == 0 && !self.frozen.load(Ordering::Acquire)
    }

    /// Whether programs may read.
    pub fn prog_can_read(&self) -> bool {
        self.flags & BPF_F_WRONLY_PROG == 0
    }

    /// Whether programs may write.
    pub fn prog_can_write(&self) -> bool {
        self.flags & BPF_F_RDONLY_PROG == 0
    }

    /// Freezes the map for the syscall side (BPF_MAP_FREEZE).
    ///
    /// # Errors
    /// [`Error::Busy`] if it is already frozen.
    pub fn freeze(&self) -> Result<()> {
        if self.frozen.swap(true, Ordering::AcqRel) {
            return Err(Error::Busy);
        }
        Ok(())
    }

    /// Whether the map is frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire)
    }

    /// Takes a user reference.
    pub fn get_user(&self) {
        self.users.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops a user reference; true if it was the last one.
    pub fn put_user(&self) -> bool {
        self.users.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Whether any user reference is left.
    pub fn has_users(&self) -> bool {
        self.users.load(Ordering::Acquire) > 0
    }
}

/// The kernel-side operations of a map.
///
/// `key` slices are exactly `key_size` bytes; syscall-path values are
/// [`MapDef::syscall_value_size`] bytes, helper-path values `value_size`.
pub trait Map: Send + Sync + Any {
    /// Creation attributes.
    fn def(&self) -> &MapDef;

    /// Copies the value of `key` into `out` (queues and stacks: peek).
    ///
    /// # Errors
    /// [`Error::NotFound`] if there is no such element.
    fn lookup(&self, key: &[u8], out: &mut [u8]) -> Result<()>;

    /// Creates or updates an element; `cpu` is `None` on the syscall path
    /// (per-CPU maps then take every CPU's value) and the running CPU on the
    /// helper path. Queues and stacks push.
    ///
    /// # Errors
    /// [`Error::BadFlags`], [`Error::Exists`], [`Error::NotFound`],
    /// [`Error::MapFull`] as Linux gives them.
    fn update(&self, key: &[u8], value: &[u8], flags: u64, cpu: Option<u32>) -> Result<()>;

    /// Deletes an element.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::InvalidArgument`] for types whose
    /// elements cannot be deleted.
    fn delete(&self, key: &[u8]) -> Result<()>;

    /// Writes the key after `key` (the first key for `None` or, in hash
    /// maps, a missing key) into `out`.
    ///
    /// # Errors
    /// [`Error::NotFound`] after the last key.
    fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()>;

    /// Copies out and deletes (queues and stacks: pop).
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::NotSupported`] for types without it.
    fn lookup_and_delete(&self, key: &[u8], out: &mut [u8]) -> Result<()> {
        let _ = (key, out);
        Err(Error::NotSupported)
    }

    /// The helper path: a pointer to the value of `key` for CPU `cpu`, valid
    /// while the map lives. `None` if missing (or the type has no values
    /// programs may point into).
    fn lookup_ptr(&self, key: &[u8], cpu: u32) -> Option<NonNull<u8>>;

    /// Whether `[addr, addr + len)` lies inside one value that
    /// [`Map::lookup_ptr`] can point to (of any element, present or not:
    /// the storage lives as long as the map). A run's memory checks ask
    /// this of the maps it uses, so a lookup need not lend each value.
    fn holds_value(&self, addr: u64, len: u64) -> bool {
        let _ = (addr, len);
        false
    }

    /// A plain array's values, where compiled code may find them itself
    /// (Linux's inlined array lookup); `None` for other types.
    fn array_values(&self) -> Option<ArrayValues> {
        None
    }

    /// Bytes of memory the map holds, for accounting and benchmarks.
    fn memory_bytes(&self) -> usize;

    /// The map as `Any`, to reach type-specific APIs (ring buffer consumer).
    fn as_any(&self) -> &dyn Any;

    /// Called when the last user reference goes (Linux's
    /// `map_release_uref`): maps that hold programs or maps drop them
    /// here, which breaks every cycle through them.
    fn release_users(&self) {}
}

/// Where an array's values lie: value `i` (below `max_entries`) is at
/// `base + i * stride`, for as long as the map lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayValues {
    /// The first value's address.
    pub base: u64,
    /// The number of values.
    pub max_entries: u32,
    /// Bytes from one value to the next.
    pub stride: u64,
}

/// Where a hash map's elements lie, for compiled code that looks keys up
/// itself (see `HashMap::table`), valid for as long as the map lives. A
/// key's bucket is `(w * mult) >> shift`, `w` the key's bytes
/// zero-extended to a word. The bucket's head is the `u32` at `heads + 4 *
/// bucket`: it names its chain's first slot; bit 31 is a writer's lock,
/// and bit 30 ends a chain (the low bits then name the chain's bucket:
/// another means start over). A slot's `u32` at `link_at` names the next
/// entry, as a head does; the key is at `key_at` (a key of 1, 2 or 4
/// bytes zero-extended to 4 bytes, an 8-byte key as 8), the value at
/// `value_at`. A slot's values are written before its key, which is
/// stored with release order: a reader that reads the key it seeks (with
/// acquire order, or fenced before it reads the value) has found the
/// value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashTable {
    /// The hash's multiplier (odd) and shift.
    pub mult: u64,
    /// The hash's shift (below 64).
    pub shift: u8,
    /// The first bucket head.
    pub heads: u64,
    /// The first slot.
    pub slots: u64,
    /// Bytes from one slot to the next.
    pub slot_bytes: u32,
    /// The number of slots (a chain entry at or past it is no slot).
    pub slot_count: u32,
    /// The key's size: 1, 2, 4 or 8.
    pub key_size: u8,
    /// The key's byte offset in a slot: 4 bytes there (zero-extended) for
    /// a key of 1, 2 or 4, else 8.
    pub key_at: i32,
    /// The byte offset of the link to the next entry in a slot.
    pub link_at: i32,
    /// Where a bucket's entries mostly lie: bucket `b`'s from byte `(b *
    /// place_bytes) >> (64 - shift)` of the slots on (0: nowhere in
    /// particular).
    pub place_bytes: i32,
    /// The value's byte offset in a slot.
    pub value_at: i32,
}

/// Checks a BPF_MAP_CREATE attr and makes the map.
///
/// # Errors
/// As Linux: [`Error::UnsupportedMapType`], [`Error::BadMapAttr`],
/// [`Error::BadFlags`], [`Error::SizeTooLarge`], [`Error::NoMemory`],
/// [`Error::NotSupported`] (LRU without preallocation), and
/// [`Error::InvalidArgument`] for a bad name.
pub fn create(attr: &MapCreateAttr, id: u32, cpus: u32, seed: u32) -> Result<Arc<dyn Map>> {
    create_with(attr, id, cpus, seed, None)
}

/// [`create`] for every type, maps of maps too: `inner` is the map
/// `attr.inner_map_fd` names (or why it names none), which ARRAY_OF_MAPS
/// and HASH_OF_MAPS take as the template of the maps they hold.
///
/// # Errors
/// As [`create`], and for maps of maps [`Error::BadFd`] without a
/// template and [`Error::InvalidArgument`] for a template that holds
/// programs or maps.
pub fn create_with(
    attr: &MapCreateAttr,
    id: u32,
    cpus: u32,
    seed: u32,
    inner: Option<Result<&dyn Map>>,
) -> Result<Arc<dyn Map>> {
    let map_type = MapType::try_from(attr.map_type).map_err(|_| Error::UnsupportedMapType {
        map_type: attr.map_type,
    })?;
    check_common(attr)?;
    let def = |name| MapDef {
        map_type,
        key_size: attr.key_size,
        value_size: attr.value_size,
        max_entries: attr.max_entries,
        flags: attr.map_flags,
        name,
        id,
        cpus: cpus.max(1),
        frozen: AtomicBool::new(false),
        users: AtomicU32::new(0),
    };
    // Type checks first, then allocation, then the name: Linux's order.
    let checked: fn(&MapCreateAttr) -> Result<()> = match map_type {
        MapType::Array | MapType::PercpuArray => array::check,
        MapType::ProgArray | MapType::PerfEventArray => prog_array::check,
        MapType::StackTrace => stack_trace::check,
        MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash => hash::check,
        MapType::Queue | MapType::Stack => queue::check,
        MapType::Ringbuf => ringbuf::check,
        MapType::ArrayOfMaps | MapType::HashOfMaps => map_in_map::check_outer,
        _ => {
            return Err(Error::UnsupportedMapType {
                map_type: attr.map_type,
            })
        }
    };
    checked(attr)?;
    let name = map_name(&attr.map_name);
    let d = def(name.unwrap_or_default());
    let template = match (is_map_in_map(map_type), inner) {
        (false, _) => None,
        (true, Some(t)) => Some(t?),
        (true, None) => return Err(Error::BadFd { fd: attr.inner_map_fd }),
    };
    if let Some(t) = template {
        map_in_map::check(t)?;
    }
    let map: Arc<dyn Map> = match map_type {
        MapType::Array | MapType::PercpuArray => Arc::new(array::ArrayMap::new(d)?),
        MapType::ProgArray => Arc::new(prog_array::ProgArray::new(d)?),
        MapType::PerfEventArray => Arc::new(perf_event_array::PerfEventArray::new(d)?),
        MapType::StackTrace => Arc::new(stack_trace::StackTrace::new(d)?),
        MapType::ArrayOfMaps | MapType::HashOfMaps => match template {
            Some(t) => Arc::new(map_in_map::MapInMap::new(d, t)?),
            None => return Err(Error::BadFd { fd: attr.inner_map_fd }),
        },
        MapType::Queue | MapType::Stack => Arc::new(queue::QueueMap::new(d)?),
        MapType::Ringbuf => Arc::new(ringbuf::RingBuf::new(d)?),
        _ => Arc::new(hash::HashMap::new(
            d,
            if attr.map_flags & BPF_F_ZERO_SEED != 0 { 0 } else { seed },
        )?),
    };
    name?;
    Ok(map)
}

/// Checks Linux applies to every map type.
fn check_common(attr: &MapCreateAttr) -> Result<()> {
    if attr.btf_vmlinux_value_type_id != 0 || attr.btf_key_type_id != 0 || attr.btf_value_type_id != 0 {
        // No BTF support: as Linux without the BTF object.
        return Err(Error::InvalidArgument);
    }
    if attr.map_extra != 0 || attr.map_ifindex != 0 {
        return Err(Error::InvalidArgument);
    }
    if attr.map_flags & BPF_F_RDONLY != 0 && attr.map_flags & BPF_F_WRONLY != 0 {
        return Err(Error::BadFlags {
            flags: attr.map_flags.into(),
        });
    }
    if attr.map_flags & BPF_F_NUMA_NODE != 0 && attr.numa_node != 0 {
        // One NUMA node, number 0.
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// Linux's `bpf_map_flags_access_ok`: programs cannot be both read-only and write-only.
fn access_ok(flags: u32) -> bool {
    flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
}

/// Flags each family accepts at creation.
const ARRAY_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HASH_FLAGS: u32 = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | ACCESS_MASK | BPF_F_ZERO_SEED;
const QUEUE_FLAGS: u32 = BPF_F_NUMA_NODE | ACCESS_MASK;
const RINGBUF_FLAGS: u32 = BPF_F_NUMA_NODE;

/// An object name: alphanumerics, `_` and `.`, NUL-terminated within the
/// field (maps and programs, as Linux's `bpf_obj_name_cpy`).
///
/// # Errors
/// [`Error::InvalidArgument`] for another character or a missing NUL.
pub fn check_name(raw: &[u8; BPF_OBJ_NAME_LEN as usize]) -> Result<[u8; BPF_OBJ_NAME_LEN as usize]> {
    map_name(raw)
}

/// A map name: alphanumerics, `_` and `.`, NUL-terminated within the field.
fn map_name(raw: &[u8; BPF_OBJ_NAME_LEN as usize]) -> Result<[u8; BPF_OBJ_NAME_LEN as usize]> {
    let mut out = [0u8; BPF_OBJ_NAME_LEN as usize];
    for (i, &c) in raw.iter().enumerate() {
        if c == 0 {
            return Ok(out);
        }
        if !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.') {
            return Err(Error::InvalidArgument);
        }
        out[i] = c;
    }
    Err(Error::InvalidArgument)
}

/// Checks a total allocation against the per-map memory limit.
fn check_memory(bytes: u128) -> Result<usize> {
    if bytes > u128::from(abi::BPF_MAP_MEMORY_LIMIT) {
        return Err(Error::NoMemory);
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests;
