/*
 * tiny.S: husk's freestanding test guest, a 32-bit PVH ELF (Xen PVH boot
 * ABI: entered in protected mode, paging off, %ebx = hvm_start_info).
 *
 * The first character of the kernel command line picks the scenario:
 *   h  print "husk-tiny: hello" on COM1, exit status 0 through port 0xf4
 *   e  exit status 42 through port 0xf4
 *   m  read and write an unmapped MMIO address, then print "mmio ok", exit 0
 *   sN start every other CPU (INIT-SIPI-SIPI), wait (bounded) until N CPUs
 *      checked in; exit status = CPUs that ran
 *   p  report a panic through pvpanic (port 0x505)
 *   o  power off through the ACPI sleep control register (S5)
 *   r  reset through the ACPI reset register
 *   k  reset through the i8042 (0xfe to port 0x64)
 *   t  triple fault (load an empty IDT, then int3)
 *   l  loop forever (for --timeout)
 *   w  print "husk-tiny: flood" on COM1 forever (console back-pressure)
 *   q  kick forever: write QueueNotify of the first virtio-mmio device
 *      (0xd0000050) in a tight loop (the kick storm of the load test)
 *   b  boot markers, in this order: 0x41 to port 0x80 (Cloud Hypervisor's
 *      "kernel" range), "husk-tiny: hello" on COM1, 0x61 to port 0x80
 *      ("user space"), 123 to port 0x3f0 and then 124 to MMIO 0xc0000000
 *      (Firecracker's boot timer); exit status 0
 *   c  count 0 to 9, one "husk-tiny: count N" line each, 2^28 TSC cycles
 *      (about 100 ms) apart; the count lives in memory (0x7e00); after
 *      count 5 write
 *      0x70 to port 0x80 (a snapshot's marker); exit status 10
 * Anything else: exit status 99.
 */
#define COM1 0x3f8
#define EXIT_PORT 0xf4
#define LAPIC 0xfee00000
#define AP_TRAMPOLINE 0x8000
#define AP_COUNTER 0x7f00
#define COUNTER 0x7e00
#define COUNT_CYCLES 0x10000000

    .section .note.pvh, "a"
    .balign 4
    .long 4                 /* namesz */
    .long 4                 /* descsz */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start

    .text
    .code32
    .globl _start
_start:
    mov $0x7000, %esp
    mov 24(%ebx), %esi      /* hvm_start_info.cmdline_paddr (low half) */
    movzbl (%esi), %eax
    cmp $'h', %al
    je hello
    cmp $'e', %al
    je exit42
    cmp $'m', %al
    je mmio
    cmp $'s', %al
    je smp
    cmp $'p', %al
    je panic
    cmp $'o', %al
    je poweroff
    cmp $'r', %al
    je acpi_reset
    cmp $'k', %al
    je kbd_reset
    cmp $'t', %al
    je triple
    cmp $'l', %al
    je forever
    cmp $'w', %al
    je flood
    cmp $'q', %al
    je kickstorm
    cmp $'b', %al
    je markers
    cmp $'c', %al
    je count
    mov $99, %al
    jmp exit_al

/* puts: print the NUL-terminated string at %esi on COM1 */
puts:
    mov $COM1, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  ret

hello:
    mov $msg_hello, %esi
    call puts
    xor %eax, %eax
    jmp exit_al

markers:
    mov $0x41, %al
    out %al, $0x80
    mov $msg_hello, %esi
    call puts
    mov $0x61, %al
    out %al, $0x80
    mov $0x3f0, %dx
    mov $123, %al
    out %al, %dx
    movb $124, 0xc0000000
    xor %eax, %eax
    jmp exit_al

flood:
    mov $msg_flood, %esi
    call puts
    jmp flood

kickstorm:
    mov $0xd0000050, %edi
1:  movl $0, (%edi)
    jmp 1b

count:
    movl $0, COUNTER
1:  mov $msg_count, %esi
    call puts
    mov COUNTER, %eax
    add $'0', %al
    mov $COM1, %dx
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    cmpl $5, COUNTER
    jne 2f
    mov $0x70, %al
    out %al, $0x80
    /* About 100 ms on any host: 2^28 TSC cycles, not a loop count (the
     * same loop is 200 times slower on a software-backed /dev/kvm). */
2:  rdtsc
    mov %eax, %esi
    mov %edx, %edi
3:  pause
    rdtsc
    sub %esi, %eax
    sbb %edi, %edx
    jnz 4f
    cmp $COUNT_CYCLES, %eax
    jb 3b
4:  incl COUNTER
    cmpl $10, COUNTER
    jb 1b
    mov COUNTER, %eax
    jmp exit_al

exit42:
    mov $42, %al
    jmp exit_al

mmio:
    mov $0xe0000000, %edi   /* inside the 32-bit hole: no RAM, no device */
    movl $0x12345678, (%edi)
    mov (%edi), %eax
    cmp $0, %eax            /* unmapped reads return zero */
    jne 1f
    mov $msg_mmio, %esi
    call puts
    xor %eax, %eax
    jmp exit_al
1:  mov $1, %al
    jmp exit_al

smp:
    /* N ("s2": N = 2) first: the copy below moves %esi off the command
     * line. */
    movzbl 1(%esi), %ebx
    sub $'0', %ebx
    /* Copy the real-mode AP trampoline below 1 MiB. */
    mov $ap_start, %esi
    mov $AP_TRAMPOLINE, %edi
    mov $(ap_end - ap_start), %ecx
    rep movsb
    movl $1, AP_COUNTER     /* the BSP counts itself */
    /* INIT IPI to all but self, then two STARTUP IPIs (vector 0x08). */
    movl $0x000c4500, LAPIC + 0x300
    call delay
    movl $0x000c4608, LAPIC + 0x300
    call delay
    movl $0x000c4608, LAPIC + 0x300
    /* Wait, bounded, for N CPUs to check in. */
    mov $50000000, %ecx
1:  mov AP_COUNTER, %eax
    cmp %ebx, %eax
    jae 2f
    pause
    dec %ecx
    jnz 1b
2:  mov AP_COUNTER, %eax
    jmp exit_al

delay:
    mov $20000, %ecx
1:  dec %ecx
    jnz 1b
    ret

panic:
    mov $0x505, %dx
    mov $1, %al
    out %al, %dx
    jmp forever

poweroff:
    mov $0x600, %dx
    mov $((5 << 2) | 0x20), %al  /* SLP_TYP=5 (\_S5), SLP_EN */
    out %al, %dx
    jmp forever

acpi_reset:
    mov $0x602, %dx
    mov $0x0e, %al
    out %al, %dx
    jmp forever

kbd_reset:
    mov $0x64, %dx
    mov $0xfe, %al
    out %al, %dx
    jmp forever

triple:
    lidt idt_empty
    int3
    jmp forever

forever:
    cli
1:  hlt
    jmp 1b

exit_al:
    mov $EXIT_PORT, %dx
    out %al, %dx
    jmp forever

    .balign 8
idt_empty:
    .word 0
    .long 0

/* AP trampoline: runs in real mode at 0x8000 (CS=0x0800, IP=0). */
    .code16
ap_start:
    xor %ax, %ax
    mov %ax, %ds
    lock incl AP_COUNTER
1:  cli
    hlt
    jmp 1b
ap_end:

    .section .rodata
msg_count:
    .asciz "husk-tiny: count "
msg_hello:
    .asciz "husk-tiny: hello\n"
msg_mmio:
    .asciz "husk-tiny: mmio ok\n"
msg_flood:
    .asciz "husk-tiny: flood\n"
