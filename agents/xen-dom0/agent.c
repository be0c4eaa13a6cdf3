/*
 * grantcheck's dom0 agent: real Xen as a grantcheck subject (docs/real-xen.md).
 *
 * It runs as /init in the initramfs of a Linux PV dom0 booted on Xen under QEMU, and serves the
 * subject wire protocol (docs/subject-protocol.md) over a virtio-serial port that QEMU connects
 * to grantcheck. Every op runs for real:
 *   - the guest-library ops (grant / end access, grant / end transfer, raw writes) write dom0's
 *     own shared grant entries, mapped into the agent through privcmd from the frame numbers
 *     GNTTABOP_setup_table reports, following the update protocol of Xen's public
 *     grant_table.h exactly as Linux's gnttab_update_entry_v1 and
 *     gnttab_end_foreign_access_ref_v1 do (and as grantcheck's impl library does);
 *   - write_page and read_page are the agent's own stores and loads on its pages (mapped through
 *     privcmd for the op, so that steal_page still finds them unreferenced); write_mapped and
 *     read_mapped load and store through the host window, where Xen puts grant mappings' PTEs;
 *   - the hypercalls (map, unmap, unmap_and_replace, transfer, setup_table, query_size,
 *     swap_grant_ref, copy) go to Xen through IOCTL_PRIVCMD_HYPERCALL.
 * After each op it reads the shared entries back, asks Xen for the table's size, reads the host
 * window's PTEs from its L1 table, and reads its pages' contents (again only after an op that
 * may have changed them).
 *
 * The model's numbers are not the machine's. dom0 is PV, and so is the model's dom0 (config.pv):
 * its frame numbers are machine frames. The agent translates, and nothing else:
 *   - model mfn 0x100+k is the k-th page the agent took from Xen with
 *     XENMEM_increase_reservation; any other frame number becomes a frame no domain owns
 *     (f + 2^31 below 2^24, f itself from 2^24 up), and back.
 *   - model linear address a is WINDOW + a, in a 2 MiB window whose L1 page table exists and
 *     whose PTEs are empty; an address beyond the model's window lands in NO_L1, where there is
 *     no L1 table. An unmap's host_addr 0 stays 0 ("leave the host mapping alone").
 *   - a model PTE address (GNTMAP_contains_pte: the model's window L1 frame 0x10000, slot p at
 *     p * 8) is the same offset in the window's real L1 page table, found at boot
 *     (find_window_l1); any other is given the property Xen checks (machine_pte_addr), and
 *     never names another page table of dom0's.
 *   - results and entries read back are translated the other way.
 *
 * Between runs (reset) it undoes what the run left in Xen: unmaps every handle, brings the
 * maptrack free list back to the order of a fresh table, clears the entries, and replaces pages
 * it lost. What it cannot undo it reports: a grown grant table in the `ready` message's state
 * (the model starts there), anything else as `restart` (grantcheck then boots Xen afresh).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/domctl.h>
#include <xen/version.h>
#include <xen/sys/privcmd.h>

#define PAGE 4096ull
#define ENTRIES_PER_FRAME 512u       /* PAGE_SIZE / sizeof(grant_entry_v1_t) */
#define NR_RESERVED 8u               /* GNTTAB_NR_RESERVED_ENTRIES */
#define MAX_FRAMES 64u               /* Xen 4.17's default max_grant_frames */
#define MAX_REFS (MAX_FRAMES * ENTRIES_PER_FRAME)
#define MAX_BATCH 1024u              /* the wire protocol's batch limit */
#define MAPTRACK_PER_PAGE 256u       /* PAGE_SIZE / sizeof(struct grant_mapping) */
#define MAX_POOL 64u                 /* config.pagesPerDomain's limit */
#define MFN_BASE 0x100u              /* the model's first machine frame (src/configDefaults.ts) */
#define UNBACKED_OFFSET 0x80000000ull /* an unbacked small gfn's frame: beyond any RAM */
#define SMALL_FRAMES 0x1000000ull    /* frames from here up are beyond any RAM this VM has */
#define WINDOW 0x40000000ull         /* the model's linear addresses 0..2MiB */
#define WINDOW_BYTES 0x200000ull
#define NO_L1 (WINDOW + WINDOW_BYTES)  /* 2 MiB with no L1 table: create_grant_pv_mapping's
                                          map_guest_l1e finds none, general_error */
#define SCRATCH (NO_L1 + WINDOW_BYTES) /* 2 MiB with an L1 table, for reset's own PTEs */
#define SCRATCH_REF 100u              /* refs reset grants to itself (never a model's) */
#define L1_MFN_BASE 0x10000ull        /* the model's dom0 window L1 frame (src/configDefaults.ts) */
#define PTE_PRESENT 0x1ull
#define PTE_RW 0x2ull
#define PTE_USER 0x4ull
#define PTE_MFN_MASK 0x000ffffffffff000ull
#define PROTOCOL 1

#define GTF_readonly_bit (1 << 2)
#define GTF_committed (1 << 2)
#define GTF_reading_bit (1 << 3)
#define GTF_completed (1 << 3)
#define GTF_writing_bit (1 << 4)

/* ------------------------------------------------------------------------------------------ */
/* The channel to grantcheck, and dying cleanly                                                */

static int channel = -1;
static char out[16 << 20]; /* the protocol's longest line */
static size_t outlen;

static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + outlen, sizeof out - outlen, fmt, ap);
  va_end(ap);
  if (n > 0) outlen += (size_t)n;
  if (outlen >= sizeof out) outlen = sizeof out - 1;
}

