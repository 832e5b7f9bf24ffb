/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flat real-mode guests that end badly, for haxm run's exit statuses:
 * -DTRIPLE: an empty IVT, then INT3: #GP, #DF, triple fault (status 4);
 * -DKBD:    the keyboard controller's reset command 0xfe on port 0x64 (3);
 * -DCF9:    a reset through port 0xcf9 (3).
 */
	.code16
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
#if defined(TRIPLE)
	call	1f
1:	pop	%bx
	lidt	(idt0 - 1b)(%bx)
	int3
#elif defined(KBD)
	mov	$0xfe, %al
	out	%al, $0x64
#elif defined(CF9)
	mov	$0xcf9, %dx
	mov	$0x06, %al
	out	%al, %dx
#endif
2:	hlt
	jmp	2b
	.p2align 2
idt0:	.word	0
	.long	0
