// The tar reader behind the chart's files and helm's binary, fed as a download arrives.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { isRegularFile, type TarPiece, TarReader } from '../../src/helm/tar.js';

const LONG = `linux-amd64/${'a-long-directory-name/'.repeat(6)}helm`;

/** A tar (as GNU tar writes it in `format`) of a binary under a long name, an empty file and a directory. */
async function archive(format: string): Promise<{ tar: Buffer; binary: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'tar-'));
  const binary = randomBytes(70_001);
  await mkdir(join(dir, LONG, '..'), { recursive: true });
  await writeFile(join(dir, LONG), binary);
  await writeFile(join(dir, 'linux-amd64', 'EMPTY'), '');
  const file = join(dir, 'out.tgz');
  execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', dir, 'linux-amd64']);
  return { tar: gunzipSync(await readFile(file)), binary };
}

/** Every piece the reader gives for `tar` pushed in chunks of `size` bytes. */
function read(tar: Buffer, size: number): { pieces: TarPiece[]; reader: TarReader } {
  const reader = new TarReader();
  const pieces: TarPiece[] = [];
  for (let at = 0; at < tar.length; at += size)
    pieces.push(...reader.push(tar.subarray(at, at + size)));
  return { pieces, reader };
}

describe('TarReader', () => {
  for (const format of ['ustar', 'pax', 'gnu'])
    it(`gives each file's bytes whole, however the stream is cut into chunks (${format})`, async () => {
      const { tar, binary } = await archive(format);
      for (const size of [1, 511, 512, 513, 65_536, tar.length]) {
        const { pieces, reader } = read(tar, size);
        const ofBinary = pieces.filter((p) => p.entry.path === LONG);
        assert.ok(isRegularFile(ofBinary[0]!.entry), `chunks of ${size}`);
        assert.deepEqual(Buffer.concat(ofBinary.map((p) => p.data)), binary, `chunks of ${size}`);
        assert.deepEqual(
          ofBinary.map((p) => p.done),
          ofBinary.map((_, i) => i === ofBinary.length - 1),
          'done on the last piece only',
        );
        const empty = pieces.filter((p) => p.entry.path === 'linux-amd64/EMPTY');
        assert.deepEqual(
          empty.map((p) => [p.data.length, p.done]),
          [[0, true]],
          'an empty file is one empty piece',
        );
        assert.ok(reader.ended && !reader.cut, `chunks of ${size}`);
      }
    });

  it('says a stream cut inside a file is cut', async () => {
    const { tar } = await archive('pax');
    const { reader } = read(tar.subarray(0, 40_000), 4096);
    assert.ok(reader.cut && !reader.ended);
  });

  it('refuses a name header larger than a name can be', () => {
    const header = Buffer.alloc(512);
    header.write('././@LongLink', 0);
    header.write(`${(2 << 20).toString(8).padStart(11, '0')}\0`, 124);
    header.write('L', 156);
    assert.throws(() => new TarReader().push(header), /a tar 'L' header of 2097152 bytes/);
  });
});
