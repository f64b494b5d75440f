// A tar stream read as it arrives: a chart archive (its Chart.yaml and
// values.yaml) and Helm's release archive (its one binary, written while the
// download and its gunzip are still under way).

/** One file (or directory, link…) of a tar stream, as its headers name it. */
export interface TarEntry {
  /** The ustar name with its prefix, or the GNU long name or pax path before it. */
  path: string;
  /** The header's type flag: '0' (or NUL) for a regular file. */
  type: string;
  size: number;
}

/** Bytes of an entry's data, in order; `done` on its last (an empty file has one empty piece). */
export interface TarPiece {
  entry: TarEntry;
  data: Buffer;
  done: boolean;
}

const BLOCK = 512;
/** A pax or GNU long-name header holds a name, not a file: larger is not a tar we read. */
const META_MAX = 1 << 20;

/** A regular file? */
export function isRegularFile(entry: TarEntry): boolean {
  return entry.type === '0' || entry.type === '\0';
}

/**
 * Reads ustar headers with their prefix, GNU long names ('L') and pax paths
 * ('x'), chunk by chunk; an entry's data is passed on as it arrives, never
 * gathered. Pure.
 */
export class TarReader {
  /** The two zero blocks that end an archive were read: the rest is padding. */
  ended = false;
  private header = Buffer.alloc(0);
  private entry: TarEntry | undefined;
  private left = 0;
  private skip = 0;
  private meta: Buffer[] | undefined;
  private longName: string | undefined;

  push(chunk: Buffer): TarPiece[] {
    const pieces: TarPiece[] = [];
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.entry) {
        const n = Math.min(this.left, chunk.length - at);
        this.take(chunk.subarray(at, at + n), pieces);
        at += n;
      } else {
        const n = Math.min(BLOCK - this.header.length, chunk.length - at);
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + n)]);
        at += n;
        if (this.header.length === BLOCK) this.readHeader(pieces);
      }
    }
    return pieces;
  }

  /** Is the stream cut inside a header or an entry's data? */
  get cut(): boolean {
    return !this.ended && (this.entry !== undefined || this.header.length > 0);
  }

  private readHeader(pieces: TarPiece[]): void {
    const header = this.header;
    this.header = Buffer.alloc(0);
    if (header.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    // Base-256 sizes (the high bit set) are for files of 8 GiB and more.
    if ((header[124] ?? 0) & 0x80) throw new Error('a tar entry of 8 GiB or more');
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error('a tar header with no valid size');
    const type = String.fromCharCode(header[156] ?? 0);
    this.left = size;
    if (type === 'L' || type === 'x' || type === 'g') {
      if (size > META_MAX) throw new Error(`a tar '${type}' header of ${size} bytes`);
      this.meta = [];
      this.entry = { path: '', type, size };
    } else {
      const prefix = field(header, 345, 155);
      const path = this.longName ?? (prefix ? `${prefix}/` : '') + field(header, 0, 100);
      this.longName = undefined;
      this.entry = { path, type, size };
    }
    if (size === 0) this.take(Buffer.alloc(0), pieces);
  }

  private take(data: Buffer, pieces: TarPiece[]): void {
    const entry = this.entry as TarEntry;
    this.left -= data.length;
    const done = this.left === 0;
    if (this.meta) this.meta.push(data);
    else pieces.push({ entry, data, done });
    if (!done) return;
    if (this.meta) this.applyMeta(entry.type, Buffer.concat(this.meta).toString('utf8'));
    this.meta = undefined;
    this.entry = undefined;
    this.skip = (BLOCK - (entry.size % BLOCK)) % BLOCK;
  }

  private applyMeta(type: string, text: string): void {
    if (type === 'L') this.longName = text.replace(/\0.*$/s, '');
    else if (type === 'x')
      this.longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? this.longName;
  }
}

/** A NUL-terminated text field of a tar header. */
function field(header: Buffer, offset: number, length: number): string {
  return header
    .subarray(offset, offset + length)
    .toString('utf8')
    .replace(/\0.*$/s, '');
}
