//! Typed bpf(2) commands over any [`Backend`].

use crate::{Backend, Errno, UserBuffer};
use abi::{
    AttachTarget, Cmd, LoadExMap, LoadExProg, MapBatchAttr, MapCreateAttr, MapElemAttr, MapFdEntry, MapInfo,
    ObjInfoAttr, ProgLoadAttr, ProgTestRunAttr, ProgType, ProgramLoadExAttr,
};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// What a batch lookup returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOut {
    /// Keys, one per element.
    pub keys: Vec<Vec<u8>>,
    /// Values, one per element.
    pub values: Vec<Vec<u8>>,
    /// The position to continue from.
    pub out_batch: Vec<u8>,
}

/// What BPF_PROG_TEST_RUN reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestRun {
    /// r0 of the last run.
    pub retval: u32,
    /// `data_size_out` as the kernel set it.
    pub data_size_out: u32,
    /// The data out (as much as fitted).
    pub data_out: Vec<u8>,
    /// `ctx_size_out` as the kernel set it.
    pub ctx_size_out: u32,
    /// The context out (as much as fitted).
    pub ctx_out: Vec<u8>,
}

/// What BPF_PROG_LOAD_EX handed out.
#[derive(Debug)]
pub struct LoadedObject {
    /// The first program's fd (the command's result).
    pub first: u32,
    /// Every program, in object order.
    pub progs: Vec<LoadExProg>,
    /// Every map, in object order.
    pub maps: Vec<LoadExMap>,
}

/// Typed commands over a backend.
pub struct Client<B: Backend> {
    backend: B,
}

/// Offset of the value area in the scratch buffer of one command.
const VALUE: usize = 1024;

