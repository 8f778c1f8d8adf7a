#!/usr/bin/env python3
"""Check tests/verifier/{reject,accept}.txt against the running Linux kernel's verifier.

Each case is assembled with a Python port of the subset of our assembler's
syntax (kernel-bpf/src/prog/asm.rs) that the files use, its maps are created
with BPF_MAP_CREATE, and the program is loaded with BPF_PROG_LOAD (license
"GPL", log_level 1, 1 MiB log).  A reject case passes when Linux refuses it
and its log contains the `expect:` substring; an accept case passes when Linux
loads it.  Needs root (or CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN) on x86_64: the
files describe Linux's verifier for a *privileged* loader (uninitialised
stack reads and pointer leaks are allowed, bounded loops are explored).
Last checked against Linux 6.18 (all cases pass).

Usage: check_linux.py [FILE...] [-v] [-k NAME]   (defaults: reject.txt and
accept.txt next to this script; -v prints the logs; -k runs one case).
Exit status 0 when every case behaves as the file says.
"""
import ctypes
import os
import struct
import sys

SYS_BPF = 321  # x86_64
BPF_MAP_CREATE, BPF_PROG_LOAD = 0, 5

PROG_TYPES = {
    "socket_filter": 1, "kprobe": 2, "sched_cls": 3, "sched_act": 4,
    "tracepoint": 5, "xdp": 6, "perf_event": 7, "cgroup_skb": 8,
    "raw_tracepoint": 17,
}
MAP_TYPES = {
    "hash": 1, "array": 2, "prog_array": 3, "perf_event_array": 4,
    "percpu_hash": 5, "percpu_array": 6, "stack_trace": 7, "lru_hash": 9,
    "queue": 22, "stack": 23, "ringbuf": 27,
}

# --- assembler (port of asm.rs) -------------------------------------------
BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_JMP32, BPF_ALU64 = range(8)
BPF_K, BPF_X = 0x00, 0x08
SIZES = {"b": 0x10, "h": 0x08, "w": 0x00, "dw": 0x18}
BPF_DW = 0x18
BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_MEMSX, BPF_ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0
ALU_OPS = {"add": 0x00, "sub": 0x10, "mul": 0x20, "div": 0x30, "or": 0x40, "and": 0x50,
           "lsh": 0x60, "rsh": 0x70, "mod": 0x90, "xor": 0xA0, "mov": 0xB0, "arsh": 0xC0}
BPF_NEG, BPF_END = 0x80, 0xD0
JMP_OPS = {"jeq": 0x10, "jgt": 0x20, "jge": 0x30, "jset": 0x40, "jne": 0x50, "jsgt": 0x60,
           "jsge": 0x70, "jlt": 0xA0, "jle": 0xB0, "jslt": 0xC0, "jsle": 0xD0}
BPF_JA, BPF_CALL, BPF_EXIT = 0x00, 0x80, 0x90
ATOMIC_OPS = {"add": 0x00, "and": 0x50, "or": 0x40, "xor": 0xA0}
BPF_FETCH, BPF_XCHG, BPF_CMPXCHG = 0x01, 0xE1, 0xF1
BPF_PSEUDO_MAP_FD, BPF_PSEUDO_CALL = 1, 1


class AsmError(Exception):
    pass


def reg(s):
    s = s.strip()
    if not s.startswith("%r"):
        raise AsmError("bad register %r" % s)
    n = int(s[2:])
    if n > 10:
        raise AsmError("bad register %r" % s)
    return n


def is_reg(s):
    try:
        reg(s)
        return True
    except (AsmError, ValueError):
        return False


def integer(s):
    s = s.strip()
    neg = s.startswith("-")
    body = s[1:] if s[:1] in "+-" else s
    v = int(body, 16) if body.lower().startswith("0x") else int(body, 10)
    return -v if neg else v


def imm32(s):
    v = integer(s)
    if v < -(1 << 31) or v > 0xFFFFFFFF:
        raise AsmError("imm out of range")
    return v & 0xFFFFFFFF


