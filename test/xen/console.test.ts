// Reading Xen's console for reports (src/subject/xen/xenSubject.ts): the last line that says
// something, and the lines after which QEMU is stopped at once.
import { expect, it } from 'vitest';
import { lastConsoleLine, XEN_FATAL } from '../../src/subject/xen/xenSubject.ts';

it('takes the last line that says something, as one printable line', () => {
  const log = [
    '(XEN) Xen version 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)',
    "(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.\r",
    '(XEN) ****************************************',
    '(XEN) ',
    '\x1b[0m',
    '',
  ].join('\n');
  expect(lastConsoleLine(log)).toBe("(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.");
  expect(lastConsoleLine('agent: \x07ready\r\n\r\n')).toBe('agent: ready');
  expect(lastConsoleLine(`${'x'.repeat(500)}\n`)).toHaveLength(200);
  expect(lastConsoleLine('')).toBeUndefined();
  expect(lastConsoleLine('(XEN) \n**\n')).toBeUndefined();
});

it("stops QEMU on dom0's end and Xen's panic, not on a boot's ordinary lines", () => {
  for (const line of [
    "(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.",
    '(XEN) Hardware Dom0 halted: halting machine',
    '(XEN) Hardware Dom0 shutdown: rebooting machine',
    '(XEN) Panic on CPU 0:',
  ]) {
    expect(XEN_FATAL.test(line), line).toBe(true);
  }
  for (const line of [
    '(XEN) *** Building a PV Dom0 ***',
    '(XEN) Initial low memory virq threshold set at 0x4000 pages.',
    '(XEN) Freed 644kB init memory',
    'about to get started...',
  ]) {
    expect(XEN_FATAL.test(line), line).toBe(false);
  }
});
