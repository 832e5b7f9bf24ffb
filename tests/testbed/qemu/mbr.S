/*
 * A two-sector disk image for the SeaBIOS test: the boot sector reads
 * sector 2 through the BIOS (int 0x13, AH=0x02), writes the message found
 * there to COM1 and leaves QEMU through its isa-debug-exit device at port
 * 0xf4 (QEMU exits with status (value << 1) | 1 = 0x55).
 * Build: gcc -c mbr.S && ld -Ttext=0x7c00 --oformat=binary
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	sti
	/* DL holds the boot drive; read 1 sector (CHS 0/0/2) to 0x7e00 */
	movw $0x0201, %ax
	movw $0x0002, %cx
	xorb %dh, %dh
	movw $0x7e00, %bx
	int $0x13
	movw $fail_msg, %si
	jc print
	movw $0x7e00, %si
print:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz done
	outb %al, %dx
	jmp 1b
done:
	movb $0x2a, %al
	outb %al, $0xf4
	hlt
	jmp done

fail_msg:
	.asciz "MBR: int 0x13 read failed\r\n"

	.org 510
	.byte 0x55, 0xaa
	/* sector 2 */
	.asciz "MBR: sector 2 read through SeaBIOS\r\n"
	.org 1024