def mem(s):
    s = s.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise AsmError("bad mem operand %r" % s)
    inner = s[1:-1]
    i = min([p for p in (inner.find("+"), inner.find("-")) if p >= 0], default=-1)
    if i < 0:
        return reg(inner), 0
    return reg(inner[:i]), integer(inner[i:])


def ops_of(rest):
    return [o.strip() for o in rest.split(",")] if rest.strip() else []


def assemble(text, map_fds):
    """Returns (list of (code,dst,src,off,imm)) with labels resolved."""
    items, labels, slot = [], {}, 0
    for raw in text.splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        if line.endswith(":"):
            labels.setdefault(line[:-1].strip(), slot)
            continue
        parts = line.split(None, 1)
        mn, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        item = parse_line(mn, rest, map_fds)
        if item[0] == "insn" and item[1][0] == (BPF_JMP | BPF_EXIT):
            labels.setdefault("exit", slot)
        slot += 2 if item[0] == "lddw" else 1
        items.append(item)
    out = []
    for item in items:
        pc = len(out)

        def target(t):
            if t[:1] in "+-":
                return integer(t)
            if t not in labels:
                raise AsmError("unknown label %r" % t)
            return labels[t] - pc - 1

        kind = item[0]
        if kind == "insn":
            out.append(item[1])
        elif kind == "lddw":
            _, dst, src, v = item
            v &= (1 << 64) - 1
            out.append((BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, v & 0xFFFFFFFF))
            out.append((0, 0, 0, 0, v >> 32))
        elif kind == "jump":
            _, code, dst, src, imm, t, in_imm = item
            rel = target(t)
            if in_imm:
                out.append((code, dst, src, 0, rel & 0xFFFFFFFF))
            else:
                out.append((code, dst, src, rel, imm))
        elif kind == "call":
            out.append((BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, target(item[1]) & 0xFFFFFFFF))
    return out