static void flush_line(void) {
  emit("\n");
  size_t done = 0;
  while (done < outlen) {
    ssize_t n = write(channel, out + done, outlen - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  outlen = 0;
}

/* QEMU's isa-debug-exit device: QEMU exits with (code << 1) | 1. */
static void power_off(unsigned char code) {
  int port = open("/dev/port", O_WRONLY);
  if (port >= 0) pwrite(port, &code, 1, 0xf4);
  for (;;) pause();
}

/* Wait, at most about 10 s, for grantcheck to stop QEMU or leave: it stops QEMU once it has read
 * an error. A write to a virtio port returns once the line is queued for QEMU, not once QEMU has
 * passed it on (Linux's port_fops_write, drivers/char/virtio_console.c, does not wait for a
 * generic port); powering off at once could lose it (seen on a loaded machine: QEMU's exit status
 * reached grantcheck, the error did not). What grantcheck sends meanwhile is read and dropped. */
static void linger(void) {
  char drop[4096];
  for (int tick = 0; tick < 100; tick++) {
    struct pollfd p = {.fd = channel, .events = POLLIN};
    int ready = poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0 && read(channel, drop, sizeof drop) <= 0) return;
  }
}

/* An error grantcheck can show, then QEMU exits: the agent cannot go on. */
static void die(const char *fmt, ...) {
  char message[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  fprintf(stderr, "grantcheck agent: %s\n", message);
  if (channel >= 0) {
    outlen = 0;
    emit("{\"type\":\"error\",\"message\":\"agent: %s\"}", message);
    flush_line();
    linger();
  }
  power_off(0x11);
}

/* ------------------------------------------------------------------------------------------ */
/* A small JSON reader for grantcheck's requests (objects, arrays, integers, strings without   */
/* escapes, booleans)                                                                          */

enum kind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct node {
  enum kind kind;
  const char *key; /* within an object */
  size_t keylen;
  const char *str;
  size_t len;
  uint64_t num;
  int boolean;
  int first, next; /* children (index into nodes), siblings; -1 ends */
};

#define MAX_NODES (1 << 20)
static struct node nodes[MAX_NODES];
static int nnodes;
static const char *jp;

static void skip_ws(void) {
  while (*jp == ' ' || *jp == '\t' || *jp == '\r' || *jp == '\n') jp++;
}

static int parse_string(const char **s, size_t *len) {
  if (*jp != '"') return 0;
  *s = ++jp;
  while (*jp && *jp != '"') {
    if (*jp == '\\') return 0; /* grantcheck's requests carry no escapes */
    jp++;
  }
  if (*jp != '"') return 0;
  *len = (size_t)(jp - *s);
  jp++;
  return 1;
}

static int parse_value(void) {
  if (nnodes >= MAX_NODES) return -1;
  int i = nnodes++;
  struct node *n = &nodes[i];
  memset(n, 0, sizeof *n);
  n->first = n->next = -1;
  skip_ws();
  if (*jp == '{' || *jp == '[') {
    int object = *jp == '{';
    n->kind = object ? J_OBJ : J_ARR;
    jp++;
    skip_ws();
    int last = -1;
    if (*jp == (object ? '}' : ']')) {
      jp++;
      return i;
    }
    for (;;) {
      const char *key = NULL;
      size_t keylen = 0;
      skip_ws();
      if (object) {
        if (!parse_string(&key, &keylen)) return -1;
        skip_ws();
        if (*jp++ != ':') return -1;
      }
      int child = parse_value();
      if (child < 0) return -1;
      nodes[child].key = key;
      nodes[child].keylen = keylen;
      if (last < 0) nodes[i].first = child;
      else nodes[last].next = child;
      last = child;
      skip_ws();
      if (*jp == ',') {
        jp++;
        continue;
      }
      if (*jp++ != (object ? '}' : ']')) return -1;
      return i;
    }
  }
  if (*jp == '"') {
    n->kind = J_STR;
    return parse_string(&n->str, &n->len) ? i : -1;
  }
  if (!strncmp(jp, "true", 4) || !strncmp(jp, "false", 5)) {
    n->kind = J_BOOL;
    n->boolean = *jp == 't';
    jp += n->boolean ? 4 : 5;
    return i;
  }
  if (!strncmp(jp, "null", 4)) {
    jp += 4;
    return i;
  }
  if (isdigit((unsigned char)*jp)) {
    n->kind = J_NUM;
    char *end;
    n->num = strtoull(jp, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') return -1;
    jp = end;
    return i;
  }
  return -1; /* negative numbers: no request field is negative */
}

static int field(int object, const char *key) {
  if (object < 0 || nodes[object].kind != J_OBJ) return -1;
  size_t len = strlen(key);
  for (int c = nodes[object].first; c >= 0; c = nodes[c].next)
    if (nodes[c].keylen == len && !memcmp(nodes[c].key, key, len)) return c;
  return -1;
}

static uint64_t num(int object, const char *key) {
  int f = field(object, key);
  if (f < 0 || nodes[f].kind != J_NUM) die("request: %s: not a number", key);
  return nodes[f].num;
}

static int is(int object, const char *key, const char *text) {
  int f = field(object, key);
  return f >= 0 && nodes[f].kind == J_STR && nodes[f].len == strlen(text) &&
         !memcmp(nodes[f].str, text, nodes[f].len);
}

static int truthy(int object, const char *key) {
  int f = field(object, key);
  return f >= 0 && nodes[f].kind == J_BOOL && nodes[f].boolean;
}

/* ------------------------------------------------------------------------------------------ */
/* Hypercalls                                                                                  */

static int privcmd = -1;

static long hypercall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2) {
  privcmd_hypercall_t call = {.op = op, .arg = {a0, a1, a2, 0, 0}};
  long rc = ioctl(privcmd, IOCTL_PRIVCMD_HYPERCALL, &call);
  return rc < 0 ? -errno : rc;
}

static long grant_op(unsigned int cmd, void *args, unsigned int count) {
  return hypercall(__HYPERVISOR_grant_table_op, cmd, (uint64_t)(uintptr_t)args, count);
}

/* GNTTABOP_query_size of dom: status, and the sizes on success. */
static int16_t query_size(domid_t dom, uint32_t *nr, uint32_t *max) {
  static struct gnttab_query_size q;
  memset(&q, 0, sizeof q);
  q.dom = dom;
  long rc = grant_op(GNTTABOP_query_size, &q, 1);
  if (rc) die("GNTTABOP_query_size: hypercall failed (%ld)", rc);
  *nr = q.nr_frames;
  *max = q.max_nr_frames;
  return q.status;
}

/* ------------------------------------------------------------------------------------------ */
/* dom0's shared grant table, mapped into the agent                                            */

typedef struct {
  uint16_t flags;
  uint16_t domid;
  uint32_t frame;
} entry_t;

static volatile entry_t *table;
static unsigned int table_frames; /* frames mapped */
static unsigned int nr_frames;    /* Xen's nr_grant_frames for dom0, after the last op */
static unsigned int max_frames;

/* Map frames 0..nr-1 of dom0's table (setup_table(DOMID_SELF, nr) names them; nr never exceeds
 * nr_grant_frames, so it does not grow the table). The batch names DOMID_SELF: x86 mm.c's
 * get_pg_owner refuses a domain's own id as a foreign owner. */
static xen_pfn_t table_mfns[MAX_FRAMES]; /* the machine frames of dom0's table, mapped */

static void map_table(unsigned int nr) {
  xen_pfn_t *frames = table_mfns;
  static int errs[MAX_FRAMES];
  static struct gnttab_setup_table setup;
  memset(&setup, 0, sizeof setup);
  setup.dom = DOMID_SELF;
  setup.nr_frames = nr;
  set_xen_guest_handle(setup.frame_list, frames);
  long rc = grant_op(GNTTABOP_setup_table, &setup, 1);
  if (rc || setup.status) die("setup_table(SELF, %u) for the agent: %ld/%d", nr, rc, setup.status);
  if (table) munmap((void *)table, table_frames * PAGE);
  void *at = mmap(NULL, nr * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd, 0);
  if (at == MAP_FAILED) die("mmap of privcmd for the grant table: %s", strerror(errno));
  privcmd_mmapbatch_v2_t batch = {
      .num = nr, .dom = DOMID_SELF, .addr = (uint64_t)(uintptr_t)at, .arr = frames, .err = errs};
  if (ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch))
    die("mapping dom0's grant table frames: %s", strerror(errno));
  for (unsigned int i = 0; i < nr; i++)
    if (errs[i]) die("mapping frame %u of dom0's grant table: error %d", i, errs[i]);
  table = at;
  table_frames = nr;
}

/* nr_frames as Xen reports it now; the mapping follows a grown table. */
static void refresh_size(void) {
  uint32_t nr, max;
  if (query_size(DOMID_SELF, &nr, &max)) die("query_size(SELF) failed");
  nr_frames = nr;
  max_frames = max;
  if (nr > MAX_FRAMES) die("dom0's table has %u frames, more than %u", nr, MAX_FRAMES);
  if (nr != table_frames) map_table(nr);
}

static unsigned int nr_entries(void) { return nr_frames * ENTRIES_PER_FRAME; }

/* ------------------------------------------------------------------------------------------ */
/* The agent's pages and the translation between the model's numbers and the machine's        */

static uint64_t pool[MAX_POOL];  /* machine frames the agent owns; pool[k] is model mfn 0x100+k */
static unsigned int pool_size;
static int tainted[MAX_POOL];    /* holds a reference reset had to leak: never reused */

static struct config {
  unsigned int domains, pages, max_grant_frames, max_maptrack_frames, host_va_pages;
  int pv;
} config;

static int page_of_machine_frame(uint64_t mfn) {
  for (unsigned int k = 0; k < pool_size && k < config.pages; k++)
    if (pool[k] == mfn) return (int)k;
  return -1;
}

/* The machine frame of model frame g: the agent's page, or a frame nobody owns (beyond this VM's
 * RAM, so map's get_paged_frame and gnttab_transfer's mfn_valid check refuse it: bad_page, as
 * the model's unbacked gfn). Returns 0 when the value has no safe machine counterpart (an error
 * for grantcheck). */
static int machine_frame_of_gfn(uint64_t g, uint64_t *mfn) {
  if (g >= MFN_BASE && g < MFN_BASE + config.pages) {
    *mfn = pool[g - MFN_BASE];
    return 1;
  }
  if (g < SMALL_FRAMES) {
    *mfn = g + UNBACKED_OFFSET;
    return 1;
  }
  if (g >= UNBACKED_OFFSET && g < UNBACKED_OFFSET + SMALL_FRAMES) return 0;
  *mfn = g;
  return 1;
}

/* A machine frame as the model's number (the inverse of machine_frame_of_gfn). */
static uint64_t model_frame_of_machine(uint64_t mfn) {
  int k = page_of_machine_frame(mfn);
  if (k >= 0) return MFN_BASE + (uint64_t)k;
  if (mfn >= UNBACKED_OFFSET && mfn < UNBACKED_OFFSET + SMALL_FRAMES) return mfn - UNBACKED_OFFSET;
  return mfn;
}

/* The machine address of a model linear address of a map (and of a non-zero unmap one). */
static uint64_t machine_host_addr(uint64_t a) {
  if (a < (uint64_t)config.host_va_pages * PAGE) return WINDOW + a;
  return NO_L1 + (a & (WINDOW_BYTES - 1));
}

/* An unmap's dev_bus_addr: a pool page's model address becomes its machine address; 0 stays;
 * anything else stays too, unless it happens to name a pool page (then it names none). */
static uint64_t machine_bus_addr(uint64_t a) {
  if (a == 0) return 0;
  uint64_t frame = a / PAGE, offset = a % PAGE;
  if (frame >= MFN_BASE && frame < MFN_BASE + config.pages && frame - MFN_BASE < pool_size)
    return pool[frame - MFN_BASE] * PAGE + offset;
  if (page_of_machine_frame(frame) >= 0) return a + (1ull << 52);
  return a;
}

/* ------------------------------------------------------------------------------------------ */
/* The host window's real L1 page table, and PTE addresses (GNTMAP_contains_pte)               */

/* The model names a PTE by the machine address of its window's L1 frame (model mfn
 * L1_MFN_BASE + i, slot p at offset p * 8: docs/semantics.md §11.1). Here the window's L1 is the
 * page table Linux made for WINDOW; the agent finds its machine frame once, at boot, and keeps
 * it mapped read-only (a PV guest may map its own page tables read-only), which also shows the
 * window's PTEs as Xen left them (the `hostMappings` part). */
static uint64_t l1_mfn;
static const volatile uint64_t *l1_view;
static uint64_t decoy; /* a page dom0 owns that nothing maps: a data page, never a page table */

/* XEN_DOMCTL_getpageframeinfo3 on dom0's frames: each element in, its type out (in place). */
static void page_types(xen_pfn_t *frames, unsigned int n) {
  static struct xen_domctl domctl;
  memset(&domctl, 0, sizeof domctl);
  domctl.cmd = XEN_DOMCTL_getpageframeinfo3;
  domctl.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  domctl.domain = 0;
  domctl.u.getpageframeinfo3.num = n;
  set_xen_guest_handle(domctl.u.getpageframeinfo3.array, frames);
  long rc = hypercall(__HYPERVISOR_domctl, (uint64_t)(uintptr_t)&domctl, 0, 0);
  if (rc) die("XEN_DOMCTL_getpageframeinfo3: %ld", rc);
}

/* Is machine frame `mfn` a page table of dom0's (any level)? Anything else (a data page, a frame
 * dom0 does not own, no page) may be named as a PTE address: Xen refuses it before writing. */
static int is_page_table(uint64_t mfn) {
  xen_pfn_t f = mfn;
  page_types(&f, 1);
  uint64_t type = f & XEN_DOMCTL_PFINFO_LTAB_MASK;
  return type != XEN_DOMCTL_PFINFO_NOTAB && type != XEN_DOMCTL_PFINFO_XTAB;
}

/* One machine frame of dom0's mapped read-only into the agent (NULL: it does not map). */
static const volatile uint64_t *map_frame_ro(uint64_t mfn) {
  xen_pfn_t frame = mfn;
  int err = 0;
  void *at = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, privcmd, 0);
  if (at == MAP_FAILED) die("mmap of privcmd for a page table: %s", strerror(errno));
  privcmd_mmapbatch_v2_t batch = {
      .num = 1, .dom = DOMID_SELF, .addr = (uint64_t)(uintptr_t)at, .arr = &frame, .err = &err};
  if (ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch) || err) {
    munmap(at, PAGE);
    return NULL;
  }
  return at;
}

