/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The defences around a VM entry and exit (mitigate.c, vmenter.S): which are
 * on is decided once at load from the host kernel's own mitigation state, or
 * forced on by the force_mitigations parameter. Shared with vmenter.S.
 */
#ifndef HAXM_MITIGATE_H
#define HAXM_MITIGATE_H

/* Bits of haxm_mit_on: each mitigation that is in force. */
#define HAXM_MIT_VERW	   (1u << 0) /* VERW before entry: MDS, TAA, MMIO, RFDS */
#define HAXM_MIT_RSB	   (1u << 1) /* stuff the RSB after exit: Spectre v2, Retbleed */
#define HAXM_MIT_RSB_LITE  (1u << 2) /* one CALL retired before a RET: PBRSB */
#define HAXM_MIT_SPEC_CTRL (1u << 3) /* write the host's IA32_SPEC_CTRL after exit */
#define HAXM_MIT_BHB	   (1u << 4) /* clear the branch history after exit: BHI */
#define HAXM_MIT_IBPB	   (1u << 5) /* IBPB when another VMCS becomes current */
#define HAXM_MIT_L1D	   (1u << 6) /* flush L1D before entry: L1TF */
#define HAXM_MIT_IBPB_USER (1u << 7) /* IBPB before returning to user space: VMSCAPE */
#define HAXM_MIT_COUNT	   8
/* The ones vmenter.S runs at every entry or exit. */
#define HAXM_MIT_PER_ENTRY \
	(HAXM_MIT_VERW | HAXM_MIT_RSB | HAXM_MIT_RSB_LITE | HAXM_MIT_SPEC_CTRL | HAXM_MIT_BHB)

#ifndef __ASSEMBLY__
#include <linux/types.h>

extern u32 haxm_mit_on;

/*
 * haxm_mitigations_init() - choose the mitigations from the host's state
 * (and force_mitigations, vmentry_l1d_flush), log each, allocate the L1D
 * flush buffer when the CPU has no IA32_FLUSH_CMD.
 * Errors: -ENOMEM, -EINVAL (a bad vmentry_l1d_flush value).
 */
int haxm_mitigations_init(void);
void haxm_mitigations_exit(void);

struct seq_file;
/* haxm_mitigations_show() - debugfs haxm/mitigations: "name on|off count". */
int haxm_mitigations_show(struct seq_file *m, void *unused);
#endif

#endif
