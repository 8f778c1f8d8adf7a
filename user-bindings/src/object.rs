//! Objects clang builds, on the user side. They are read by the kernel's own
//! ELF module (`kernel_bpf::elf`, `no_std`): there is no second parser.

use crate::{Backend, Client, Errno};
use kernel_bpf::elf::ElfObject;

impl<B: Backend> Client<B> {
    /// Creates every map `o` defines, as BPF_PROG_LOAD_EX creates them in the
    /// kernel: the attr from the definition (`cpus` sizes a perf event
    /// array without max entries), the template of a map of maps from its
    /// inner definition (or, in legacy records, from the map it names),
    /// global data filled and `.rodata` frozen. One fd or errno per map, in
    /// object order; the fds are the caller's to close.
    pub fn create_object_maps(&self, o: &ElfObject, cpus: u32) -> Vec<Result<u32, Errno>> {
        let mut made: Vec<Result<u32, Errno>> = Vec::new();
        for spec in &o.maps {
            let mut attr = spec.create_attr(cpus);
            let template = spec
                .inner
                .as_ref()
                .map(|inner| self.map_create(&inner.create_attr(cpus)));
            if let Some(Ok(t)) = template {
                attr.inner_map_fd = t;
            } else if let Some(Some(Ok(t))) = spec.inner_index.map(|i| made.get(i as usize).cloned()) {
                attr.inner_map_fd = t;
            }
            let fd = self.map_create(&attr).and_then(|fd| {
                let fill = spec
                    .data
                    .as_ref()
                    .map_or(Ok(()), |d| self.update(fd, Some(&0u32.to_ne_bytes()), d, 0));
                let freeze = if spec.freeze { self.freeze(fd) } else { Ok(()) };
                match fill.and(freeze) {
                    Ok(()) => Ok(fd),
                    Err(e) => {
                        let _ = self.close(fd);
                        Err(e)
                    }
                }
            });
            if let Some(Ok(t)) = template {
                let _ = self.close(t);
            }
            made.push(fd);
        }
        made
    }
}
