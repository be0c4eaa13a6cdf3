/*
 * A grant-table guest library in C, as a grantcheck subject (docs/subject-protocol.md): the four
 * guest operations of Xen's public header (grant / end foreign access, grant / end foreign
 * transfer) and raw writes, over v1 grant tables (struct grant_entry_v1) in memory, reporting
 * the shared entries. It follows the update protocol of xen/include/public/grant_table.h as
 * Linux's gnttab_update_entry_v1 and gnttab_end_foreign_access_ref_v1 do: domid and frame
 * first, a write barrier, then flags; end access by compare-and-swap of the flags.
 *
 * Built with -DBROKEN_END_ACCESS it ends access while Xen still writes through the grant
 * (it tests GTF_reading only, not GTF_writing): the bug grantcheck must catch.
 *
 * It is independent of grantcheck's TypeScript: it reads the requests it needs with a small
 * key lookup (every op grantcheck sends is a flat object) and writes JSON by hand.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GTF_invalid 0
#define GTF_permit_access 1
#define GTF_accept_transfer 2
#define GTF_type_mask 3
#define GTF_readonly (1 << 2)
#define GTF_transfer_committed (1 << 2)
#define GTF_reading (1 << 3)
#define GTF_transfer_completed (1 << 3)
#define GTF_writing (1 << 4)

#define NR_RESERVED_ENTRIES 8 /* GNTTAB_NR_RESERVED_ENTRIES */
#define ENTRIES_PER_FRAME 512 /* PAGE_SIZE / sizeof(grant_entry_v1_t) */
#define MAX_DOMAINS 16

typedef struct {
  uint16_t flags;
  uint16_t domid;
  uint32_t frame;
} grant_entry_v1_t;

/* One table frame per domain: the initial nr_grant_frames, which only setup_table (a hypercall,
 * not implemented here) grows. */
static grant_entry_v1_t table[MAX_DOMAINS][ENTRIES_PER_FRAME];
static long long domains;

/* The entry a library call may use, or NULL: own domain, not reserved, inside the table. */
static grant_entry_v1_t *library_entry(long long dom, long long ref) {
  if (dom < 0 || dom >= domains) return NULL;
  if (ref < NR_RESERVED_ENTRIES || ref >= ENTRIES_PER_FRAME) return NULL;
  return &table[dom][ref];
}

static int in_use(uint16_t flags) { return (flags & (GTF_reading | GTF_writing)) != 0; }

/* May the library (re)grant this entry? Invalid and not in use, or a finished transfer. */
static int reusable(uint16_t flags) {
  if ((flags & GTF_type_mask) == GTF_invalid) return !in_use(flags);
  return (flags & GTF_type_mask) == GTF_accept_transfer && (flags & GTF_transfer_committed) &&
         (flags & GTF_transfer_completed);
}

/* gnttab_update_entry_v1: domid and frame, then (after a barrier) flags. */
static void update_entry(grant_entry_v1_t *e, uint16_t domid, uint32_t frame, uint16_t flags) {
  e->domid = domid;
  e->frame = frame;
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(&e->flags, flags, __ATOMIC_RELAXED);
}

static const char *grant_access(long long dom, long long ref, long long grantee, long long gfn,
                                int readonly) {
  grant_entry_v1_t *e = library_entry(dom, ref);
  if (!e || !reusable(__atomic_load_n(&e->flags, __ATOMIC_RELAXED))) return "einval";
  update_entry(e, (uint16_t)grantee, (uint32_t)gfn,
               GTF_permit_access | (readonly ? GTF_readonly : 0));
  return "ok";
}