static void set_window_pte(unsigned int slot, uint64_t pte) {
  long rc = hypercall(__HYPERVISOR_update_va_mapping, WINDOW + slot * PAGE, pte, UVMF_INVLPG);
  if (rc) die("update_va_mapping in the host window: %ld", rc);
}

/* Does `t` look like the window's L1 with exactly slots 1 and 2 mapping `mfn` (want) or all
 * empty (!want)? */
static int window_l1_shape(const volatile uint64_t *t, uint64_t mfn, int want) {
  for (unsigned int s = 0; s < PAGE / 8; s++) {
    uint64_t w = t[s];
    int planted = want && (s == 1 || s == 2);
    if (planted ? (w & PTE_MFN_MASK) != mfn * PAGE || !(w & PTE_PRESENT) : w != 0) return 0;
  }
  return 1;
}

/* Find the machine frame of the window's L1 page table: plant two read-only PTEs of the decoy
 * page in the window (update_va_mapping), look for the one L1 table of dom0's
 * (XEN_DOMCTL_getpageframeinfo3) that holds them and nothing else, then empty them again and
 * check that it follows. Exactly one frame must pass, or the agent stops. */
static void find_window_l1(void) {
  static xen_pfn_t got[1];
  struct xen_memory_reservation r;
  memset(&r, 0, sizeof r);
  set_xen_guest_handle(r.extent_start, got);
  r.nr_extents = 1;
  r.domid = DOMID_SELF;
  if (hypercall(__HYPERVISOR_memory_op, XENMEM_increase_reservation, (uint64_t)(uintptr_t)&r, 0) != 1)
    die("no page from Xen for the L1 search");
  decoy = got[0];
  uint64_t pte = decoy * PAGE | PTE_PRESENT | PTE_USER;
  set_window_pte(1, pte);
  set_window_pte(2, pte);
  long max = hypercall(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0, 0);
  if (max <= 0) die("XENMEM_maximum_ram_page: %ld", max);
  static xen_pfn_t chunk[1024];
  unsigned int found = 0;
  for (uint64_t base = 0; base <= (uint64_t)max; base += 1024) {
    unsigned int n = 0;
    for (; n < 1024 && base + n <= (uint64_t)max; n++) chunk[n] = base + n;
    page_types(chunk, n);
    for (unsigned int i = 0; i < n; i++) {
      if ((chunk[i] & XEN_DOMCTL_PFINFO_LTAB_MASK & ~XEN_DOMCTL_PFINFO_LPINTAB) !=
          XEN_DOMCTL_PFINFO_L1TAB)
        continue;
      const volatile uint64_t *t = map_frame_ro(base + i);
      if (!t) continue;
      if (window_l1_shape(t, decoy, 1)) {
        if (found++) die("two L1 tables look like the host window's");
        l1_mfn = base + i;
        l1_view = t;
      } else {
        munmap((void *)t, PAGE);
      }
    }
  }
  set_window_pte(1, 0);
  set_window_pte(2, 0);
  if (!found) die("the host window's L1 page table was not found among dom0's frames");
  if (!window_l1_shape(l1_view, decoy, 0))
    die("the L1 table found (mfn %#llx) did not follow the window", (unsigned long long)l1_mfn);
}

/* The machine address of a model PTE address (a contains_pte map's host_addr, and an unmap's of
 * a contains_pte mapping), keeping the property Xen checks (create_grant_pv_mapping,
 * replace_grant_pv_mapping in xen/arch/x86/pv/grant_table.c):
 *   - the model's window L1 frame, slot p < hostVaPages: the real L1 at the same offset (so a
 *     misaligned address stays misaligned); a slot past the model's window: the same offset in
 *     the decoy page (a data page of dom0's: general_error, as the model has it);
 *   - any other frame as machine_frame_of_gfn has it: a pool page (a data page of dom0's), or a
 *     frame no domain owns (another domain's L1 included: with dom0 alone there is none).
 * Whatever it yields must not be a page table of dom0's other than the window's L1: checked with
 * Xen, refused otherwise. Returns 0 (with a message emitted) when refused. */
static int machine_pte_addr(uint64_t a, uint64_t *out) {
  uint64_t frame = a / PAGE, offset = a % PAGE, mfn;
  if (frame == L1_MFN_BASE && offset / 8 < config.host_va_pages) {
    *out = l1_mfn * PAGE + offset;
    return 1;
  }
  if (frame == L1_MFN_BASE) mfn = decoy;
  else if (!machine_frame_of_gfn(frame, &mfn)) {
    emit("PTE address %#llx: its frame has no machine frame the agent can name safely",
         (unsigned long long)a);
    return 0;
  }
  if (mfn == l1_mfn || is_page_table(mfn)) {
    emit("PTE address %#llx: machine frame %#llx is a page table of dom0's outside the window",
         (unsigned long long)a, (unsigned long long)mfn);
    return 0;
  }
  *out = mfn * PAGE + offset;
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The contents of the agent's pages                                                           */

static void result_outcome(const char *kind, const char *outcome) {
  emit("{\"kind\":\"%s\",\"outcome\":\"%s\"}", kind, outcome);
}

/* The pool pages 0..n-1 mapped into the agent (privcmd mmapbatch naming DOMID_SELF, as the
 * grant table is mapped), or NULL when n is 0. errs[k] is non-zero for a page dom0 does not own.
 * A page that became a frame of dom0's grant table (a page a failed transfer freed, taken again
 * by setup_table) is not the model's page any more: it counts as not owned. The mapping holds a
 * page reference, which steal_page would refuse: unmap_pool drops it before the next op. */
static int pool_errs[MAX_POOL];

static uint8_t *map_pool(unsigned int n) {
  static xen_pfn_t probe[MAX_POOL];
  if (n == 0) return NULL;
  for (unsigned int k = 0; k < n; k++) probe[k] = pool[k];
  void *at = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd, 0);
  if (at == MAP_FAILED) die("mmap of privcmd for the agent's pages: %s", strerror(errno));
  privcmd_mmapbatch_v2_t batch = {
      .num = n, .dom = DOMID_SELF, .addr = (uint64_t)(uintptr_t)at, .arr = probe, .err = pool_errs};
  memset(pool_errs, 0, sizeof pool_errs);
  if (ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch) && errno != ENOENT)
    die("mapping the agent's pages: %s", strerror(errno));
  for (unsigned int k = 0; k < n; k++)
    for (unsigned int f = 0; f < table_frames; f++)
      if (table_mfns[f] == pool[k]) pool_errs[k] = -EPERM;
  return at;
}

static void unmap_pool(uint8_t *at, unsigned int n) {
  if (at) munmap(at, n * PAGE);
}

/* The pages the model's dom0 names: pool[0..config.pages-1], as far as the agent has them. */
static unsigned int model_pages(void) { return pool_size < config.pages ? pool_size : config.pages; }

/* The digest of bytes as grantcheck's model computes it (src/model/contents.ts digestRuns):
 * FNV-1a, 32 bits, over "len|" and the runs of non-zero bytes as "start-end:hex", comma-joined. */
static uint32_t fnv(uint32_t h, const char *text) {
  for (; *text; text++) {
    h ^= (unsigned char)*text;
    h *= 0x01000193u;
  }
  return h;
}

static uint32_t digest(const uint8_t *bytes, unsigned int len) {
  char run[40];
  snprintf(run, sizeof run, "%u|", len);
  uint32_t h = fnv(0x811c9dc5u, run);
  int first = 1;
  for (unsigned int i = 0; i < len;) {
    if (!bytes[i]) {
      i++;
      continue;
    }
    unsigned int j = i;
    while (j < len && bytes[j] == bytes[i]) j++;
    snprintf(run, sizeof run, "%s%u-%u:%x", first ? "" : ",", i, j, bytes[i]);
    h = fnv(h, run);
    first = 0;
    i = j;
  }
  return h;
}

/* The `contents` part, as JSON, kept until an op may have changed a page (contents_dirty). */
static char contents_json[MAX_POOL * PAGE * 17]; /* room for any pool's runs */
static int contents_dirty = 1;

static void read_contents(void) {
  size_t len = 0;
  unsigned int n = model_pages();
  uint8_t *at = map_pool(n);
  int firstpage = 1;
  len += (size_t)snprintf(contents_json + len, sizeof contents_json - len, "[");
  for (unsigned int k = 0; k < n; k++) {
    if (pool_errs[k]) continue;
    const uint8_t *bytes = at + k * PAGE;
    int firstrun = 1;
    for (unsigned int i = 0; i < PAGE;) {
      if (!bytes[i]) {
        i++;
        continue;
      }
      unsigned int j = i;
      while (j < PAGE && bytes[j] == bytes[i]) j++;
      if (firstrun)
        len += (size_t)snprintf(contents_json + len, sizeof contents_json - len, "%s[%u,[",
                                firstpage ? "" : ",", MFN_BASE + k);
      len += (size_t)snprintf(contents_json + len, sizeof contents_json - len, "%s[%u,%u,%u]",
                              firstrun ? "" : ",", i, j, bytes[i]);
      firstrun = 0;
      firstpage = 0;
      i = j;
    }
    if (!firstrun) len += (size_t)snprintf(contents_json + len, sizeof contents_json - len, "]]");
  }
  snprintf(contents_json + len, sizeof contents_json - len, "]");
  unmap_pool(at, n);
  contents_dirty = 0;
}

