/**
 * The small error tree, grouped by phase. Exceptions mean "cannot continue"; a task that fails
 * is a TaskResult value, not an exception. Every error keeps its origin in `cause`.
 */

/** Where in a source file something is, 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.col}` : '<unknown>';
}

export class RunnerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
RunnerError.prototype.name = 'RunnerError';

/** One problem found in an input file. */
export interface ConfigProblem {
  location?: SourceLocation;
  /** JSON pointer into the document, e.g. /0/tasks/3/file/mode */
  pointer: string;
  message: string;
}

/** Bad input (YAML, schema, module arguments, undefined variables found before the run). */
export class ConfigError extends RunnerError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options?: { cause?: unknown }) {
    super('E_CONFIG', problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}
ConfigError.prototype.name = 'ConfigError';

export function formatProblem(p: ConfigProblem): string {
  return `${formatLocation(p.location)}  ${p.pointer || '/'}  ${p.message}`;
}

/** A template or expression that cannot be rendered/evaluated (undefined variable, bad syntax). */
export class TemplateError extends RunnerError {
  readonly location?: SourceLocation;
  constructor(message: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super('E_TEMPLATE', location ? `${formatLocation(location)}  ${message}` : message, options);
    this.location = location;
  }
}
TemplateError.prototype.name = 'TemplateError';

/** The host cannot be reached, or the connection dropped. */
export class UnreachableError extends RunnerError {
  readonly host: string;
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super('E_UNREACHABLE', `${host}: ${message}`, options);
    this.host = host;
  }
}
UnreachableError.prototype.name = 'UnreachableError';

/** A command that had to succeed did not. */
export class CommandError extends RunnerError {
  readonly exitCode: number;
  readonly stderr: string;
  readonly command: string;
  constructor(command: string, exitCode: number, stderr: string, options?: { cause?: unknown }) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super('E_COMMAND', `command failed (exit ${exitCode}): ${command}${tail ? `\n${tail}` : ''}`, options);
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.command = command;
  }
}
CommandError.prototype.name = 'CommandError';

/**
 * A put whose `unchanged` precondition did not hold (connection/preconditions.ts): the host is no
 * longer in the state the write was planned from, and nothing was written. Its task reads again.
 */
export class StaleStateError extends RunnerError {
  constructor(what: string) {
    super('E_STALE', `${what}: the host changed since it was read; nothing was written`);
  }
}
StaleStateError.prototype.name = 'StaleStateError';

/** A module met a state it cannot handle (unit does not exist, kubeadm missing, ...). */
export class ModuleError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_MODULE', message, options);
  }
}
ModuleError.prototype.name = 'ModuleError';
