use super::*;

#[test]
fn assembles_the_corpus_syntax() {
    let p = assemble(
        "mov %r0, 0\n\
         # a comment\n\
         lddw %r1, 0x1122334455667788\n\
         ldxw %r2, [%r1+4]\n\
         stxdw [%r10-8], %r2\n\
         stb [%r10-1], 0xff\n\
         lock fetch add [%r10-8], %r2\n\
         lock cmpxchg32 [%r10-8], %r3\n\
         jne32 %r0, %r1, done\n\
         sdiv %r0, -3\n\
         movsx1664 %r4, %r5\n\
         be16 %r0\n\
         call local done\n\
         call 5\n\
         call %r2\n\
         done:\n\
         exit",
    )
    .unwrap();
    assert_eq!(p.len(), 16);
    assert_eq!(
        p[0],
        Insn {
            code: 0xb7,
            dst: 0,
            src: 0,
            off: 0,
            imm: 0
        }
    );
    assert_eq!(
        (p[1].code, p[1].imm as u32, p[2].imm as u32),
        (0x18, 0x5566_7788, 0x1122_3344)
    );
    assert_eq!(
        p[3],
        Insn {
            code: 0x61,
            dst: 2,
            src: 1,
            off: 4,
            imm: 0
        }
    );
    assert_eq!(
        p[4],
        Insn {
            code: 0x7b,
            dst: 10,
            src: 2,
            off: -8,
            imm: 0
        }
    );
    assert_eq!(
        p[5],
        Insn {
            code: 0x72,
            dst: 10,
            src: 0,
            off: -1,
            imm: 0xff
        }
    );
    assert_eq!(
        p[6],
        Insn {
            code: 0xdb,
            dst: 10,
            src: 2,
            off: -8,
            imm: 0x01
        }
    );
    assert_eq!(
        p[7],
        Insn {
            code: 0xc3,
            dst: 10,
            src: 3,
            off: -8,
            imm: 0xf1
        }
    );
    assert_eq!(
        p[8],
        Insn {
            code: 0x5e,
            dst: 0,
            src: 1,
            off: 6,
            imm: 0
        }
    );
    assert_eq!(
        p[9],
        Insn {
            code: 0x37,
            dst: 0,
            src: 0,
            off: 1,
            imm: -3
        }
    );
    assert_eq!(
        p[10],
        Insn {
            code: 0xbf,
            dst: 4,
            src: 5,
            off: 16,
            imm: 0
        }
    );
    assert_eq!(
        p[11],
        Insn {
            code: 0xdc,
            dst: 0,
            src: 0,
            off: 0,
            imm: 16
        }
    );
    assert_eq!(
        p[12],
        Insn {
            code: 0x85,
            dst: 0,
            src: 1,
            off: 0,
            imm: 2
        }
    );
    assert_eq!(
        p[14],
        Insn {
            code: 0x8d,
            dst: 2,
            src: 0,
            off: 0,
            imm: 0
        }
    );
}

#[test]
fn errors_name_the_line() {
    assert_eq!(
        assemble("mov %r0, 1\nfrob %r0").unwrap_err(),
        AsmError {
            line: 2,
            kind: AsmErrorKind::UnknownMnemonic
        }
    );
    assert_eq!(assemble("ja nowhere").unwrap_err().kind, AsmErrorKind::UnknownLabel);
    assert_eq!(assemble("mov %r11, 1").unwrap_err().kind, AsmErrorKind::BadOperand);
    assert_eq!(assemble("ldxw %r0, %r1").unwrap_err().kind, AsmErrorKind::BadOperand);
    assert_eq!(
        assemble("mov %r0, 0x1ffffffff").unwrap_err().kind,
        AsmErrorKind::BadOperand
    );
}

#[test]
fn disassembly_round_trips() {
    let text = "mov32 %r0, -1\nlddw %r3, 0xdeadbeefcafe\nldxsh %r1, [%r2-6]\nsth [%r1+2], 7\nlock xchg [%r10-8], %r1\n\
                jsle %r1, 3, -2\nja32 +1\nneg %r3\nbswap64 %r2\nle32 %r2\nmovsx832 %r1, %r2\nsmod32 %r1, %r2\ncall 12\nexit\n";
    let p = assemble(text).unwrap();
    let back = disassemble(&p);
    assert_eq!(assemble(&back).unwrap(), p, "{back}");
}