/* Zero every page of the pool: a run starts from the config's initial contents (all zero). */
static void zero_pool(void) {
  uint8_t *at = map_pool(pool_size);
  for (unsigned int k = 0; k < pool_size; k++)
    if (!pool_errs[k]) memset(at + k * PAGE, 0, PAGE);
  unmap_pool(at, pool_size);
  contents_dirty = 1;
}

/* write_page and read_page: the guest's own store and load, on the page the model's frame `gfn`
 * names (dom0 is PV: its gfns are machine frames, the model's 0x100+k the pool's k-th page).
 * Checked as the model does (docs/semantics.md §13): not dom0's page → unbacked, then the range
 * beyond the page → out_of_page. */
static void page_op(int op, int write) {
  const char *kind = write ? "write_page" : "read_page";
  uint64_t gfn = num(op, "gfn"), off = num(op, "off"), len = num(op, "len");
  unsigned int n = model_pages();
  int k = gfn >= MFN_BASE && gfn < MFN_BASE + n ? (int)(gfn - MFN_BASE) : -1;
  uint8_t *at = k >= 0 ? map_pool(n) : NULL;
  if (k < 0 || pool_errs[k]) result_outcome(kind, "unbacked");
  else if (off + len > PAGE) result_outcome(kind, "out_of_page");
  else if (write) {
    memset(at + k * PAGE + off, (int)(num(op, "byte") & 0xff), len);
    contents_dirty = 1;
    result_outcome(kind, "ok");
  } else {
    emit("{\"kind\":\"read_page\",\"outcome\":\"ok\",\"digest\":\"%08x\"}",
         digest(at + k * PAGE + off, (unsigned int)len));
  }
  unmap_pool(at, n);
}

/* write_mapped and read_mapped: stores and loads through the host window, where Xen put the
 * grant mappings' PTEs (model linear address a is WINDOW + a). Linux's view of the window is
 * PROT_NONE: the CPU follows Xen's PTEs, and an access that faults (no PTE, or a store through a
 * read-only one) reaches Linux's fault handler, which finds no permission in the VMA and sends
 * SIGSEGV without touching the page table. The agent catches it: the access did not happen. */
static sigjmp_buf probe_jump;
static volatile sig_atomic_t probing;

static void on_segv(int sig) {
  if (probing) siglongjmp(probe_jump, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Does a load from `p` (or, with `store`, a store of the byte it holds) fault? */
static int faults(volatile uint8_t *p, int store) {
  if (sigsetjmp(probe_jump, 1)) {
    probing = 0;
    return 1;
  }
  probing = 1;
  uint8_t v = *p;
  if (store) *p = v;
  probing = 0;
  return 0;
}

/* The model's order (docs/semantics.md §13): no PTE → no_mapping; a store through a read-only
 * PTE → readonly; then the range beyond the page → out_of_page. */
static void mapped_op(int op, int write) {
  static uint8_t bytes[PAGE];
  const char *kind = write ? "write_mapped" : "read_mapped";
  uint64_t off = num(op, "off"), len = num(op, "len");
  volatile uint8_t *page = (volatile uint8_t *)(uintptr_t)(machine_host_addr(num(op, "hostAddr")) & ~(PAGE - 1));
  if (faults(page, 0)) result_outcome(kind, "no_mapping");
  else if (write && faults(page, 1)) result_outcome(kind, "readonly");
  else if (off + len > PAGE) result_outcome(kind, "out_of_page");
  else if (write) {
    uint8_t byte = (uint8_t)(num(op, "byte") & 0xff);
    for (uint64_t i = 0; i < len; i++) page[off + i] = byte;
    contents_dirty = 1;
    result_outcome(kind, "ok");
  } else {
    for (uint64_t i = 0; i < len; i++) bytes[i] = page[off + i];
    emit("{\"kind\":\"read_mapped\",\"outcome\":\"ok\",\"digest\":\"%08x\"}",
         digest(bytes, (unsigned int)len));
  }
}

/* ------------------------------------------------------------------------------------------ */
/* What a run leaves in Xen: the handles it holds                                              */

#define MAX_HANDLES 65536u
static struct {
  uint8_t live;
  uint32_t flags;
  uint64_t host; /* machine address */
  uint64_t mfn;
} handles[MAX_HANDLES];
static unsigned int maptrack_limit; /* handles in the frames Xen has made (as far as seen) */
static int maptrack_touched;        /* a map ran since the free list was last put in order */
static int handle_lost;             /* a handle beyond MAX_HANDLES: it cannot be undone */

static void note_handle(unsigned int h) {
  unsigned int limit = (h / MAPTRACK_PER_PAGE + 1) * MAPTRACK_PER_PAGE;
  if (limit > maptrack_limit) maptrack_limit = limit;
}

/* ------------------------------------------------------------------------------------------ */
/* The guest library (Linux's gnttab_*_v1 and Xen's public grant_table.h protocol)             */

static const char *library_refuses(uint64_t ref) {
  return ref < NR_RESERVED || ref >= nr_entries() ? "einval" : NULL;
}

static int reusable(uint16_t flags) {
  if ((flags & GTF_type_mask) == GTF_invalid) return !(flags & (GTF_reading_bit | GTF_writing_bit));
  return (flags & GTF_type_mask) == GTF_accept_transfer && (flags & GTF_committed) &&
         (flags & GTF_completed);
}

static uint16_t load_flags(uint64_t ref) { return __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE); }

/* gnttab_update_entry_v1: domid and frame, a write barrier, then flags. */
static void update_entry(uint64_t ref, uint16_t domid, uint32_t frame, uint16_t flags) {
  table[ref].domid = domid;
  table[ref].frame = frame;
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(&table[ref].flags, flags, __ATOMIC_RELEASE);
}

static const char *frame_problem(uint64_t gfn) {
  static char message[128];
  snprintf(message, sizeof message,
           "frame %llu has no machine frame the agent can name safely (2^31..2^31+2^24 are "
           "not used)",
           (unsigned long long)gfn);
  return message;
}

static int grant(int op, const char *kind, uint16_t flags) {
  uint64_t ref = num(op, "ref"), gfn = num(op, "gfn");
  uint64_t mfn;
  if (!machine_frame_of_gfn(gfn, &mfn)) {
    emit("%s", frame_problem(gfn));
    return 0;
  }
  if (library_refuses(ref) || !reusable(load_flags(ref))) {
    result_outcome(kind, "einval");
    return 1;
  }
  update_entry(ref, (uint16_t)num(op, "grantee"), (uint32_t)mfn, flags);
  result_outcome(kind, "ok");
  return 1;
}

/* gnttab_end_foreign_access_ref_v1: clear the flags unless Xen holds the grant. */
static void end_access(uint64_t ref) {
  if (library_refuses(ref)) return result_outcome("end_access", "einval");
  uint16_t flags = load_flags(ref);
  for (;;) {
    if ((flags & GTF_type_mask) != GTF_permit_access) return result_outcome("end_access", "einval");
    if (flags & (GTF_reading_bit | GTF_writing_bit)) return result_outcome("end_access", "in_use");
    if (__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
      return result_outcome("end_access", "ended");
  }
}

/* gnttab_end_foreign_transfer_ref_v1, reporting `pending` instead of spinning. */
static void end_transfer(uint64_t ref) {
  if (library_refuses(ref)) return result_outcome("end_transfer", "einval");
  uint16_t flags = load_flags(ref);
  for (;;) {
    if ((flags & GTF_type_mask) != GTF_accept_transfer)
      return result_outcome("end_transfer", "einval");
    if (flags & GTF_committed) break;
    if (__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
      return result_outcome("end_transfer", "cancelled");
  }
  if (!(flags & GTF_completed)) return result_outcome("end_transfer", "pending");
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint64_t model = model_frame_of_machine(table[ref].frame);
  emit("{\"kind\":\"end_transfer\",\"outcome\":\"completed\",\"frame\":%llu}",
       (unsigned long long)model);
}

/* A guest ignoring the protocol: one plain store of the whole entry. */
static int raw_write(int op) {
  uint64_t ref = num(op, "ref"), gfn = num(op, "frame");
  uint64_t mfn;
  if (!machine_frame_of_gfn(gfn, &mfn)) {
    emit("%s", frame_problem(gfn));
    return 0;
  }
  if (ref >= nr_entries()) {
    result_outcome("raw_write", "einval");
    return 1;
  }
  entry_t value = {.flags = (uint16_t)num(op, "flags"),
                   .domid = (uint16_t)num(op, "domid"),
                   .frame = (uint32_t)mfn};
  uint64_t word;
  memcpy(&word, &value, sizeof word);
  __atomic_store_n((volatile uint64_t *)&table[ref], word, __ATOMIC_RELEASE);
  result_outcome("raw_write", "ok");
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Hypercall ops                                                                               */

static struct gnttab_map_grant_ref maps[MAX_BATCH];
static struct gnttab_unmap_grant_ref unmaps[MAX_BATCH];
static struct gnttab_transfer transfers[MAX_BATCH];

static int batch_of(int op, int *count) {
  int b = field(op, "batch");
  if (b < 0 || nodes[b].kind != J_ARR) die("request: batch missing");
  int n = 0;
  for (int c = nodes[b].first; c >= 0; c = nodes[c].next) n++;
  if (n > (int)MAX_BATCH) die("request: a batch of %d elements (at most %u)", n, MAX_BATCH);
  *count = n;
  return nodes[b].first;
}

static int map_grant_ref(int op) {
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&maps[i], 0, sizeof maps[i]);
    maps[i].dom = (domid_t)num(e, "dom");
    maps[i].ref = (grant_ref_t)num(e, "ref");
    maps[i].flags = (uint32_t)num(e, "flags");
    /* A contains_pte map names a page-table entry by machine address (machine_pte_addr) */
    if (maps[i].flags & GNTMAP_contains_pte) {
      if (!machine_pte_addr(num(e, "hostAddr"), &maps[i].host_addr)) return 0;
    } else {
      maps[i].host_addr = machine_host_addr(num(e, "hostAddr"));
    }
  }
  maptrack_touched = 1;
  long rc = grant_op(GNTTABOP_map_grant_ref, maps, (unsigned int)n);
  if (rc) die("GNTTABOP_map_grant_ref: hypercall failed (%ld)", rc);
  emit("{\"kind\":\"map_grant_ref\",\"results\":[");
  for (int i = 0; i < n; i++) {
    if (maps[i].status != GNTST_okay) {
      emit("%s{\"status\":%d}", i ? "," : "", maps[i].status);
      continue;
    }
    uint64_t mfn = maps[i].dev_bus_addr / PAGE;
    unsigned int h = maps[i].handle;
    note_handle(h);
    if (h >= MAX_HANDLES) handle_lost = 1;
    if (h < MAX_HANDLES) {
      handles[h].live = 1;
      handles[h].flags = maps[i].flags;
      handles[h].host = maps[i].host_addr;
      handles[h].mfn = mfn;
    }
    emit("%s{\"status\":0,\"handle\":%u,\"devBusAddr\":%llu}", i ? "," : "", h,
         (unsigned long long)(model_frame_of_machine(mfn) * PAGE + maps[i].dev_bus_addr % PAGE));
  }
  emit("]}");
  return 1;
}

/* An unmap's host_addr: 0 stays 0 ("leave the host mapping alone"); otherwise Xen reads it as
 * the map did, by the flags maptrack kept (unmap_common passes them to
 * replace_grant_host_mapping), so a handle the agent saw mapped with GNTMAP_contains_pte has a
 * PTE address, any other a linear one. Returns 0 (message emitted) when refused. */
static int machine_unmap_addr(uint64_t handle, uint64_t host, uint64_t *out) {
  if (host == 0) {
    *out = 0;
    return 1;
  }
  if (handle < MAX_HANDLES && handles[handle].live && (handles[handle].flags & GNTMAP_contains_pte))
    return machine_pte_addr(host, out);
  *out = machine_host_addr(host);
  return 1;
}

static int unmap_grant_ref(int op) {
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&unmaps[i], 0, sizeof unmaps[i]);
    uint64_t handle = num(e, "handle");
    if (!machine_unmap_addr(handle, num(e, "hostAddr"), &unmaps[i].host_addr)) return 0;
    unmaps[i].dev_bus_addr = machine_bus_addr(num(e, "devBusAddr"));
    unmaps[i].handle = (grant_handle_t)handle;
  }
  long rc = grant_op(GNTTABOP_unmap_grant_ref, unmaps, (unsigned int)n);
  if (rc) die("GNTTABOP_unmap_grant_ref: hypercall failed (%ld)", rc);
  emit("{\"kind\":\"unmap_grant_ref\",\"statuses\":[");
  for (int i = 0; i < n; i++) emit("%s%d", i ? "," : "", unmaps[i].status);
  emit("]}");
  return 1;
}

