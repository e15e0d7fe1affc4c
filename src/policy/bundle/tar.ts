/**
 * A small reader for the tar archives inside OPA bundles (ustar, GNU and pax variants), so that
 * regate needs no tar dependency. It returns every entry with its type; deciding which entries
 * matter (OPA keeps regular files only) is the caller's business.
 */
import { RegateError } from '../../errors.ts';

const BLOCK = 512;

export interface TarEntry {
  readonly name: string;
  /** 'file' for regular files (typeflag '0' or NUL), 'directory', or 'other' (links, devices, ...). */
  readonly type: 'file' | 'directory' | 'other';
  readonly data: Buffer;
}

function broken(detail: string): RegateError {
  return new RegateError('REGATE_ERR_BUNDLE_ARCHIVE', detail);
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Numeric header fields are octal text, or big-endian base-256 when the top bit is set (GNU). */
function number(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw broken(`${what} field out of range`);
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw broken(`${what} field is not octal: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** The header checksum treats its own field as spaces; a mismatch means a corrupt archive. */
function checksumMatches(block: Buffer): boolean {
  const stored = number(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}

/** Parses pax extended-header records ("<len> <key>=<value>\n"). */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw broken('malformed pax header');
    const length = Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0 || pos + length > data.length) throw broken('malformed pax header');
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw broken('malformed pax header');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/** Reads every entry of an uncompressed tar archive; throws REGATE_ERR_BUNDLE_ARCHIVE when it is corrupt. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let globalPaxPath: string | undefined;

  while (pos + BLOCK <= archive.length) {
    const header = archive.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) return entries; // end-of-archive marker
    if (!checksumMatches(header)) throw broken(`header checksum mismatch at offset ${pos}`);

    const size = number(header, 124, 12, 'size');
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const dataStart = pos + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.length) throw broken(`entry at offset ${pos} is truncated`);
    const data = archive.subarray(dataStart, dataEnd);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (typeflag === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (typeflag === 'x' || typeflag === 'g') {
      const path = paxRecords(data).get('path');
      if (typeflag === 'x') paxPath = path;
      else globalPaxPath = path;
      continue;
    }
    if (typeflag === 'K') continue; // GNU long link name: links are skipped anyway

    const magic = cString(header, 257, 6);
    const prefix = magic === 'ustar' ? cString(header, 345, 155) : '';
    const plainName = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);
    const name = paxPath ?? longName ?? globalPaxPath ?? plainName;
    longName = undefined;
    paxPath = undefined;

    // As Go's archive/tar: the old NUL type flag is a regular file unless the name ends in '/'.
    const type =
      typeflag === '0' || (typeflag === '\0' && !name.endsWith('/'))
        ? 'file'
        : typeflag === '5' || typeflag === '\0'
          ? 'directory'
          : 'other';
    entries.push({ name, type, data: Buffer.from(data) });
  }
  if (pos !== archive.length) throw broken('archive ends in the middle of a block');
  // Archives without the two zero blocks at the end (and empty ones) are accepted, as by Go's reader.
  return entries;
}