def parse_line(mn, rest, map_fds):
    ops = ops_of(rest)

    def want(n):
        if len(ops) != n:
            raise AsmError("want %d operands: %s %s" % (n, mn, rest))

    if mn == "exit":
        want(0)
        return ("insn", (BPF_JMP | BPF_EXIT, 0, 0, 0, 0))
    if mn == "lddw":
        want(2)
        if ops[1].startswith("map"):
            return ("lddw", reg(ops[0]), BPF_PSEUDO_MAP_FD, map_fds[int(ops[1][3:])])
        return ("lddw", reg(ops[0]), 0, integer(ops[1]))
    for prefix, mode in (("ldabs", BPF_ABS), ("ldind", BPF_IND)):
        if mn.startswith(prefix) and mn[len(prefix):] in ("b", "h", "w"):
            code = BPF_LD | SIZES[mn[len(prefix):]] | mode
            if mode == BPF_ABS:
                want(1)
                return ("insn", (code, 0, 0, 0, imm32(ops[0])))
            want(2)
            return ("insn", (code, 0, reg(ops[0]), 0, imm32(ops[1])))
    if mn == "call":
        arg = rest.strip()
        if arg.startswith("local "):
            return ("call", arg[6:].strip())
        if arg.startswith("%r"):
            return ("insn", (BPF_JMP | BPF_CALL | BPF_X, reg(arg), 0, 0, 0))
        return ("insn", (BPF_JMP | BPF_CALL, 0, 0, 0, imm32(arg)))
    if mn in ("ja", "ja32"):
        want(1)
        code = (BPF_JMP if mn == "ja" else BPF_JMP32) | BPF_JA
        return ("jump", code, 0, 0, 0, ops[0], mn == "ja32")
    if mn == "lock":
        return parse_lock(rest)
    for prefix, code in (("le", BPF_ALU | BPF_END | 0x00), ("be", BPF_ALU | BPF_END | 0x08),
                         ("bswap", BPF_ALU64 | BPF_END), ("swap", BPF_ALU64 | BPF_END)):
        if mn.startswith(prefix) and mn[len(prefix):].isdigit():
            want(1)
            w = int(mn[len(prefix):])
            if w not in (16, 32, 64):
                raise AsmError("bad width")
            return ("insn", (code, reg(ops[0]), 0, 0, w))
    for prefix, cls, mode in (("ldxs", BPF_LDX, BPF_MEMSX), ("ldx", BPF_LDX, BPF_MEM),
                              ("stx", BPF_STX, BPF_MEM), ("st", BPF_ST, BPF_MEM)):
        if mn.startswith(prefix) and mn[len(prefix):] in SIZES:
            want(2)
            code = cls | SIZES[mn[len(prefix):]] | mode
            if cls == BPF_LDX:
                src, off = mem(ops[1])
                return ("insn", (code, reg(ops[0]), src, off, 0))
            if cls == BPF_STX:
                dst, off = mem(ops[0])
                return ("insn", (code, dst, reg(ops[1]), off, 0))
            dst, off = mem(ops[0])
            return ("insn", (code, dst, 0, off, imm32(ops[1])))
    base, wide = (mn[:-2], False) if mn.endswith("32") else (mn, True)
    if base in JMP_OPS:
        want(3)
        cls = BPF_JMP if wide else BPF_JMP32
        dst = reg(ops[0])
        if is_reg(ops[1]):
            return ("jump", cls | JMP_OPS[base] | BPF_X, dst, reg(ops[1]), 0, ops[2], False)
        return ("jump", cls | JMP_OPS[base] | BPF_K, dst, 0, imm32(ops[1]), ops[2], False)
    cls = BPF_ALU64 if wide else BPF_ALU
    if base == "neg":
        want(1)
        return ("insn", (cls | BPF_NEG, reg(ops[0]), 0, 0, 0))
    if base == "sdiv":
        op, off = ALU_OPS["div"], 1
    elif base == "smod":
        op, off = ALU_OPS["mod"], 1
    elif base in ALU_OPS:
        op, off = ALU_OPS[base], 0
    else:
        forms = {"movsx832": (BPF_ALU, 8), "movsx1632": (BPF_ALU, 16), "movsx864": (BPF_ALU64, 8),
                 "movsx1664": (BPF_ALU64, 16), "movsx3264": (BPF_ALU64, 32)}
        if mn not in forms:
            raise AsmError("unknown mnemonic %r" % mn)
        want(2)
        c, o = forms[mn]
        return ("insn", (c | ALU_OPS["mov"] | BPF_X, reg(ops[0]), reg(ops[1]), o, 0))
    want(2)
    dst = reg(ops[0])
    if is_reg(ops[1]):
        return ("insn", (cls | op | BPF_X, dst, reg(ops[1]), off, 0))
    return ("insn", (cls | op | BPF_K, dst, 0, off, imm32(ops[1])))


def parse_lock(rest):
    rest = rest.strip()
    fetch = rest.startswith("fetch ")
    if fetch:
        rest = rest[6:].strip()
    word, ops = rest.split(" ", 1)
    name, wide = (word[:-2], False) if word.endswith("32") else (word, True)
    if name == "xchg" and not fetch:
        imm = BPF_XCHG
    elif name == "cmpxchg" and not fetch:
        imm = BPF_CMPXCHG
    else:
        if name not in ATOMIC_OPS:
            raise AsmError("unknown atomic %r" % name)
        imm = ATOMIC_OPS[name] | (BPF_FETCH if fetch else 0)
    ops = ops_of(ops)
    if len(ops) != 2:
        raise AsmError("atomic operands")
    dst, off = mem(ops[0])
    code = BPF_STX | (BPF_DW if wide else 0x00) | BPF_ATOMIC
    return ("insn", (code, dst, reg(ops[1]), off, imm))


def encode(insns):
    b = bytearray()
    for code, dst, src, off, imm in insns:
        b += struct.pack("<BBhI", code, (src << 4) | dst, off, imm & 0xFFFFFFFF)
    return bytes(b)


