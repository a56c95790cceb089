/**
 * Several commands at once on one host, in one round trip. A connection runs its commands one
 * after another on one shell; commands that each spend their time waiting (etcdctl dialling
 * three members, each a Go process with a TLS handshake) are better started together. Each
 * runs in the background with its output in a private temporary directory, then the outputs
 * are printed between random markers and cut apart here, bytes exact.
 */
import { randomBytes } from 'node:crypto';
import type { Connection, ExecResult } from './types.js';
import { buildScript } from './quote.js';

/** Run every argv concurrently on `conn`; results in the same order, as separate ExecResults. */
export async function execConcurrently(conn: Connection, commands: readonly (readonly string[])[], options: { sudo?: boolean; env?: Record<string, string> } = {}): Promise<ExecResult[]> {
  if (commands.length === 0) return [];
  const marker = `_QC${randomBytes(16).toString('hex')}_`;
  const r = await conn.exec(buildConcurrentScript(commands, marker, options.env), { sudo: options.sudo });
  if (r.exitCode !== 0) {
    // The wrapper itself failed (no mktemp, no space): every command failed the same way.
    return commands.map(() => ({ ...r }));
  }
  return parseConcurrentOutput(r.stdout, marker, commands.length, r.durationMs);
}

/**
 * The script: start all, wait for each, then print every output with ONE `cat` (a process costs
 * the host 1-2 ms): each output file starts with its own marker line, written by the shell before
 * the command runs, so the concatenation is `MARKER i out`, stdout, `MARKER i err`, stderr, ...;
 * the exit codes follow on the `MARKER end` line. The files go to the persistent shell's private
 * FIFO directory when there is one (frame.ts sessionSetup: `$q_d`, removed with the shell), and
 * are emptied after printing; elsewhere to a directory of their own (mktemp), removed on exit.
 */
export function buildConcurrentScript(commands: readonly (readonly string[])[], marker: string, env?: Record<string, string>): string {
  const lines = [
    `if [ -n "\${q_d-}" ] && [ -d "$q_d" ]; then d=$q_d/${marker} q_own=; else q_cd=$(mktemp -d) || exit 70; trap 'rm -rf "$q_cd"' EXIT; d=$q_cd/c q_own=1; fi`,
  ];
  commands.forEach((argv, i) => {
    lines.push(`printf '\\n${marker} ${i} out\\n' >"$d.${i}.out" && printf '\\n${marker} ${i} err\\n' >"$d.${i}.err" || exit 70`);
    lines.push(`( ${buildScript(argv, env ? { env } : {})} ) >>"$d.${i}.out" 2>>"$d.${i}.err" </dev/null & p${i}=$!`);
  });
  commands.forEach((_, i) => lines.push(`wait "$p${i}"; e${i}=$?`));
  const files = commands.map((_, i) => `"$d.${i}.out" "$d.${i}.err"`).join(' ');
  lines.push(`cat ${files} || exit 71`);
  lines.push(`printf '\\n${marker} end${commands.map((_, i) => ` %d`).join('')}\\n' ${commands.map((_, i) => `"$e${i}"`).join(' ')}`);
  lines.push(`[ -n "$q_own" ] || for f in ${files}; do : >"$f"; done`);
  return lines.join('\n');
}

/** Cut the script's output apart (pure; exported for tests). */
export function parseConcurrentOutput(stdout: Buffer, marker: string, count: number, durationMs: number): ExecResult[] {
  // Every marker line is preceded by a "\n" the script added: it belongs to the marker.
  const cut = Buffer.from(`\n${marker} `, 'latin1');
  const parts: Buffer[] = [];
  let from = stdout.indexOf(cut);
  if (from < 0) throw new Error('concurrent commands: no output markers (the script did not run as written)');
  while (from >= 0) {
    const next = stdout.indexOf(cut, from + cut.length);
    parts.push(stdout.subarray(from + cut.length, next < 0 ? stdout.length : next));
    from = next;
  }
  const outputs: { stdout: Buffer; stderr: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const out = splitHeader(parts[2 * i], `${i} out`);
    const err = splitHeader(parts[2 * i + 1], `${i} err`);
    outputs.push({ stdout: out.body, stderr: err.body });
  }
  const end = splitHeader(parts[2 * count], 'end');
  const codes = end.rest.split(' ').slice(1);
  if (end.rest !== codes.map((c) => ` ${c}`).join('') || codes.length !== count || !codes.every((c) => /^\d{1,3}$/.test(c))) {
    throw new Error('concurrent commands: output ends unexpectedly');
  }
  return outputs.map((o, i) => ({ exitCode: Number(codes[i]), ...o, durationMs }));
}

/** `HEADER REST\nBODY` -> rest and body; throws when the part is missing or its header differs. */
function splitHeader(part: Buffer | undefined, header: string): { rest: string; body: Buffer } {
  const nl = part?.indexOf(0x0a) ?? -1;
  const line = part && nl >= 0 ? part.subarray(0, nl).toString('latin1') : undefined;
  if (!part || line === undefined || !line.startsWith(header)) throw new Error(`concurrent commands: expected "${header.trim()}" in the output`);
  return { rest: line.slice(header.length), body: part.subarray(nl + 1) };
}
