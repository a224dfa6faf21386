/*
 * tiny_arm64.S: the smallest arm64 guest an Image loader boots
 * (Documentation/arch/arm64/booting.rst §4: the 64-byte Image header,
 * entered at its first instruction with the MMU off): it asks PSCI for
 * SYSTEM_OFF at once (PSCI 1.0 §5.1.9, function 0x84000008 through HVC).
 * Any VMM that boots an Image with PSCI runs it, so it measures VMM
 * start-up and teardown alone (tests/bench/boot-arm64.sh):
 *   aarch64-linux-gnu-gcc -nostdlib -static -Wl,-Ttext=0 -o tiny.elf
 *       tiny_arm64.S && aarch64-linux-gnu-objcopy -O binary tiny.elf tiny.img
 */
        .text
        .global _start
_start:
        b       entry                   /* code0 */
        .word   0                       /* code1 */
        .quad   0                       /* text_offset */
        .quad   image_end - _start      /* image_size */
        .quad   0xa                     /* flags: LE, 4K pages, anywhere */
        .quad   0, 0, 0                 /* res2-res4 */
        .ascii  "ARM\x64"               /* magic */
        .word   0                       /* res5: no PE header */
entry:
        movz    x0, #0x0008
        movk    x0, #0x8400, lsl #16    /* PSCI SYSTEM_OFF */
        hvc     #0
1:      wfi                             /* not reached */
        b       1b
image_end:
