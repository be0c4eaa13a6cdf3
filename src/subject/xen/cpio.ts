// A writer of "newc" cpio archives (the SVR4 format without checksums, magic 070701), the format
// Linux unpacks an initramfs from (the kernel's Documentation/driver-api/early-userspace/
// buffer-format.rst). Each member: a 110-byte ASCII header of the magic and 13 eight-digit hex
// fields, the NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes; the archive
// ends with a member named TRAILER!!!.

/** One member: a directory or a regular file, named without a leading slash ("init",
 * "modules/virtio.ko"). Parents must come before their children. */
export type CpioEntry =
  | { readonly kind: 'dir'; readonly name: string; readonly mode?: number }
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly data: Uint8Array;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const MAGIC = '070701';
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`cpio: ${n} does not fit a header field`);
  }
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Header {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
  readonly name: string;
}

/** The header, the name and the padding after it. */
function headerBytes(h: Header): Buffer {
  const name = Buffer.from(`${h.name}\0`, 'utf8');
  const fields = [
    h.ino, // c_ino
    h.mode, // c_mode: file type and permissions
    0, // c_uid: root
    0, // c_gid
    h.nlink, // c_nlink
    0, // c_mtime: 1970, so that the same inputs give the same bytes
    h.size, // c_filesize
    0, // c_devmajor
    0, // c_devminor
    0, // c_rdevmajor
    0, // c_rdevminor
    name.length, // c_namesize, the NUL included
    0, // c_check: 0 in newc
  ];
  const head = Buffer.from(MAGIC + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([head, name, Buffer.alloc(pad4(head.length + name.length))]);
}

/** The archive of `entries`, in their order. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    if (e.name === '' || e.name.startsWith('/') || e.name === TRAILER) {
      throw new RangeError(`cpio: bad member name ${JSON.stringify(e.name)}`);
    }
    if (e.kind === 'dir') {
      const mode = S_IFDIR | (e.mode ?? 0o755);
      parts.push(headerBytes({ ino: ino++, mode, nlink: 2, size: 0, name: e.name }));
    } else {
      const mode = S_IFREG | (e.mode ?? 0o644);
      const data = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      parts.push(headerBytes({ ino: ino++, mode, nlink: 1, size: data.length, name: e.name }));
      parts.push(data, Buffer.alloc(pad4(data.length)));
    }
  }
  parts.push(headerBytes({ ino: 0, mode: 0, nlink: 1, size: 0, name: TRAILER }));
  return Buffer.concat(parts);
}
