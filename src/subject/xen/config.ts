// The model configuration of `--subject xen`: dom0 alone, under Xen 4.17 as Debian ships it,
// booted by ./qemu.ts. Xen's limits are its defaults (nothing on Xen's command line changes them).

import type { GrantConfig } from '../../config.ts';

export const XEN_DOM0_CONFIG: GrantConfig = {
  // dom0 is the only domain: no toolstack builds a second one in this initramfs. Other domain
  // ids exist in the model only as absent domains (GNTST_bad_domain), as they do on Xen.
  domains: 1,
  // The agent's own pages, MFNs 0x100..0x103 in the model: the pages it grants and transfers.
  pagesPerDomain: 4,
  // Room above them: dom0 boots with dom0_mem=512M,max:520M, so the agent can take pages with
  // XENMEM_increase_reservation, as a transfer's receiver must.
  maxPagesSlack: 2,
  // opt_max_grant_frames = 64 in Xen 4.17's xen/common/grant_table.c; create_dom0 (x86 setup.c)
  // asks for the default (max_grant_frames = -1, resolved in grant_table_init).
  maxGrantFrames: 64,
  // opt_max_maptrack_frames = 1024, resolved the same way: 262,143 handles for dom0's vCPU.
  maxMaptrackFrames: 1024,
  // The agent's host-mapping window: the 512 pages one L1 page table covers.
  hostVaPages: 512,
  // dom0 is a PV guest: its grant entries and transfers name machine frames (the model's dom0
  // numbers its pages 0x100.. by MFN; the agent maps those to the pages it owns, and refuses a
  // config without pv).
  pv: true,
};

/** `--subject xen`, exactly that word: real Xen instead of a command. */
export const XEN_SUBJECT = 'xen';

/** Why `config` cannot run on this setup (null: it can): checked before Xen boots. */
export function xenConfigProblem(config: GrantConfig): string | null {
  if (config.domains !== 1) {
    return `${config.domains} domains, but real Xen here (--subject xen) has dom0 alone: one domain`;
  }
  // The agent refuses it too, but only after a boot.
  if (config.pv !== true) return 'not PV (config.pv), but dom0 under real Xen is a PV guest';
  // One agent thread, and Xen's steal starts at a random vCPU (docs/semantics.md §6).
  if ((config.vcpus ?? 1) > 1)
    return `${config.vcpus} vCPUs (config.vcpus), but the agent maps from one`;
  return null;
}