impl<B: Backend> Client<B> {
    /// A client of `backend`.
    pub fn new(backend: B) -> Client<B> {
        Client { backend }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Runs `cmd` with `attr` placed in `buf` at offset 0, and reads the
    /// attr back (commands write output fields into it).
    fn run<T: IntoBytes + FromBytes + Immutable>(
        &self,
        cmd: Cmd,
        attr: &mut T,
        buf: &dyn UserBuffer,
    ) -> Result<u32, Errno> {
        let bytes = attr.as_bytes();
        buf.write(0, bytes);
        let r = self.backend.bpf(cmd.raw(), buf.addr(), bytes.len() as u32);
        if let Ok(back) = T::read_from_bytes(&buf.read(0, bytes.len())) {
            *attr = back;
        }
        r
    }

    /// Runs `cmd` with raw attr bytes at a raw address and size, for tests
    /// of bad input.
    ///
    /// # Errors
    /// The errno.
    pub fn raw(&self, cmd: u32, attr: u64, size: u32) -> Result<u32, Errno> {
        self.backend.bpf(cmd, attr, size)
    }

    /// A scratch buffer for a command with a key and a value of these sizes.
    fn scratch(&self, value_len: usize) -> Box<dyn UserBuffer> {
        self.backend.buffer(VALUE + value_len.max(8))
    }

    /// BPF_MAP_CREATE.
    ///
    /// # Errors
    /// The errno.
    pub fn map_create(&self, attr: &MapCreateAttr) -> Result<u32, Errno> {
        let buf = self.backend.buffer(std::mem::size_of::<MapCreateAttr>());
        let mut a = *attr;
        self.run(Cmd::MapCreate, &mut a, &*buf)
    }

    fn elem(
        &self,
        cmd: Cmd,
        fd: u32,
        key: Option<&[u8]>,
        value: &[u8],
        out_len: usize,
        flags: u64,
    ) -> Result<Vec<u8>, Errno> {
        let buf = self.scratch(value.len().max(out_len));
        let key_addr = match key {
            Some(k) => {
                let kb = self.backend.buffer(k.len());
                kb.write(0, k);
                Some(kb)
            }
            None => None,
        };
        buf.write(VALUE, value);
        let mut a = MapElemAttr {
            map_fd: fd,
            key: key_addr.as_ref().map_or(0, |k| k.addr()),
            value: if out_len > 0 || !value.is_empty() {
                buf.at(VALUE)
            } else {
                0
            },
            flags,
            ..Default::default()
        };
        self.run(cmd, &mut a, &*buf)?;
        Ok(buf.read(VALUE, out_len))
    }

    /// BPF_MAP_LOOKUP_ELEM: the value (of `value_len` bytes) of `key`.
    ///
    /// # Errors
    /// The errno (ENOENT for a missing key).
    pub fn lookup(&self, fd: u32, key: Option<&[u8]>, value_len: usize) -> Result<Vec<u8>, Errno> {
        self.elem(Cmd::MapLookupElem, fd, key, &[], value_len, 0)
    }

    /// BPF_MAP_UPDATE_ELEM.
    ///
    /// # Errors
    /// The errno.
    pub fn update(&self, fd: u32, key: Option<&[u8]>, value: &[u8], flags: u64) -> Result<(), Errno> {
        self.elem(Cmd::MapUpdateElem, fd, key, value, 0, flags).map(|_| ())
    }

    /// BPF_MAP_DELETE_ELEM.
    ///
    /// # Errors
    /// The errno.
    pub fn delete(&self, fd: u32, key: Option<&[u8]>) -> Result<(), Errno> {
        let kb = key.map(|k| {
            let b = self.backend.buffer(k.len());
            b.write(0, k);
            b
        });
        let buf = self.backend.buffer(64);
        let mut a = MapElemAttr {
            map_fd: fd,
            key: kb.as_ref().map_or(0, |k| k.addr()),
            ..Default::default()
        };
        self.run(Cmd::MapDeleteElem, &mut a, &*buf).map(|_| ())
    }

    /// BPF_MAP_GET_NEXT_KEY: the key after `key` (the first for `None`).
    ///
    /// # Errors
    /// The errno (ENOENT after the last key).
    pub fn next_key(&self, fd: u32, key: Option<&[u8]>, key_len: usize) -> Result<Vec<u8>, Errno> {
        let kb = key.map(|k| {
            let b = self.backend.buffer(k.len());
            b.write(0, k);
            b
        });
        let buf = self.scratch(key_len);
        let mut a = MapElemAttr {
            map_fd: fd,
            key: kb.as_ref().map_or(0, |k| k.addr()),
            value: buf.at(VALUE),
            ..Default::default()
        };
        self.run(Cmd::MapGetNextKey, &mut a, &*buf)?;
        Ok(buf.read(VALUE, key_len))
    }

    /// BPF_MAP_LOOKUP_AND_DELETE_ELEM (pop, for queues and stacks).
    ///
    /// # Errors
    /// The errno.
    pub fn lookup_and_delete(&self, fd: u32, key: Option<&[u8]>, value_len: usize) -> Result<Vec<u8>, Errno> {
        self.elem(Cmd::MapLookupAndDeleteElem, fd, key, &[], value_len, 0)
    }

    /// BPF_MAP_FREEZE.
    ///
    /// # Errors
    /// The errno.
    pub fn freeze(&self, fd: u32) -> Result<(), Errno> {
        let buf = self.backend.buffer(64);
        let mut a = MapElemAttr {
            map_fd: fd,
            ..Default::default()
        };
        self.run(Cmd::MapFreeze, &mut a, &*buf).map(|_| ())
    }

    /// BPF_OBJ_GET_INFO_BY_FD for a map.
    ///
    /// # Errors
    /// The errno.
    pub fn map_info(&self, fd: u32) -> Result<MapInfo, Errno> {
        let buf = self.scratch(std::mem::size_of::<MapInfo>());
        let mut a = ObjInfoAttr {
            bpf_fd: fd,
            info_len: std::mem::size_of::<MapInfo>() as u32,
            info: buf.at(VALUE),
        };
        self.run(Cmd::ObjGetInfoByFd, &mut a, &*buf)?;
        MapInfo::read_from_bytes(&buf.read(VALUE, std::mem::size_of::<MapInfo>())).map_err(|_| abi::Errno::EFAULT.raw())
    }

    /// BPF_MAP_LOOKUP_BATCH, or LOOKUP_AND_DELETE_BATCH with `delete`:
    /// up to `count` elements after position `in_batch` (`None`: from the
    /// start); positions are `batch_len` bytes. Returns the command's result
    /// and what it wrote (also on ENOENT, which ends an iteration).
    #[allow(clippy::too_many_arguments, reason = "one parameter per attr field")]
    pub fn lookup_batch(
        &self,
        fd: u32,
        in_batch: Option<&[u8]>,
        batch_len: usize,
        count: u32,
        key_len: usize,
        value_len: usize,
        delete: bool,
    ) -> (Result<(), Errno>, BatchOut) {
        let n = count as usize;
        let keys = self.backend.buffer(n * key_len);
        let values = self.backend.buffer(n * value_len);
        let batch = self.backend.buffer(batch_len * 2);
        if let Some(b) = in_batch {
            batch.write(0, b);
        }
        let buf = self.backend.buffer(128);
        let mut a = MapBatchAttr {
            in_batch: if in_batch.is_some() { batch.addr() } else { 0 },
            out_batch: batch.at(batch_len),
            keys: keys.addr(),
            values: values.addr(),
            count,
            map_fd: fd,
            ..Default::default()
        };
        let cmd = if delete {
            Cmd::MapLookupAndDeleteBatch
        } else {
            Cmd::MapLookupBatch
        };
        let r = self.run(cmd, &mut a, &*buf).map(|_| ());
        let got = (a.count as usize).min(n);
        let out = BatchOut {
            keys: (0..got).map(|i| keys.read(i * key_len, key_len)).collect(),
            values: (0..got).map(|i| values.read(i * value_len, value_len)).collect(),
            out_batch: batch.read(batch_len, batch_len),
        };
        (r, out)
    }

    /// BPF_MAP_UPDATE_BATCH; returns the result and how many were updated.
    pub fn update_batch(
        &self,
        fd: u32,
        keys: &[Vec<u8>],
        values: &[Vec<u8>],
        elem_flags: u64,
    ) -> (Result<(), Errno>, u32) {
        let (kb, vb) = (concat(&self.backend, keys), concat(&self.backend, values));
        let buf = self.backend.buffer(128);
        let mut a = MapBatchAttr {
            keys: kb.addr(),
            values: vb.addr(),
            count: keys.len() as u32,
            map_fd: fd,
            elem_flags,
            ..Default::default()
        };
        let r = self.run(Cmd::MapUpdateBatch, &mut a, &*buf).map(|_| ());
        (r, a.count)
    }

    /// BPF_MAP_DELETE_BATCH; returns the result and how many were deleted.
    pub fn delete_batch(&self, fd: u32, keys: &[Vec<u8>]) -> (Result<(), Errno>, u32) {
        let kb = concat(&self.backend, keys);
        let buf = self.backend.buffer(128);
        let mut a = MapBatchAttr {
            keys: kb.addr(),
            count: keys.len() as u32,
            map_fd: fd,
            ..Default::default()
        };
        let r = self.run(Cmd::MapDeleteBatch, &mut a, &*buf).map(|_| ());
        (r, a.count)
    }

    /// BPF_PROG_LOAD of raw instruction bytes.
    ///
    /// # Errors
    /// The errno.
    pub fn prog_load(&self, prog_type: ProgType, code: &[u8], license: &str) -> Result<u32, Errno> {
        self.load(prog_type, code, license, "", 0, 0).0
    }

    /// BPF_PROG_LOAD with a program name (cut to 15 bytes) and a log: a
    /// refusal comes with the verifier's log (up to 1 MiB; a longer log
    /// fails the load with ENOSPC, as in Linux).
    ///
    /// # Errors
    /// The errno and the log.
    pub fn prog_load_named(
        &self,
        prog_type: ProgType,
        code: &[u8],
        license: &str,
        name: &str,
    ) -> Result<u32, (Errno, String)> {
        let (r, log) = self.load(prog_type, code, license, name, 1, 1 << 20);
        r.map_err(|e| (e, log))
    }

    /// BPF_PROG_LOAD with a verifier log of `log_size` bytes at
    /// `log_level` (1: the path to a refusal; 2: every instruction with
    /// the registers; 4: statistics): the result, and the log either way.
    pub fn prog_load_log(
        &self,
        prog_type: ProgType,
        code: &[u8],
        license: &str,
        log_level: u32,
        log_size: u32,
    ) -> (Result<u32, Errno>, String) {
        self.load(prog_type, code, license, "", log_level, log_size)
    }

    fn load(
        &self,
        prog_type: ProgType,
        code: &[u8],
        license: &str,
        name: &str,
        log_level: u32,
        log_size: u32,
    ) -> (Result<u32, Errno>, String) {
        let log = log_level != 0;
        let lic = VALUE + code.len();
        let log_at = lic + license.len() + 1;
        let buf = self.backend.buffer(log_at + log_size as usize);
        buf.write(VALUE, code);
        buf.write(lic, license.as_bytes());
        let mut prog_name = [0u8; 16];
        for (d, s) in prog_name[..15].iter_mut().zip(name.bytes()) {
            *d = s;
        }
        let mut a = ProgLoadAttr {
            prog_type: prog_type.raw(),
            insn_cnt: (code.len() / 8) as u32,
            insns: buf.at(VALUE),
            license: buf.at(lic),
            log_level,
            log_size,
            log_buf: if log { buf.at(log_at) } else { 0 },
            prog_name,
            ..Default::default()
        };
        let r = self.run(Cmd::ProgLoad, &mut a, &*buf);
        let text = buf.read(log_at, log_size as usize);
        let end = text.iter().position(|&c| c == 0).unwrap_or(0);
        (r, String::from_utf8_lossy(&text[..end]).trim_end().to_string())
    }

    /// BPF_PROG_LOAD_EX: loads every program of an ELF object; `named` maps
    /// symbols to the caller's map fds. Returns the programs and maps with
    /// their fds (all of them are the caller's to close).
    ///
    /// # Errors
    /// The errno, and the kernel's log line saying why.
    pub fn prog_load_ex(&self, elf: &[u8], named: &[(&str, u32)]) -> Result<LoadedObject, (Errno, String)> {
        const LOG: usize = 1 << 20;
        let (mut nprogs, mut nmaps) = (16usize, 16usize);
        loop {
            let entry = std::mem::size_of::<MapFdEntry>();
            let names: Vec<u8> = named.iter().flat_map(|(n, _)| n.bytes().chain([0])).collect();
            let (progs_at, maps_at) = (VALUE, VALUE + nprogs * std::mem::size_of::<LoadExProg>());
            let log_at = maps_at + nmaps * std::mem::size_of::<LoadExMap>();
            let entries_at = log_at + LOG;
            let names_at = entries_at + named.len() * entry;
            let elf_at = names_at + names.len();
            let buf = self.backend.buffer(elf_at + elf.len());
            buf.write(elf_at, elf);
            buf.write(names_at, &names);
            let mut off = 0;
            for (i, (n, fd)) in named.iter().enumerate() {
                let e = MapFdEntry {
                    name: buf.at(names_at + off),
                    fd: *fd,
                    ..Default::default()
                };
                buf.write(entries_at + i * entry, e.as_bytes());
                off += n.len() + 1;
            }
            let mut a = ProgramLoadExAttr {
                elf_prog: buf.at(elf_at),
                elf_size: elf.len() as u32,
                map_array_len: named.len() as u32,
                map_array: buf.at(entries_at),
                progs: buf.at(progs_at),
                progs_len: nprogs as u32,
                maps: buf.at(maps_at),
                maps_len: nmaps as u32,
                log_buf: buf.at(log_at),
                log_size: LOG as u32,
                log_level: 1,
            };
            match self.run(Cmd::ProgLoadEx, &mut a, &*buf) {
                Ok(first) => {
                    let read = |at: usize, n: usize, size: usize| -> Vec<Vec<u8>> {
                        (0..n).map(|i| buf.read(at + i * size, size)).collect()
                    };
                    let progs = read(progs_at, a.progs_len as usize, std::mem::size_of::<LoadExProg>())
                        .iter()
                        .filter_map(|b| LoadExProg::read_from_bytes(b).ok())
                        .collect();
                    let maps = read(maps_at, a.maps_len as usize, std::mem::size_of::<LoadExMap>())
                        .iter()
                        .filter_map(|b| LoadExMap::read_from_bytes(b).ok())
                        .collect();
                    return Ok(LoadedObject { first, progs, maps });
                }
                Err(e)
                    if e == abi::Errno::ENOSPC.raw()
                        && (a.progs_len as usize > nprogs || a.maps_len as usize > nmaps) =>
                {
                    nprogs = nprogs.max(a.progs_len as usize);
                    nmaps = nmaps.max(a.maps_len as usize);
                }
                Err(e) => {
                    let log = buf.read(log_at, LOG);
                    let end = log.iter().position(|&c| c == 0).unwrap_or(0);
                    return Err((e, String::from_utf8_lossy(&log[..end]).trim_end().to_string()));
                }
            }
        }
    }

    /// BPF_PROG_ATTACH of program `fd` to `target` (`kprobe:<fn>`,
    /// `kretprobe@entry:<fn>`, `kretprobe@exit:<fn>`,
    /// `tracepoint:<category>:<name>`, `raw_tracepoint:<name>`).
    ///
    /// # Errors
    /// The errno.
    pub fn prog_attach(&self, target: &str, fd: u32, flags: u32) -> Result<(), Errno> {
        self.attach_cmd(Cmd::ProgAttach, target, fd, flags)
    }

    /// BPF_PROG_DETACH of program `fd` (0: every program) from `target`.
    ///
    /// # Errors
    /// The errno.
    pub fn prog_detach(&self, target: &str, fd: u32) -> Result<(), Errno> {
        self.attach_cmd(Cmd::ProgDetach, target, fd, 0)
    }

    fn attach_cmd(&self, cmd: Cmd, target: &str, fd: u32, flags: u32) -> Result<(), Errno> {
        let buf = self.backend.buffer(VALUE + target.len() + 1);
        buf.write(VALUE, target.as_bytes());
        let mut a = AttachTarget {
            target: buf.at(VALUE),
            prog_fd: fd,
            flags,
        };
        self.run(cmd, &mut a, &*buf).map(|_| ())
    }

    /// BPF_PROG_TEST_RUN on `data`; returns r0 (as `retval`) and the data
    /// after the run.
    ///
    /// # Errors
    /// The errno.
    pub fn test_run(&self, fd: u32, data: &[u8], repeat: u32) -> Result<(u32, Vec<u8>), Errno> {
        let buf = self.backend.buffer(VALUE + 2 * data.len().max(1));
        buf.write(VALUE, data);
        let out = VALUE + data.len().max(1);
        let mut a = ProgTestRunAttr {
            prog_fd: fd,
            data_size_in: data.len() as u32,
            data_in: buf.at(VALUE),
            data_size_out: data.len() as u32,
            data_out: if data.is_empty() { 0 } else { buf.at(out) },
            repeat,
            ..Default::default()
        };
        self.run(Cmd::ProgTestRun, &mut a, &*buf)?;
        Ok((a.retval, buf.read(out, data.len())))
    }

    /// BPF_PROG_TEST_RUN with every input and output: `data` in, room for
    /// `data_out` bytes out (0: no data out), an optional context in, room
    /// for `ctx_out` bytes of context out (0: none).
    ///
    /// # Errors
    /// The errno; on ENOSPC the outputs that fitted are in the `Err`'s
    /// companion [`TestRun`], as Linux writes them before failing.
    pub fn test_run_opts(
        &self,
        fd: u32,
        data: &[u8],
        data_out: usize,
        ctx_in: Option<&[u8]>,
        ctx_out: usize,
        repeat: u32,
    ) -> Result<TestRun, (Errno, TestRun)> {
        let ctx = ctx_in.unwrap_or(&[]);
        let (d_in, d_out) = (VALUE, VALUE + data.len());
        let (c_in, c_out) = (d_out + data_out, d_out + data_out + ctx.len());
        let buf = self.backend.buffer(c_out + ctx_out + 8);
        buf.write(d_in, data);
        buf.write(c_in, ctx);
        let at = |off: usize, n: usize| if n == 0 { 0 } else { buf.at(off) };
        let mut a = ProgTestRunAttr {
            prog_fd: fd,
            data_size_in: data.len() as u32,
            data_in: at(d_in, data.len()),
            data_size_out: data_out as u32,
            data_out: at(d_out, data_out),
            ctx_size_in: ctx.len() as u32,
            ctx_in: at(c_in, ctx.len()),
            ctx_size_out: ctx_out as u32,
            ctx_out: at(c_out, ctx_out),
            repeat,
            ..Default::default()
        };
        let r = self.run(Cmd::ProgTestRun, &mut a, &*buf);
        let out = TestRun {
            retval: a.retval,
            data_size_out: a.data_size_out,
            data_out: buf.read(d_out, data_out.min(a.data_size_out as usize)),
            ctx_size_out: a.ctx_size_out,
            ctx_out: buf.read(c_out, ctx_out.min(a.ctx_size_out as usize)),
        };
        match r {
            Ok(_) => Ok(out),
            Err(e) => Err((e, out)),
        }
    }

    /// Closes an fd.
    ///
    /// # Errors
    /// The errno.
    pub fn close(&self, fd: u32) -> Result<(), Errno> {
        self.backend.close(fd)
    }
}

fn concat<B: Backend>(backend: &B, parts: &[Vec<u8>]) -> Box<dyn UserBuffer> {
    let all: Vec<u8> = parts.concat();
    let b = backend.buffer(all.len());
    b.write(0, &all);
    b
}
