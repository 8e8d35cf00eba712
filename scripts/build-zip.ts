/**
 * A reproducible ZIP writer for Lambda deployment packages: the same entries give the same bytes.
 * Entries are sorted by name, every timestamp is fixed (1980-01-01 00:00, the earliest DOS time), file
 * modes are fixed (0644), and no extra fields (which would carry real mtimes or uid/gid) are written.
 * Data is deflated with node:zlib at level 9, so the bytes are identical for the same zlib (Node major).
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Forward-slash path inside the archive, no leading slash, no `..`. */
  readonly name: string;
  readonly data: Buffer | string;
}

/** DOS date for 1980-01-01 (year 0 = 1980, month 1, day 1) and time 00:00:00. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** "made by" 3 = UNIX (so external attributes carry the file mode), spec version 2.0. */
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_NEEDED = 20;
/** Bit 11: names are UTF-8. */
const FLAGS = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
/** Regular file, rw-r--r--, in the high 16 bits as UNIX zip tools expect. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;
const MAX_UINT32 = 0xffffffff;

/** Rejects names a Lambda extractor or `unzip` would treat as unsafe or ambiguous. */
function checkEntryName(name: string): void {
  if (
    name.length === 0 ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').some((part) => part === '..' || part === '.' || part === '') ||
    Buffer.byteLength(name) > 0xffff
  ) {
    throw new Error(`zip entry name is not a safe relative path: ${JSON.stringify(name)}`);
  }
}

/**
 * Builds a ZIP archive in memory.
 *
 * @example
 * const zip = createZip([{ name: 'index.js', data: 'export const handler = async () => 1;' }]);
 */
export function createZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();
  const localParts: Buffer[] = [];
  const centralParts: Buffer[] = [];
  let offset = 0;

  for (const entry of sorted) {
    checkEntryName(entry.name);
    if (seen.has(entry.name)) throw new Error(`duplicate zip entry: ${entry.name}`);
    seen.add(entry.name);

    const name = Buffer.from(entry.name, 'utf8');
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    const deflated = deflateRawSync(raw, { level: 9 });
    // Tiny or incompressible files are stored: deflate would make them larger.
    const method = deflated.length < raw.length ? METHOD_DEFLATE : METHOD_STORE;
    const body = method === METHOD_DEFLATE ? deflated : raw;
    const crc = crc32(raw);
    if (raw.length > MAX_UINT32 || body.length > MAX_UINT32 || offset > MAX_UINT32) {
      throw new Error(`zip entry too large for a non-ZIP64 archive: ${entry.name}`);
    }

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAGS, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
    central.writeUInt32LE(offset, 42);

    localParts.push(local, name, body);
    centralParts.push(central, name);
    offset += local.length + name.length + body.length;
  }

  const centralDirectory = Buffer.concat(centralParts);
  if (sorted.length > 0xffff || offset > MAX_UINT32) throw new Error('zip too large for a non-ZIP64 archive');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...localParts, centralDirectory, end]);
}
