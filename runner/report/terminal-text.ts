/**
 * Text from hosts (messages, etcd's errors, a task name rendered from facts) is data: printed
 * raw, an escape sequence in it would move the cursor, rewrite the screen, set the window
 * title or worse. What the text reporters print from it goes through here first.
 */

/** C0 controls but tab and newline, DEL, and the C1 controls (U+0080..U+009F, CSI among them). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Control characters made visible and inert: ESC becomes the four characters `\x1b`. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line for the terminal: line breaks become ` / `, controls escaped, at most `max` characters. */
export function oneTerminalLine(text: string, max = Infinity): string {
  const line = escapeControl(text.replace(/\s*\r?\n\s*/g, ' / ').trim());
  return line.length > max ? `${line.slice(0, Math.max(0, max - 3))}...` : line;
}