/* GNTTABOP_unmap_and_replace, the whole batch in one hypercall: host_addr as an unmap's
 * (machine_unmap_addr), new_addr a linear address (steal_linear_address reads it so whatever the
 * mapping's flags), 0 staying 0 ("destroy"). replace_grant_pv_mapping moves new_addr's PTE into
 * host_addr's slot; the hostMappings part shows where the PTEs went. */
static int unmap_and_replace(int op) {
  static struct gnttab_unmap_and_replace replaces[MAX_BATCH];
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&replaces[i], 0, sizeof replaces[i]);
    uint64_t handle = num(e, "handle"), fresh = num(e, "newAddr");
    if (!machine_unmap_addr(handle, num(e, "hostAddr"), &replaces[i].host_addr)) return 0;
    replaces[i].new_addr = fresh ? machine_host_addr(fresh) : 0;
    replaces[i].handle = (grant_handle_t)handle;
  }
  long rc = grant_op(GNTTABOP_unmap_and_replace, replaces, (unsigned int)n);
  if (rc) die("GNTTABOP_unmap_and_replace: hypercall failed (%ld)", rc);
  emit("{\"kind\":\"unmap_and_replace\",\"statuses\":[");
  for (int i = 0; i < n; i++) emit("%s%d", i ? "," : "", replaces[i].status);
  emit("]}");
  return 1;
}

static int transfer(int op) {
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&transfers[i], 0, sizeof transfers[i]);
    uint64_t mfn, gfn = num(e, "gfn");
    if (!machine_frame_of_gfn(gfn, &mfn)) {
      emit("%s", frame_problem(gfn));
      return 0;
    }
    transfers[i].mfn = mfn;
    transfers[i].domid = (domid_t)num(e, "domid");
    transfers[i].ref = (grant_ref_t)num(e, "ref");
  }
  long rc = grant_op(GNTTABOP_transfer, transfers, (unsigned int)n);
  if (rc) die("GNTTABOP_transfer: hypercall failed (%ld)", rc);
  contents_dirty = 1; /* pages may have changed owner */
  refresh_size();
  emit("{\"kind\":\"transfer\",\"statuses\":[");
  for (int i = 0; i < n; i++) emit("%s%d", i ? "," : "", transfers[i].status);
  emit("]}");
  return 1;
}

static void setup_table(int op) {
  static xen_pfn_t frames[MAX_FRAMES + 1];
  static struct gnttab_setup_table setup;
  memset(&setup, 0, sizeof setup);
  uint64_t requested = num(op, "nrFrames");
  setup.dom = (domid_t)num(op, "dom");
  setup.nr_frames = (uint32_t)requested;
  set_xen_guest_handle(setup.frame_list, frames);
  /* gnttab_setup_table refuses more than max_grant_frames before it writes the list: the buffer
   * holds 65. */
  long rc = grant_op(GNTTABOP_setup_table, &setup, 1);
  if (rc) die("GNTTABOP_setup_table: hypercall failed (%ld)", rc);
  contents_dirty = 1; /* a new table frame may be a page the pool lost */
  refresh_size();
  if (setup.status != GNTST_okay) {
    emit("{\"kind\":\"setup_table\",\"status\":%d}", setup.status);
    return;
  }
  uint32_t nr, max;
  int16_t status = query_size(setup.dom, &nr, &max);
  if (status) die("query_size after a successful setup_table: %d", status);
  emit("{\"kind\":\"setup_table\",\"status\":0,\"nrFrames\":%u}", nr);
}

/* GNTTABOP_swap_grant_ref over dom0's own table: the refs go to Xen as they are (the entries
 * hold machine frames either way, and swap_grant_ref moves them whole). */
static void swap_grant_ref(int op) {
  static struct gnttab_swap_grant_ref swaps[MAX_BATCH];
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&swaps[i], 0, sizeof swaps[i]);
    swaps[i].ref_a = (grant_ref_t)num(e, "refA");
    swaps[i].ref_b = (grant_ref_t)num(e, "refB");
  }
  long rc = grant_op(GNTTABOP_swap_grant_ref, swaps, (unsigned int)n);
  if (rc) die("GNTTABOP_swap_grant_ref: hypercall failed (%ld)", rc);
  emit("{\"kind\":\"swap_grant_ref\",\"statuses\":[");
  for (int i = 0; i < n; i++) emit("%s%d", i ? "," : "", swaps[i].status);
  emit("]}");
}

/* GNTTABOP_copy, the whole batch in one hypercall: a gref side goes to Xen as it is (dom0's
 * entries hold machine frames), a gmfn side is translated as a transfer's frame is. */
static int copy(int op) {
  static struct gnttab_copy copies[MAX_BATCH];
  int n;
  int e = batch_of(op, &n);
  for (int i = 0; i < n; i++, e = nodes[e].next) {
    memset(&copies[i], 0, sizeof copies[i]);
    uint16_t flags = (uint16_t)num(e, "flags");
    struct gnttab_copy_ptr *sides[2] = {&copies[i].source, &copies[i].dest};
    const char *names[2] = {"source", "dest"};
    uint16_t gref_flags[2] = {GNTCOPY_source_gref, GNTCOPY_dest_gref};
    for (int s = 0; s < 2; s++) {
      int side = field(e, names[s]);
      if (side < 0) die("request: copy element without %s", names[s]);
      uint64_t u = num(side, "u");
      if (flags & gref_flags[s]) {
        sides[s]->u.ref = (grant_ref_t)u;
      } else {
        uint64_t mfn;
        if (!machine_frame_of_gfn(u, &mfn)) {
          emit("%s", frame_problem(u));
          return 0;
        }
        sides[s]->u.gmfn = mfn;
      }
      sides[s]->domid = (domid_t)num(side, "domid");
      sides[s]->offset = (uint16_t)num(side, "offset");
    }
    copies[i].len = (uint16_t)num(e, "len");
    copies[i].flags = flags;
  }
  long rc = grant_op(GNTTABOP_copy, copies, (unsigned int)n);
  if (rc) die("GNTTABOP_copy: hypercall failed (%ld)", rc);
  contents_dirty = 1;
  emit("{\"kind\":\"copy\",\"statuses\":[");
  for (int i = 0; i < n; i++) emit("%s%d", i ? "," : "", copies[i].status);
  emit("]}");
  return 1;
}

static void query_size_op(int op) {
  uint32_t nr, max;
  int16_t status = query_size((domid_t)num(op, "dom"), &nr, &max);
  if (status) emit("{\"kind\":\"query_size\",\"status\":%d}", status);
  else emit("{\"kind\":\"query_size\",\"status\":0,\"nrFrames\":%u,\"maxNrFrames\":%u}", nr, max);
}

/* ------------------------------------------------------------------------------------------ */
/* State                                                                                       */

/* The declared parts: dom0's non-zero entries (in the model's numbers) and its table size; at a
 * start, also the maptrack table once Xen has made one (reset put it in order). */
