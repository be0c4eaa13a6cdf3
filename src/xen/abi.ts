// Xen's grant-table ABI constants, spelt and valued as in xen/include/public/grant_table.h
// (pub.h) and xen/common/grant_table.c, so that each can be grepped against the C source.
// Every layer imports them from here; nothing else defines a Xen number.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

// --- Domain ids (pub.h xen.h) ---------------------------------------------------------------
/** DOMID_SELF: accepted by setup_table/query_size lookups, refused by map and transfer. */
export const DOMID_SELF = 0x7ff0;

// --- Shared entry v1 (pub.h struct grant_entry_v1): flags:u16 domid:u16 frame:u32 ------------
export const GRANT_ENTRY_V1_SIZE = 8;
/** SHGNT_PER_PAGE_V1: 512 v1 entries per 4 KiB frame. */
export const SHGNT_PER_PAGE_V1 = PAGE_SIZE / GRANT_ENTRY_V1_SIZE;
/** GNTTAB_NR_RESERVED_ENTRIES: refs 0..7 belong to the toolstack; guests never allocate them. */
export const GNTTAB_NR_RESERVED_ENTRIES = 8;

// --- GTF_* flag bits (pub.h L146-192) --------------------------------------------------------
export const GTF_invalid = 0;
export const GTF_permit_access = 1;
export const GTF_accept_transfer = 2;
export const GTF_transitive = 3;
export const GTF_type_mask = 3;
export const GTF_readonly = 1 << 2;
/** Same bit as GTF_readonly; meaningful only on accept_transfer entries. */
export const GTF_transfer_committed = 1 << 2;
export const GTF_reading = 1 << 3;
/** Same bit as GTF_reading; meaningful only on accept_transfer entries. */
export const GTF_transfer_completed = 1 << 3;
export const GTF_writing = 1 << 4;
export const GTF_PWT = 1 << 5;
export const GTF_PCD = 1 << 6;
export const GTF_PAT = 1 << 7;
export const GTF_sub_page = 1 << 8;

// --- GNTMAP_* map flags (pub.h L591-620) -----------------------------------------------------
export const GNTMAP_device_map = 1 << 0;
export const GNTMAP_host_map = 1 << 1;
export const GNTMAP_readonly = 1 << 2;
export const GNTMAP_application_map = 1 << 3;
export const GNTMAP_contains_pte = 1 << 4;

// --- GNTCOPY_* copy flags (pub.h struct gnttab_copy) -----------------------------------------
/** The source names a grant ref of source.domid (else a gmfn of the caller). */
export const GNTCOPY_source_gref = 1 << 0;
/** The destination names a grant ref of dest.domid (else a gmfn of the caller). */
export const GNTCOPY_dest_gref = 1 << 1;

// --- GNTST_* status codes (pub.h L626-639) ---------------------------------------------------
export const GNTST_okay = 0;
export const GNTST_general_error = -1;
export const GNTST_bad_domain = -2;
export const GNTST_bad_gntref = -3;
export const GNTST_bad_handle = -4;
export const GNTST_bad_virt_addr = -5;
export const GNTST_bad_dev_addr = -6;
export const GNTST_no_device_space = -7;
export const GNTST_permission_denied = -8;
export const GNTST_bad_page = -9;
export const GNTST_bad_copy_arg = -10;
export const GNTST_address_too_big = -11;
export const GNTST_eagain = -12;
export const GNTST_no_space = -13;

/** Every status a hypercall element may report (invariant I26: never positive). */
export const GNTST_NAMES: ReadonlyMap<number, string> = new Map([
  [GNTST_okay, 'okay'],
  [GNTST_general_error, 'general_error'],
  [GNTST_bad_domain, 'bad_domain'],
  [GNTST_bad_gntref, 'bad_gntref'],
  [GNTST_bad_handle, 'bad_handle'],
  [GNTST_bad_virt_addr, 'bad_virt_addr'],
  [GNTST_bad_dev_addr, 'bad_dev_addr'],
  [GNTST_no_device_space, 'no_device_space'],
  [GNTST_permission_denied, 'permission_denied'],
  [GNTST_bad_page, 'bad_page'],
  [GNTST_bad_copy_arg, 'bad_copy_arg'],
  [GNTST_address_too_big, 'address_too_big'],
  [GNTST_eagain, 'eagain'],
  [GNTST_no_space, 'no_space'],
]);

export function gntstName(status: number): string {
  return GNTST_NAMES.get(status) ?? `status(${status})`;
}

// --- Domain death: the errnos XEN_DOMCTL_destroydomain returns (xen/include/public/errno.h) ---
export const EPERM = -1;
export const ESRCH = -3;
export const EINVAL = -22;
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map([
  [0, '0'],
  [EPERM, '-EPERM'],
  [ESRCH, '-ESRCH'],
  [EINVAL, '-EINVAL'],
]);
export function errnoName(rc: number): string {
  return ERRNO_NAMES.get(rc) ?? `errno(${rc})`;
}

// --- GNTPIN_* packed pin counters (grant_table.c L354-385) -----------------------------------
// Four 8-bit counters in one u32. Only the impl packs them; the model keeps four named counts.
export const GNTPIN_hstw_shift = 0;
export const GNTPIN_hstr_shift = 8;
export const GNTPIN_devw_shift = 16;
export const GNTPIN_devr_shift = 24;
export const GNTPIN_hstw_inc = 1 << GNTPIN_hstw_shift;
export const GNTPIN_hstr_inc = 1 << GNTPIN_hstr_shift;
export const GNTPIN_devw_inc = 1 << GNTPIN_devw_shift;
export const GNTPIN_devr_inc = 1 << GNTPIN_devr_shift;
export const GNTPIN_hstw_mask = 0xff << GNTPIN_hstw_shift;
export const GNTPIN_hstr_mask = 0xff << GNTPIN_hstr_shift;
export const GNTPIN_devw_mask = 0xff << GNTPIN_devw_shift;
export const GNTPIN_devr_mask = (0xff << GNTPIN_devr_shift) >>> 0;
/** GNTPIN_incr2oflow_mask(x) = x << 7: an increment is refused once a counter reaches 128. */
export function GNTPIN_incr2oflow_mask(pinIncr: number): number {
  return (pinIncr << 7) >>> 0;
}
/** The value at which a pin counter refuses further increments (top bit of its byte). */
export const GNTPIN_COUNTER_LIMIT = 128;

// --- Maptrack (grant_table.c L288-319, L542) -------------------------------------------------
/** sizeof(struct grant_mapping) = 16, so 256 maptrack entries per 4 KiB frame. */
export const MAPTRACK_PER_PAGE = 256;
/** MAPTRACK_TAIL: terminates a free list; also INVALID_MAPTRACK_HANDLE. */
export const MAPTRACK_TAIL = 0xffffffff;

// --- Limits (grant_table.c L108-109; x86.h L15) ----------------------------------------------
export const INITIAL_NR_GRANT_FRAMES = 1;
