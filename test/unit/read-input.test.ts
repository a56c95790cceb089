/**
 * runner/load/read-input.ts in-process: what the corpus (invalid-input-cli.test.ts) cannot show
 * from outside, such as a /proc file whose size says 0 being read whole, and exact positions.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError, readInputText } from '../../runner/load/read-input.js';

function withFile(bytes: Buffer | string, check: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-read-input-'));
  try {
    const file = join(dir, 'f.yaml');
    writeFileSync(file, bytes);
    check(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refusal(file: string, maxBytes?: number): InputFileError {
  const err = (() => {
    try {
      readInputText(file, maxBytes);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(err instanceof InputFileError)) throw new Error(`expected an InputFileError, got ${String(err)}`);
  return err;
}

test('a /proc file (size 0 in stat) is read whole, not cut at its stated size', (t) => {
  const text = readInputText('/proc/self/status');
  t.regex(text, /^Name:/);
  t.regex(text, /\nPid:\s+\d+/);
});

test('a UTF-8 byte-order mark is dropped', (t) => {
  withFile(Buffer.from('\ufeffa: 1\n', 'utf8'), (file) => t.is(readInputText(file), 'a: 1\n'));
});

test('invalid UTF-8 is located by line and character column, its bytes not quoted', (t) => {
  withFile(Buffer.from('a: 1\nmotd: "caf\xe9"\n', 'latin1'), (file) => {
    const err = refusal(file);
    t.deepEqual(err.problems[0]!.location, { file, line: 2, col: 11 });
    t.false(err.message.includes('caf'));
  });
  // A valid multi-byte character before the bad byte counts as one column.
  withFile(Buffer.concat([Buffer.from('é: "', 'utf8'), Buffer.from([0xff]), Buffer.from('"\n')]), (file) => {
    t.deepEqual(refusal(file).problems[0]!.location, { file, line: 1, col: 5 });
  });
});

test('a NUL byte and UTF-16 are refused with their position', (t) => {
  withFile(Buffer.from('a: 1\nb: "x\0"\n', 'latin1'), (file) => t.deepEqual(refusal(file).problems[0]!.location, { file, line: 2, col: 6 }));
  withFile(Buffer.from('\ufeffa: 1\n', 'utf16le'), (file) => t.regex(refusal(file).reason, /UTF-16/));
});

test('size limit, devices and directories', (t) => {
  withFile('x'.repeat(101), (file) => {
    const err = refusal(file, 100);
    t.true(err.wholeFile);
    t.regex(err.reason, /101 bytes, over the limit of 100/);
    t.is(readInputText(file, 101).length, 101);
  });
  t.regex(refusal('/dev/zero').reason, /not a regular file/);
  t.regex(refusal('/tmp').reason, /is a directory/);
  t.regex(refusal('/no/such/file').reason, /no such file/);
});