static void emit_state_with(int with_maptrack) {
  emit("{\"domains\":[{\"entries\":[");
  int first = 1;
  unsigned int n = nr_entries();
  const volatile uint64_t *words = (const volatile uint64_t *)table;
  for (unsigned int ref = 0; ref < n; ref++) {
    if (!words[ref]) continue;
    entry_t e = *(const entry_t *)&table[ref];
    uint64_t frame = model_frame_of_machine(e.frame);
    if (!e.flags && !e.domid && !frame) continue;
    emit("%s[%u,{\"flags\":%u,\"domid\":%u,\"frame\":%llu}]", first ? "" : ",", ref, e.flags,
         e.domid, (unsigned long long)frame);
    first = 0;
  }
  emit("],\"grantFrames\":{\"nrFrames\":%u,\"maxFrames\":%u}", nr_frames, max_frames);
  /* The window's PTEs as Xen left them, read from its L1 table: grant mappings only (no other
   * PTE is ever made there) */
  emit(",\"hostMappings\":[");
  first = 1;
  for (unsigned int slot = 0; slot < config.host_va_pages; slot++) {
    uint64_t pte = l1_view[slot];
    if (!(pte & PTE_PRESENT)) continue;
    emit("%s[%u,{\"mfn\":%llu,\"writable\":%s}]", first ? "" : ",", slot,
         (unsigned long long)model_frame_of_machine((pte & PTE_MFN_MASK) / PAGE),
         pte & PTE_RW ? "true" : "false");
    first = 0;
  }
  emit("]");
  if (with_maptrack && maptrack_limit) {
    emit(",\"maptrack\":{\"limit\":%u,\"maxFrames\":%u,\"freeList\":[", maptrack_limit,
         config.max_maptrack_frames);
    for (unsigned int h = 0; h < maptrack_limit; h++) emit("%s%u", h ? "," : "", h);
    emit("],\"mappings\":[]}");
  }
  if (contents_dirty) read_contents();
  emit("}],\"contents\":%s}", contents_json);
}

static void emit_state(void) { emit_state_with(0); }

/* ------------------------------------------------------------------------------------------ */
/* Reset: undo what a run left in Xen                                                          */

/* Unmap one handle fully: its host part at `host` (machine address, 0: none), its device part.
 * Returns the status. */
static int16_t unmap_one(unsigned int h, uint64_t host) {
  memset(&unmaps[0], 0, sizeof unmaps[0]);
  unmaps[0].handle = (grant_handle_t)h;
  unmaps[0].host_addr = (handles[h].flags & GNTMAP_host_map) ? host : 0;
  unmaps[0].dev_bus_addr = (handles[h].flags & GNTMAP_device_map) ? handles[h].mfn * PAGE : 0;
  long rc = grant_op(GNTTABOP_unmap_grant_ref, unmaps, 1);
  if (rc) die("reset: unmap hypercall failed (%ld)", rc);
  return unmaps[0].status;
}

/* A PTE of our own for `mfn` at a scratch address, so that a host mapping whose PTE a later map
 * overwrote can still be unmapped: replace_grant_pv_mapping checks the PTE's frame and its
 * PRESENT and RW bits against the grant's, not the address. Its reference and type count pay
 * for the ones the grant unmap puts back, which the implicit unmap (put_page_from_l1e) already
 * dropped. The page is dropped from the pool all the same (tainted), not to rely on that. */
static uint64_t plant_pte(unsigned int slot, uint64_t mfn, int writable, int contains_pte) {
  uint64_t pte = (mfn << 12) | PTE_PRESENT | PTE_USER | (writable ? PTE_RW : 0);
  uint64_t va = SCRATCH + PAGE * (1 + slot % (WINDOW_BYTES / PAGE - 1)), addr = va;
  if (contains_pte) {
    /* A contains_pte mapping is unmapped by PTE address: the PTE goes into an empty slot of the
     * window, whose L1 the agent knows (clear_window empties it again) */
    unsigned int s = 0;
    while (s < PAGE / 8 && l1_view[s]) s++;
    if (s == PAGE / 8) return 0;
    va = WINDOW + s * PAGE;
    addr = l1_mfn * PAGE + s * 8;
  }
  long rc = hypercall(__HYPERVISOR_update_va_mapping, va, pte, UVMF_INVLPG);
  if (rc) return 0;
  int k = page_of_machine_frame(mfn);
  if (k >= 0) tainted[k] = 1;
  return addr;
}

/* Where the window holds a PTE that replace_grant_pv_mapping would take as handle h's (its
 * frame, present, its RW bit): an unmap_and_replace may have moved h's PTE there. The address
 * as the handle's flags read it, or 0. */
static uint64_t window_pte_of(unsigned int h) {
  uint64_t writable = (handles[h].flags & GNTMAP_readonly) ? 0 : PTE_RW;
  for (unsigned int slot = 0; slot < PAGE / 8; slot++) {
    uint64_t pte = l1_view[slot];
    if ((pte & PTE_PRESENT) && (pte & PTE_MFN_MASK) == handles[h].mfn * PAGE &&
        (pte & PTE_RW) == writable)
      return (handles[h].flags & GNTMAP_contains_pte) ? l1_mfn * PAGE + slot * 8
                                                      : WINDOW + slot * PAGE;
  }
  return 0;
}

/* A pin can outlive its page: a host mapping whose PTE a later map overwrote holds no page
 * reference (the implicit unmap, put_page_from_l1e), so a transfer may steal the page and, failing
 * after the steal, free it. No PTE of dom0's can name a page dom0 does not own; but Xen's
 * allocator often hands back the page freed last, so ask it for a few pages and keep that one if
 * it comes (the others go back). Returns whether dom0 owns `mfn` now. */
static int take_back(uint64_t mfn) {
  static xen_pfn_t got[32], back[32];
  struct xen_memory_reservation r;
  memset(&r, 0, sizeof r);
  set_xen_guest_handle(r.extent_start, got);
  r.nr_extents = 32;
  r.domid = DOMID_SELF;
  long n = hypercall(__HYPERVISOR_memory_op, XENMEM_increase_reservation, (uint64_t)(uintptr_t)&r, 0);
  int found = 0;
  unsigned int others = 0;
  for (long i = 0; i < n; i++) {
    if (got[i] == mfn) found = 1;
    else back[others++] = got[i];
  }
  if (others) {
    set_xen_guest_handle(r.extent_start, back);
    r.nr_extents = others;
    hypercall(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, (uint64_t)(uintptr_t)&r, 0);
  }
  return found;
}

static const char *release_handles(void) {
  static char reason[160];
  for (int h = MAX_HANDLES - 1; h >= 0; h--) {
    if (!handles[h].live) continue;
    int16_t status = unmap_one((unsigned int)h, handles[h].host);
    const char *how = "";
    if (status == GNTST_general_error && (handles[h].flags & GNTMAP_host_map)) {
      uint64_t moved = window_pte_of((unsigned int)h);
      if (moved) status = unmap_one((unsigned int)h, moved);
    }
    if (status == GNTST_general_error && (handles[h].flags & GNTMAP_host_map)) {
      int writable = !(handles[h].flags & GNTMAP_readonly);
      int pte = !!(handles[h].flags & GNTMAP_contains_pte);
      uint64_t va = plant_pte((unsigned int)h, handles[h].mfn, writable, pte);
      if (!va && take_back(handles[h].mfn))
        va = plant_pte((unsigned int)h, handles[h].mfn, writable, pte);
      if (va) status = unmap_one((unsigned int)h, va);
      how = va ? ", also through a PTE of the agent's" : "; no PTE of the agent's could name its page";
    }
    if (status != GNTST_okay && status != GNTST_bad_handle) {
      snprintf(reason, sizeof reason, "handle %d could not be unmapped (status %d%s)", h, status,
               how);
      return reason;
    }
    handles[h].live = 0;
  }
  return NULL;
}

/* Empty the host window's PTEs: an unmap with host_addr 0 leaves the host mapping in place
 * ("leave it alone"), an unmap_and_replace moves PTEs, and reset's own PTEs for contains_pte
 * mappings go there. Each is cleared with update_va_mapping (Xen's implicit unmap,
 * put_page_from_l1e, which drops the page references the PTE held), so that the next run's
 * window is empty, as the model's is. The window's L1 (l1_view) says which are set. */
static const char *clear_window(void) {
  static char reason[120];
  for (unsigned int i = 0; i < PAGE / 8; i++) {
    if (!l1_view[i]) continue;
    uint64_t va = WINDOW + i * PAGE;
    long rc = hypercall(__HYPERVISOR_update_va_mapping, va, 0, UVMF_INVLPG);
    if (rc || l1_view[i]) {
      snprintf(reason, sizeof reason, "the window's PTE at %#llx could not be cleared (%ld)",
               (unsigned long long)va, rc);
      return reason;
    }
    contents_dirty = 1;
  }
  return NULL;
}

/* Put the maptrack free list in order: [0, 1, ..., limit-1], all free. Xen's list
 * (_get_maptrack_handle, put_maptrack_handle) is a FIFO that always keeps its last entry: a map
 * takes the head, an unmap appends. Taking the limit-1 handles it gives and returning them in
 * order, twice, leaves exactly that, whatever the order before. With one frame this is what a
 * fresh table behaves as (its first map makes the frame, returns 0 and chains 1..255); with
 * more, the model starts from it (the `ready` message's maptrack). */