# --- file format -----------------------------------------------------------
def parse_cases(path):
    cases, cur = [], None
    for n, line in enumerate(open(path), 1):
        if line.startswith("=== "):
            cur = {"name": line[4:].strip(), "type": "socket_filter", "maps": [],
                   "expect": None, "body": [], "line": n}
            cases.append(cur)
            continue
        if cur is None:
            continue
        if not cur["body"]:
            s = line.strip()
            for key in ("type:", "maps:", "expect:", "ours:"):
                if s.startswith(key):
                    val = s[len(key):].strip()
                    if key == "ours:":
                        pass  # what our verifier does instead (verifier_suites.rs)
                    elif key == "type:":
                        cur["type"] = val
                    elif key == "maps:":
                        cur["maps"] = [m.split() for m in val.split(";") if m.strip()]
                    else:
                        cur["expect"] = val
                    break
            else:
                if s:
                    cur["body"].append(line)
            continue
        cur["body"].append(line)
    return cases


# --- syscalls --------------------------------------------------------------
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 256)
    r = libc.syscall(SYS_BPF, cmd, buf, 256)
    return r, ctypes.get_errno()


def map_create(spec):
    t = MAP_TYPES[spec[0]]
    k, v, m = int(spec[1]), int(spec[2]), int(spec[3])
    flags = int(spec[4], 0) if len(spec) > 4 else 0
    attr = struct.pack("<IIIIIII", t, k, v, m, flags, 0, 0)
    fd, err = bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        raise OSError(err, "map_create %s: %s" % (" ".join(spec), os.strerror(err)))
    return fd


def prog_load(ptype, insns):
    code = encode(insns)
    cbuf = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(1 << 20)
    attr = struct.pack("<IIQQIIQII", PROG_TYPES[ptype], len(insns), ctypes.addressof(cbuf),
                       ctypes.addressof(lic), 1, len(log), ctypes.addressof(log), 0, 0)
    fd, err = bpf(BPF_PROG_LOAD, attr)
    text = log.value.decode(errors="replace")
    if fd >= 0:
        os.close(fd)
    return fd >= 0, err, text


def run_case(case, want_reject, verbose):
    fds = []
    try:
        for spec in case["maps"]:
            fds.append(map_create(spec))
        insns = assemble("".join(case["body"]), fds)
        ok, err, log = prog_load(case["type"], insns)
    except (AsmError, OSError, ValueError, KeyError, IndexError) as e:
        return False, "setup error: %s" % e, ""
    finally:
        for fd in fds:
            os.close(fd)
    if want_reject:
        if ok:
            return False, "Linux accepted it", log
        if case["expect"] is None:
            return False, "no expect: line", log
        if case["expect"] not in log:
            return False, "rejected (errno %d) but log lacks %r" % (err, case["expect"]), log
        return True, "", log
    if not ok:
        last = [l for l in log.strip().splitlines() if l.strip()][-1:] or ["(empty log)"]
        return False, "Linux rejected it (errno %d): %s" % (err, last[0]), log
    return True, "", log


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    only = None
    if "-k" in args:
        only = args[args.index("-k") + 1]
        args.remove(only)
    files = [a for a in args if not a.startswith("-")]
    here = os.path.dirname(os.path.abspath(__file__))
    if not files:
        files = [os.path.join(here, "reject.txt"), os.path.join(here, "accept.txt")]
    failed = total = 0
    for path in files:
        want_reject = "reject" in os.path.basename(path)
        cases = parse_cases(path)
        names = [c["name"] for c in cases]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            print("%s: duplicate case name %s" % (path, dup))
            failed += 1
        for case in cases:
            if only and case["name"] != only:
                continue
            total += 1
            good, why, log = run_case(case, want_reject, verbose)
            if not good:
                failed += 1
                print("FAIL %s:%d %s: %s" % (os.path.basename(path), case["line"], case["name"], why))
                if not verbose:
                    tail = [l for l in log.strip().splitlines() if l.strip()][-3:]
                    for l in tail:
                        print("    | " + l)
            if verbose or (not good and only):
                print(log)
        print("%s: %d cases" % (os.path.basename(path), len(cases)))
    print("%d/%d passed" % (total - failed, total))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