/* gnttab_end_foreign_access_ref_v1: clear the flags unless Xen holds the grant. */
static const char *end_access(long long dom, long long ref) {
  grant_entry_v1_t *e = library_entry(dom, ref);
  if (!e) return "einval";
  uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
  for (;;) {
    if ((flags & GTF_type_mask) != GTF_permit_access) return "einval";
#ifdef BROKEN_END_ACCESS
    if (flags & GTF_reading) return "in_use";
#else
    if (in_use(flags)) return "in_use";
#endif
    if (__atomic_compare_exchange_n(&e->flags, &flags, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return "ended";
  }
}

static const char *grant_transfer(long long dom, long long ref, long long grantee,
                                  long long gfn) {
  grant_entry_v1_t *e = library_entry(dom, ref);
  if (!e || !reusable(__atomic_load_n(&e->flags, __ATOMIC_RELAXED))) return "einval";
  update_entry(e, (uint16_t)grantee, (uint32_t)gfn, GTF_accept_transfer);
  return "ok";
}

/* gnttab_end_foreign_transfer_ref_v1, without the spin: a committed transfer that Xen has not
 * completed yet is reported as pending. `frame` receives the completed transfer's frame. */
static const char *end_transfer(long long dom, long long ref, uint32_t *frame) {
  grant_entry_v1_t *e = library_entry(dom, ref);
  if (!e) return "einval";
  uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
  for (;;) {
    if ((flags & GTF_type_mask) != GTF_accept_transfer) return "einval";
    if (flags & GTF_transfer_committed) break;
    if (__atomic_compare_exchange_n(&e->flags, &flags, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return "cancelled";
  }
  if (!(flags & GTF_transfer_completed)) return "pending";
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  *frame = e->frame;
  return "completed";
}

/* A guest ignoring the protocol: plain stores, only a ref outside the table refused. */
static const char *raw_write(long long dom, long long ref, long long flags, long long domid,
                             long long frame) {
  if (dom < 0 || dom >= domains || ref < 0 || ref >= ENTRIES_PER_FRAME) return "einval";
  grant_entry_v1_t *e = &table[dom][ref];
  e->flags = (uint16_t)flags;
  e->domid = (uint16_t)domid;
  e->frame = (uint32_t)frame;
  return "ok";
}

/* The integer after "key": in line (0 if absent). */
static long long field(const char *line, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *at = strstr(line, pattern);
  return at ? strtoll(at + strlen(pattern), NULL, 10) : 0;
}

static int has(const char *line, const char *text) { return strstr(line, text) != NULL; }

static void print_entries(void) {
  printf("\"state\":{\"domains\":[");
  for (long long d = 0; d < domains; d++) {
    printf("%s{\"entries\":[", d ? "," : "");
    int first = 1;
    for (int r = 0; r < ENTRIES_PER_FRAME; r++) {
      grant_entry_v1_t *e = &table[d][r];
      if (!e->flags && !e->domid && !e->frame) continue;
      printf("%s[%d,{\"flags\":%u,\"domid\":%u,\"frame\":%u}]", first ? "" : ",", r, e->flags,
             e->domid, e->frame);
      first = 0;
    }
    printf("]}");
  }
  printf("]}");
}

int main(void) {
  printf("{\"type\":\"hello\",\"protocol\":1,\"name\":\"c-guest-subject%s\","
         "\"opKinds\":[\"grant_access\",\"end_access\",\"grant_transfer\",\"end_transfer\","
         "\"raw_write\"],\"observes\":[\"entries\"],\"snapshots\":false}\n",
#ifdef BROKEN_END_ACCESS
         " (broken end_access)"
#else
         ""
#endif
  );
  fflush(stdout);
  char *line = NULL;
  size_t size = 0;
  while (getline(&line, &size, stdin) > 0) {
    if (has(line, "\"type\":\"bye\"")) break;
    if (has(line, "\"type\":\"reset\"")) {
      domains = field(line, "domains");
      if (domains > MAX_DOMAINS) domains = MAX_DOMAINS;
      memset(table, 0, sizeof table);
      printf("{\"type\":\"ready\"}\n");
    } else if (has(line, "\"type\":\"state\"")) {
      printf("{\"type\":\"state\",");
      print_entries();
      printf("}\n");
    } else if (has(line, "\"type\":\"apply\"")) {
      long long dom = field(line, "dom"), ref = field(line, "ref");
      const char *outcome;
      char kind[32] = "";
      uint32_t frame = 0;
      const char *k = strstr(line, "\"kind\":\"");
      if (k) sscanf(k + 8, "%31[a-z_]", kind);
      if (!strcmp(kind, "grant_access"))
        outcome = grant_access(dom, ref, field(line, "grantee"), field(line, "gfn"),
                               has(line, "\"readonly\":true"));
      else if (!strcmp(kind, "end_access"))
        outcome = end_access(dom, ref);
      else if (!strcmp(kind, "grant_transfer"))
        outcome = grant_transfer(dom, ref, field(line, "grantee"), field(line, "gfn"));
      else if (!strcmp(kind, "end_transfer"))
        outcome = end_transfer(dom, ref, &frame);
      else if (!strcmp(kind, "raw_write"))
        outcome = raw_write(dom, ref, field(line, "flags"), field(line, "domid"),
                            field(line, "frame"));
      else {
        printf("{\"type\":\"error\",\"message\":\"op kind not implemented\"}\n");
        fflush(stdout);
        continue;
      }
      printf("{\"type\":\"result\",\"result\":{\"kind\":\"%s\",\"outcome\":\"%s\"", kind, outcome);
      if (!strcmp(outcome, "completed")) printf(",\"frame\":%u", frame);
      printf("}");
      if (has(line, "\"state\":true")) {
        printf(",");
        print_entries();
      }
      printf("}\n");
    } else {
      printf("{\"type\":\"error\",\"message\":\"request not understood\"}\n");
    }
    fflush(stdout);
  }
  free(line);
  return 0;
}