static const char *order_maptrack(void) {
  static char reason[200];
  static int taken[MAX_HANDLES];
  static int order[MAX_HANDLES];
  const unsigned int per_ref = 120; /* device|readonly pins per ref stay below 128 */
  for (;;) {
    unsigned int limit = maptrack_limit < MAPTRACK_PER_PAGE ? MAPTRACK_PER_PAGE : maptrack_limit;
    unsigned int take = limit - 1;
    unsigned int refs = (take + per_ref - 1) / per_ref;
    if (SCRATCH_REF + refs > ENTRIES_PER_FRAME) {
      snprintf(reason, sizeof reason, "the maptrack table has %u handles, too many to reorder",
               limit);
      return reason;
    }
    for (unsigned int r = 0; r < refs; r++)
      update_entry(SCRATCH_REF + r, 0, (uint32_t)pool[0], GTF_permit_access | GTF_readonly_bit);
    int grew = 0;
    for (int round = 0; round < 2; round++) {
      memset(taken, 0, limit * sizeof taken[0]);
      for (unsigned int done = 0; done < take;) {
        unsigned int n = take - done < MAX_BATCH ? take - done : MAX_BATCH;
        for (unsigned int i = 0; i < n; i++) {
          memset(&maps[i], 0, sizeof maps[i]);
          maps[i].ref = SCRATCH_REF + (done + i) / per_ref;
          maps[i].flags = GNTMAP_device_map | GNTMAP_readonly;
        }
        long rc = grant_op(GNTTABOP_map_grant_ref, maps, n);
        if (rc) die("reset: map hypercall failed (%ld)", rc);
        for (unsigned int i = 0; i < n; i++) {
          unsigned int h = maps[i].handle;
          if (maps[i].status != GNTST_okay || h >= MAX_HANDLES) {
            snprintf(reason, sizeof reason, "maptrack: a reset map gave status %d handle %u",
                     maps[i].status, h);
            return reason;
          }
          if (h >= limit) {
            /* A frame a failed map made, never seen: count it, undo, start over. */
            note_handle(h);
            grew = 1;
            memset(&unmaps[0], 0, sizeof unmaps[0]);
            unmaps[0].handle = (grant_handle_t)h;
            unmaps[0].dev_bus_addr = pool[0] * PAGE;
            if (grant_op(GNTTABOP_unmap_grant_ref, unmaps, 1) || unmaps[0].status)
              die("reset: cannot return handle %u", h);
          } else {
            taken[h] = 1;
          }
        }
        done += n;
      }
      /* Return all taken but 0 in order, then 0: the kept entry after the next round is 0. */
      unsigned int count = 0;
      for (unsigned int h = 1; h < limit; h++)
        if (taken[h]) order[count++] = (int)h;
      if (taken[0]) order[count++] = 0;
      for (unsigned int done = 0; done < count;) {
        unsigned int n = count - done < MAX_BATCH ? count - done : MAX_BATCH;
        for (unsigned int i = 0; i < n; i++) {
          memset(&unmaps[i], 0, sizeof unmaps[i]);
          unmaps[i].handle = (grant_handle_t)order[done + i];
          unmaps[i].dev_bus_addr = pool[0] * PAGE;
        }
        long rc = grant_op(GNTTABOP_unmap_grant_ref, unmaps, n);
        if (rc) die("reset: unmap hypercall failed (%ld)", rc);
        for (unsigned int i = 0; i < n; i++)
          if (unmaps[i].status) {
            snprintf(reason, sizeof reason, "maptrack: a reset unmap of %d gave %d",
                     order[done + i], unmaps[i].status);
            return reason;
          }
        done += n;
      }
      if (grew) break;
      if (!taken[0]) break; /* 0 was the kept entry: [0, 1, ..., limit-1] already */
    }
    if (!grew) {
      maptrack_limit = limit;
      maptrack_touched = 0;
      return NULL;
    }
  }
}

/* Keep the pages the agent still owns and that are clean; take new ones up to `want`. */
static const char *refill_pool(unsigned int want) {
  static char reason[160];
  static xen_pfn_t probe[MAX_POOL];
  static int errs[MAX_POOL];
  unsigned int kept = 0;
  if (pool_size) {
    for (unsigned int k = 0; k < pool_size; k++) probe[k] = pool[k];
    void *at = mmap(NULL, pool_size * PAGE, PROT_READ, MAP_SHARED, privcmd, 0);
    if (at == MAP_FAILED) die("mmap of privcmd for the page probe: %s", strerror(errno));
    privcmd_mmapbatch_v2_t batch = {
        .num = pool_size, .dom = DOMID_SELF, .addr = (uint64_t)(uintptr_t)at, .arr = probe, .err = errs};
    /* A page the agent no longer owns fails to map: errs[k] says which (the ioctl itself
     * fails as a whole only for -ENOENT, paged-out frames, which PV dom0 has none of). */
    memset(errs, 0, sizeof errs);
    int rc = ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch);
    munmap(at, pool_size * PAGE);
    if (rc && errno != ENOENT) die("probing the agent's pages: %s", strerror(errno));
    for (unsigned int k = 0; k < pool_size; k++) {
      int owned = errs[k] == 0;
      if (owned && !tainted[k]) pool[kept++] = pool[k];
    }
  }
  memset(tainted, 0, sizeof tainted);
  pool_size = kept;
  if (pool_size >= want) return NULL;
  static xen_pfn_t fresh[MAX_POOL];
  struct xen_memory_reservation reservation;
  memset(&reservation, 0, sizeof reservation);
  set_xen_guest_handle(reservation.extent_start, fresh);
  reservation.nr_extents = want - pool_size;
  reservation.extent_order = 0;
  reservation.domid = DOMID_SELF;
  long got = hypercall(__HYPERVISOR_memory_op, XENMEM_increase_reservation,
                       (uint64_t)(uintptr_t)&reservation, 0);
  if (got < 0) got = 0;
  for (long i = 0; i < got; i++) pool[pool_size++] = fresh[i];
  if (pool_size < want) {
    snprintf(reason, sizeof reason, "only %u of %u pages could be taken from Xen", pool_size,
             want);
    return reason;
  }
  return NULL;
}

/* Drop the pool pages Xen would not let dom0 give away (steal_page: exactly one reference and
 * PGC_allocated, not a Xen heap page). Seen: a page a failed transfer gave back to Xen came back
 * as a new frame of dom0's own grant table (setup_table grew it): dom0 owns and may map it, so
 * the ownership probe keeps it, but a transfer of it is bad_page where the model's succeeds.
 * Each page is transferred to dom0 itself through a scratch entry; a page that moves is clean
 * and stays dom0's, at the same frame. Returns how many pages were dropped (reported on Xen's
 * console). */
static unsigned long resets; /* how many resets so far, for the console's messages */

static unsigned int drop_unstealable(void) {
  unsigned int kept = 0, dropped = 0;
  for (unsigned int k = 0; k < pool_size; k++) {
    uint64_t ref = SCRATCH_REF;
    update_entry(ref, 0, 0, GTF_accept_transfer);
    memset(&transfers[0], 0, sizeof transfers[0]);
    transfers[0].mfn = pool[k];
    transfers[0].domid = 0;
    transfers[0].ref = (grant_ref_t)ref;
    long rc = grant_op(GNTTABOP_transfer, transfers, 1);
    if (rc) die("reset: transfer hypercall failed (%ld)", rc);
    uint32_t frame = table[ref].frame;
    __atomic_store_n((volatile uint64_t *)&table[ref], 0, __ATOMIC_RELEASE);
    if (transfers[0].status == GNTST_okay && frame == pool[k]) {
      pool[kept++] = pool[k];
    } else {
      dropped++;
      fprintf(stderr,
              "grantcheck agent: reset %lu: page %#llx could not be given away (status %d): "
              "dropped\n",
              resets, (unsigned long long)pool[k], transfers[0].status);
    }
  }
  pool_size = kept;
  return dropped;
}

static void clear_entries(void) {
  volatile uint64_t *words = (volatile uint64_t *)table;
  for (unsigned int ref = 0; ref < nr_entries(); ref++) words[ref] = 0;
}

static const char *config_problem(int c) {
  static char problem[200];
  config.domains = (unsigned int)num(c, "domains");
  config.pages = (unsigned int)num(c, "pagesPerDomain");
  config.max_grant_frames = (unsigned int)num(c, "maxGrantFrames");
  config.max_maptrack_frames = (unsigned int)num(c, "maxMaptrackFrames");
  config.host_va_pages = (unsigned int)num(c, "hostVaPages");
  config.pv = truthy(c, "pv");
  if (!config.pv)
    snprintf(problem, sizeof problem, "config.pv is not set: dom0 is a PV guest here");
  else if (config.domains != 1)
    snprintf(problem, sizeof problem, "config.domains is %u: dom0 is the only domain here",
             config.domains);
  else if (config.pages > MAX_POOL || config.pages == 0)
    snprintf(problem, sizeof problem, "config.pagesPerDomain is %u: 1 to %u here", config.pages,
             MAX_POOL);
  else if (config.max_grant_frames != max_frames)
    snprintf(problem, sizeof problem,
             "config.maxGrantFrames is %u, but this Xen's max_grant_frames is %u",
             config.max_grant_frames, max_frames);
  else if (config.max_maptrack_frames != 1024)
    snprintf(problem, sizeof problem,
             "config.maxMaptrackFrames is %u, but this Xen's max_maptrack_frames is 1024",
             config.max_maptrack_frames);
  else if (config.host_va_pages > WINDOW_BYTES / PAGE)
    snprintf(problem, sizeof problem, "config.hostVaPages is %u: at most %llu here",
             config.host_va_pages, WINDOW_BYTES / PAGE);
  else
    return NULL;
  return problem;
}

static void reset(int request) {
  resets++;
  const char *problem = config_problem(field(request, "config"));
  if (problem) {
    emit("{\"type\":\"error\",\"message\":\"%s\"}", problem);
    return;
  }
  const char *stuck = release_handles();
  if (!stuck) stuck = clear_window();
  if (!stuck && handle_lost) stuck = "the run made more maptrack handles than the agent tracks";
  if (!stuck && maptrack_touched) stuck = refill_pool(config.pages > 1 ? config.pages : 1);
  if (!stuck && maptrack_touched) stuck = order_maptrack();
  if (!stuck) stuck = refill_pool(config.pages);
  for (int tries = 0; !stuck && drop_unstealable() && tries < 3; tries++)
    stuck = refill_pool(config.pages);
  if (!stuck && pool_size < config.pages) stuck = "the agent's pages kept coming back dirty";
  if (stuck) {
    emit("{\"type\":\"restart\",\"reason\":\"%s\"}", stuck);
    return;
  }
  clear_entries();
  refresh_size();
  zero_pool();
  emit("{\"type\":\"ready\",\"state\":");
  emit_state_with(1);
  emit("}");
}

