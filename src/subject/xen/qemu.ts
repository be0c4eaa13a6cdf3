// The QEMU command line that boots real Xen with dom0 and the agent (docs/real-xen.md): Xen as
// the multiboot kernel, dom0's kernel and initramfs as its modules, the agent's channel a
// virtio-serial port named "grantcheck" on QEMU's stdin/stdout, Xen's console (com1) in a file.

import type { BootFiles } from './initramfs.ts';
import type { XenHost } from './setup.ts';

/** Xen's command line. SMAP off (with -smap on QEMU's CPU too): with SMAP, Xen 4.17 faults in
 * create_bounce_frame on dom0's first exception and dom0 dies at once. dom0 may grow 8 MiB past
 * its 512 MiB (max:520M): the agent takes pages with XENMEM_increase_reservation. bootscrub=0:
 * by default (opt_bootscrub = BOOTSCRUB_IDLE, xen/common/page_alloc.c) Xen zeroes the free
 * gigabyte in its idle loop after boot, which under TCG kept QEMU's vCPU busy for ~3 s after the
 * agent's hello, slowing the first runs' round trips to a third; QEMU's RAM starts zeroed. */
export const XEN_CMDLINE =
  'console=com1 com1=115200,8n1 dom0_mem=512M,max:520M dom0_max_vcpus=1 noreboot smap=0 smep=0 bootscrub=0';

/** dom0's kernel command line: its console is Xen's (hvc0), so its messages land in Xen's log.
 * norandmaps: the agent reserves 6 MiB of fixed windows at 1 GiB, and x86-64's
 * arch_randomize_brk starts the heap anywhere up to 1 GiB past a static binary's bss, so now and
 * then (a CI boot in b7899bf) the heap sat on a window; unrandomised, it starts at the bss. */
export const DOM0_CMDLINE = 'console=hvc0 quiet norandmaps';

export interface QemuFiles {
  /** Where Xen's serial console is written. */
  readonly consoleLog: string;
  /** Where QEMU writes its pid. */
  readonly pidFile: string;
}

/** A path QEMU reads from an option list: a comma (the list separator) or a space (which
 * separates a multiboot module from its arguments) would change what it means. */
function optionPath(path: string, what: string): string {
  if (/[,\s]/.test(path)) {
    throw new RangeError(`${what} ${JSON.stringify(path)}: a comma or space in the path`);
  }
  return path;
}

/** QEMU's argv, program first. `dom0Args` go after DOM0_CMDLINE (tests use them). */
export function qemuArgv(
  host: XenHost,
  boot: BootFiles,
  files: QemuFiles,
  dom0Args = '',
): string[] {
  const dom0 = `${optionPath(boot.vmlinuz, "dom0's kernel")} ${DOM0_CMDLINE}${dom0Args === '' ? '' : ` ${dom0Args}`}`;
  if (dom0.includes(',')) throw new RangeError(`dom0's command line: a comma in ${dom0Args}`);
  return [
    host.qemu,
    ...['-machine', 'q35', '-cpu', 'max,-smap', '-m', '1536', '-smp', '1'],
    ...['-display', 'none', '-monitor', 'none', '-no-reboot'],
    ...['-serial', `file:${optionPath(files.consoleLog, "Xen's console log")}`],
    ...['-pidfile', files.pidFile],
    // The guest ends QEMU by writing to port 0xf4: exit status (byte << 1) | 1.
    ...['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
    ...['-device', 'virtio-serial-pci,id=vs'],
    // signal=off: a ^C byte on the channel is data, not a signal to QEMU.
    ...['-chardev', 'stdio,id=gc,signal=off'],
    ...['-device', 'virtserialport,bus=vs.0,chardev=gc,name=grantcheck'],
    ...['-kernel', optionPath(boot.xen, "Xen's image")],
    ...['-append', XEN_CMDLINE],
    ...['-initrd', `${dom0},${optionPath(boot.initramfs, "dom0's initramfs")}`],
  ];
}

/** One word for `sh`: as it is when it is plainly safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs `argv` in `sh`. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** QEMU's command line for the wire subject: under `setpriv --pdeathsig KILL`, so that QEMU is
 * killed when the thread that started it ends, whatever ends it (a signal's default action, a
 * crash, SIGKILL): no QEMU outlives grantcheck. */
export function qemuCommand(setpriv: string, argv: readonly string[]): string {
  return shellCommand([setpriv, '--pdeathsig', 'KILL', ...argv]);
}