/* ------------------------------------------------------------------------------------------ */
/* Boot and serve                                                                              */

static void load_modules(void) {
  FILE *order = fopen("/modules/order", "r");
  if (!order) die("/modules/order is missing from the initramfs");
  char name[128], path[256];
  while (fscanf(order, "%127s", name) == 1) {
    snprintf(path, sizeof path, "/modules/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("module %s is missing", path);
    if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
      die("loading %s: %s", path, strerror(errno));
    close(fd);
  }
  fclose(order);
}

/* The virtio-serial port QEMU connects to grantcheck: /dev/vport<N>p1. */
static int open_channel(void) {
  for (int attempt = 0; attempt < 100; attempt++) {
    DIR *dev = opendir("/dev");
    struct dirent *e;
    while (dev && (e = readdir(dev))) {
      if (strncmp(e->d_name, "vport", 5) || !strstr(e->d_name, "p1")) continue;
      char path[300];
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      int fd = open(path, O_RDWR);
      if (fd >= 0) {
        closedir(dev);
        return fd;
      }
    }
    if (dev) closedir(dev);
    usleep(100000);
  }
  return -1;
}

/* The windows sit at fixed addresses, and a randomised brk may start anywhere up to 1 GiB past
 * the bss (arch_randomize_brk), on top of them: dom0 boots with norandmaps (DOM0_CMDLINE in
 * src/subject/xen/qemu.ts), which sets this to 0. */
static void require_fixed_layout(void) {
  char setting[16] = "";
  FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
  if (!f || !fgets(setting, sizeof setting, f))
    die("/proc/sys/kernel/randomize_va_space: %s", strerror(errno));
  fclose(f);
  setting[strcspn(setting, "\n")] = 0;
  if (strcmp(setting, "0"))
    die("address-space randomisation is on (randomize_va_space %s): dom0 needs norandmaps", setting);
}

/* The 2 MiB windows: WINDOW and SCRATCH with an L1 table and empty PTEs, NO_L1 without. */
static void make_window(uint64_t at, int with_l1) {
  void *p = mmap((void *)(uintptr_t)at, WINDOW_BYTES, with_l1 ? PROT_READ | PROT_WRITE : PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (p != (void *)(uintptr_t)at)
    die("cannot reserve address %#llx: %s", (unsigned long long)at,
        p == MAP_FAILED ? strerror(errno) : "the kernel put it elsewhere");
  madvise(p, WINDOW_BYTES, MADV_NOHUGEPAGE);
  if (!with_l1) return;
  *(volatile char *)p = 1;            /* the fault builds the L1 table */
  madvise(p, PAGE, MADV_DONTNEED);    /* and this empties its one PTE again */
  /* The host window: Linux may never fill a PTE there (mapped_op's faults end in SIGSEGV) */
  if (at == WINDOW && mprotect(p, WINDOW_BYTES, PROT_NONE))
    die("mprotect of the host window: %s", strerror(errno));
}

static void hello(void) {
  char extra[XEN_EXTRAVERSION_LEN + 1] = "";
  static xen_extraversion_t ev;
  long version = hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
  if (hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, (uint64_t)(uintptr_t)ev, 0) == 0) {
    memcpy(extra, ev, XEN_EXTRAVERSION_LEN);
    extra[XEN_EXTRAVERSION_LEN] = 0;
    for (char *c = extra; *c; c++)
      if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '?';
  }
  emit("{\"type\":\"hello\",\"protocol\":%d,\"name\":\"xen-%ld.%ld%s dom0\",\"opKinds\":["
       "\"grant_access\",\"end_access\",\"grant_transfer\",\"end_transfer\",\"raw_write\","
       "\"map_grant_ref\",\"unmap_grant_ref\",\"transfer\",\"setup_table\",\"query_size\","
       "\"swap_grant_ref\",\"write_page\",\"read_page\",\"copy\",\"write_mapped\","
       "\"read_mapped\",\"unmap_and_replace\"],"
       "\"observes\":[\"entries\",\"grantFrames\",\"contents\",\"hostMappings\"],"
       "\"snapshots\":false,"
       /* serve() takes the requests in order from what it has read: grantcheck may send ahead */
       "\"pipelining\":true}",
       PROTOCOL, version >> 16, version & 0xffff, extra);
  flush_line();
}

static int apply(int op) {
  if (op < 0 || nodes[op].kind != J_OBJ) die("request: op missing");
  int guest = !is(op, "kind", "map_grant_ref") && !is(op, "kind", "unmap_grant_ref") &&
              !is(op, "kind", "transfer") && !is(op, "kind", "setup_table") &&
              !is(op, "kind", "query_size") && !is(op, "kind", "swap_grant_ref") &&
              !is(op, "kind", "copy") && !is(op, "kind", "unmap_and_replace");
  uint64_t actor = guest ? num(op, "dom") : num(op, "caller");
  if (actor != 0) {
    emit("op by domain %llu: dom0 is the only domain here", (unsigned long long)actor);
    return 0;
  }
  if (is(op, "kind", "grant_access"))
    return grant(op, "grant_access",
                 GTF_permit_access | (truthy(op, "readonly") ? GTF_readonly_bit : 0));
  if (is(op, "kind", "grant_transfer")) return grant(op, "grant_transfer", GTF_accept_transfer);
  if (is(op, "kind", "end_access")) return end_access(num(op, "ref")), 1;
  if (is(op, "kind", "end_transfer")) return end_transfer(num(op, "ref")), 1;
  if (is(op, "kind", "raw_write")) return raw_write(op);
  if (is(op, "kind", "map_grant_ref")) return map_grant_ref(op);
  if (is(op, "kind", "unmap_grant_ref")) return unmap_grant_ref(op);
  if (is(op, "kind", "unmap_and_replace")) return unmap_and_replace(op);
  if (is(op, "kind", "transfer")) return transfer(op);
  if (is(op, "kind", "setup_table")) return setup_table(op), 1;
  if (is(op, "kind", "query_size")) return query_size_op(op), 1;
  if (is(op, "kind", "swap_grant_ref")) return swap_grant_ref(op), 1;
  if (is(op, "kind", "write_page")) return page_op(op, 1), 1;
  if (is(op, "kind", "read_page")) return page_op(op, 0), 1;
  if (is(op, "kind", "copy")) return copy(op);
  if (is(op, "kind", "write_mapped")) return mapped_op(op, 1), 1;
  if (is(op, "kind", "read_mapped")) return mapped_op(op, 0), 1;
  emit("unknown op kind");
  return 0;
}

static void serve(void) {
  static char line[32 << 20];
  size_t have = 0;
  for (;;) {
    char *nl = memchr(line, '\n', have);
    if (!nl) {
      if (have == sizeof line) die("a request longer than %zu bytes", sizeof line);
      ssize_t n = read(channel, line + have, sizeof line - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) power_off(0x10); /* grantcheck went away */
      have += (size_t)n;
      continue;
    }
    *nl = 0;
    nnodes = 0;
    jp = line;
    int request = parse_value();
    if (request < 0 || nodes[request].kind != J_OBJ) die("a request that is not a JSON object");
    if (is(request, "type", "bye")) power_off(0x10);
    outlen = 0;
    if (is(request, "type", "reset")) {
      reset(request);
    } else if (is(request, "type", "state")) {
      emit("{\"type\":\"state\",\"state\":");
      emit_state();
      emit("}");
    } else if (is(request, "type", "apply")) {
      emit("{\"type\":\"result\",\"result\":");
      size_t start = outlen;
      if (!apply(field(request, "op"))) {
        char message[300];
        snprintf(message, sizeof message, "%.*s", (int)(outlen - start), out + start);
        outlen = 0;
        emit("{\"type\":\"error\",\"message\":\"%s\"}", message);
      } else if (truthy(request, "state")) {
        emit(",\"state\":");
        emit_state();
        emit("}");
      } else {
        emit("}");
      }
    } else {
      emit("{\"type\":\"error\",\"message\":\"the agent has no snapshots\"}");
    }
    flush_line();
    size_t used = (size_t)(nl - line) + 1;
    memmove(line, nl + 1, have - used);
    have -= used;
  }
}

int main(void) {
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  int console = open("/dev/hvc0", O_WRONLY);
  if (console >= 0) dup2(console, 2);
  load_modules();
  channel = open_channel();
  if (channel < 0) die("no virtio-serial port appeared in /dev");
  for (int i = 0; i < 50 && privcmd < 0; i++) {
    privcmd = open("/dev/xen/privcmd", O_RDWR);
    if (privcmd < 0) usleep(100000);
  }
  if (privcmd < 0) die("/dev/xen/privcmd: %s", strerror(errno));
  if (mlockall(MCL_CURRENT)) die("mlockall: %s", strerror(errno));
  struct sigaction segv;
  memset(&segv, 0, sizeof segv);
  segv.sa_handler = on_segv;
  segv.sa_flags = SA_NODEFER;
  if (sigaction(SIGSEGV, &segv, NULL)) die("sigaction: %s", strerror(errno));
  require_fixed_layout();
  make_window(WINDOW, 1);
  make_window(NO_L1, 0);
  make_window(SCRATCH, 1);
  find_window_l1();
  refresh_size();
  /* Keep clear of dom0's kernel: it must hold no grant of its own. */
  const volatile uint64_t *words = (const volatile uint64_t *)table;
  for (unsigned int ref = 0; ref < nr_entries(); ref++)
    if (words[ref]) die("dom0's kernel uses grant ref %u: the agent needs a table of its own", ref);
  hello();
  serve();
  return 0;
}
