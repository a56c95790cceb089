/**
 * lineinfile and blockinfile edits as pure functions over text (runner/text/*), case by case as
 * Ansible's lineinfile.py and blockinfile.py decide them: last match wins, insertafter/before
 * with EOF/BOF and with a regex that matches nothing, no trailing newline, CRLF, empty files,
 * backrefs, absent. Each edit applied twice must change nothing the second time.
 */
import test from 'ava';
import { editLineInFile, type LineInFileArgs } from '../../runner/text/lineinfile.js';
import { editBlockInFile, type BlockInFileArgs } from '../../runner/text/blockinfile.js';

/** The edit, and a check that applying it again is a no-op (idempotence). */
function line(t: { is(a: unknown, b: unknown, m?: string): void; false(v: boolean, m?: string): void }, content: string, args: LineInFileArgs): string {
  const once = editLineInFile(content, args);
  const twice = editLineInFile(once.content, args);
  if (args.state !== 'absent' || once.changed) t.false(twice.changed, `second run changed ${JSON.stringify(once.content)} -> ${JSON.stringify(twice.content)}`);
  return once.content;
}
function block(t: { false(v: boolean, m?: string): void }, content: string, args: BlockInFileArgs): string {
  const once = editBlockInFile(content, args);
  t.false(editBlockInFile(once.content, args).changed, `second run changed ${JSON.stringify(once.content)}`);
  return once.content;
}

test('lineinfile: a missing line is added at the end; a present one changes nothing', (t) => {
  t.is(line(t, 'a\nb\n', { line: 'c' }), 'a\nb\nc\n');
  const same = editLineInFile('a\nc\nb\n', { line: 'c' });
  t.false(same.changed);
  t.is(same.msg, '');
});

test('lineinfile: no trailing newline: one is added before the new line, none elsewhere', (t) => {
  t.is(line(t, 'a\nb', { line: 'c' }), 'a\nb\nc\n');
  // Replacing the last line keeps its (missing) ending.
  t.is(line(t, 'a\nport=1', { regexp: '^port=', line: 'port=2' }), 'a\nport=2');
});

test('lineinfile: empty file and empty text', (t) => {
  t.is(line(t, '', { line: 'x' }), 'x\n');
  t.is(line(t, '', { line: 'x', insertbefore: 'BOF' }), 'x\n');
  t.is(line(t, '', { regexp: '^x', line: 'x=1' }), 'x=1\n');
  const absent = editLineInFile('', { line: 'x', state: 'absent' });
  t.deepEqual(absent, { content: '', changed: false, msg: '', found: 0 });
});

test('lineinfile: regexp replaces the LAST matching line, as Ansible; firstmatch the first', (t) => {
  const text = 'port=1\nother\nport=2\n';
  t.is(line(t, text, { regexp: '^port=', line: 'port=9' }), 'port=1\nother\nport=9\n');
  t.is(editLineInFile(text, { regexp: '^port=', line: 'port=9', firstmatch: true }).content, 'port=9\nother\nport=2\n');
  t.is(editLineInFile(text, { regexp: '^port=', line: 'port=9' }).msg, 'line replaced');
});

test('lineinfile: regexp not matching: inserted at insertafter, or at the end', (t) => {
  const text = '[main]\na=1\n[other]\nb=2\n';
  t.is(line(t, text, { regexp: '^c=', line: 'c=3' }), text + 'c=3\n');
  t.is(line(t, text, { regexp: '^c=', line: 'c=3', insertafter: '^\\[main\\]' }), '[main]\nc=3\na=1\n[other]\nb=2\n');
  t.is(line(t, text, { regexp: '^c=', line: 'c=3', insertbefore: '^\\[other\\]' }), '[main]\na=1\nc=3\n[other]\nb=2\n');
  // insertafter matching nothing: the end, as Ansible.
  t.is(line(t, text, { regexp: '^c=', line: 'c=3', insertafter: '^\\[nowhere\\]' }), text + 'c=3\n');
  // insertafter matching several lines: after the last.
  t.is(line(t, 'x\n#\ny\n#\n', { line: 'z', insertafter: '^#' }), 'x\n#\ny\n#\nz\n');
  t.is(editLineInFile('x\n#\ny\n#\n', { line: 'z', insertafter: '^#', firstmatch: true }).content, 'x\n#\nz\ny\n#\n');
});

test('lineinfile: EOF and BOF', (t) => {
  t.is(line(t, 'a\nb\n', { line: 'first', insertbefore: 'BOF' }), 'first\na\nb\n');
  t.is(line(t, 'a\nb\n', { line: 'last', insertafter: 'EOF' }), 'a\nb\nlast\n');
  t.is(line(t, 'a\nb\n', { line: 'first', insertafter: 'BOF' }), 'first\na\nb\n');
});

test('lineinfile: a regexp match wins over insertafter (the line is replaced where it is)', (t) => {
  t.is(line(t, 'a\nkey=1\n[s]\n', { regexp: '^key=', line: 'key=2', insertafter: '^\\[s\\]' }), 'a\nkey=2\n[s]\n');
});

test('lineinfile: CRLF lines keep CRLF; new lines take the file\'s ending', (t) => {
  t.is(line(t, 'a\r\nb\r\n', { line: 'c' }), 'a\r\nb\r\nc\r\n');
  t.is(line(t, 'a\r\nport=1\r\n', { regexp: '^port=', line: 'port=2' }), 'a\r\nport=2\r\n');
  // An exact line present with CRLF is present (Ansible would rewrite it with \n).
  t.false(editLineInFile('a\r\nb\r\n', { line: 'a' }).changed);
  t.is(line(t, 'a\r\nb', { line: 'c' }), 'a\r\nb\r\nc\r\n');
});

test('lineinfile: backrefs expand groups; without a match nothing is done', (t) => {
  const text = 'ListenAddress 0.0.0.0:22\n';
  t.is(line(t, text, { regexp: '^ListenAddress (\\S+):(\\d+)$', line: 'ListenAddress \\1:2222', backrefs: true }), 'ListenAddress 0.0.0.0:2222\n');
  t.is(line(t, text, { regexp: '^(?P<k>ListenAddress) (\\S+)$', line: '\\g<k> 10.0.0.1:22', backrefs: true }), 'ListenAddress 10.0.0.1:22\n');
  const none = editLineInFile(text, { regexp: '^Port (\\d+)$', line: 'Port \\1', backrefs: true });
  t.false(none.changed);
  t.is(none.content, text);
  // Without backrefs, \\1 is literal text, as Ansible.
  t.is(editLineInFile('Port 22\n', { regexp: '^Port (\\d+)$', line: 'Port \\1' }).content, 'Port \\1\n');
});

test('lineinfile: state absent removes every matching line, by regexp, search_string or exact line', (t) => {
  const text = '#a\nb\n#c\nb\n';
  const r = editLineInFile(text, { regexp: '^#', state: 'absent' });
  t.deepEqual(r, { content: 'b\nb\n', changed: true, msg: '2 line(s) removed', found: 2 });
  t.is(editLineInFile(text, { line: 'b', state: 'absent' }).content, '#a\n#c\n');
  t.is(editLineInFile(text, { search_string: 'c', state: 'absent' }).content, '#a\nb\nb\n');
  // The last line without a newline goes; the one before keeps its ending.
  t.is(editLineInFile('a\nb', { line: 'b', state: 'absent' }).content, 'a\n');
  t.false(editLineInFile(text, { regexp: '^zzz', state: 'absent' }).changed);
});

test('lineinfile: search_string is literal, regex characters included', (t) => {
  t.is(line(t, 'opt.a = 1\nopta=2\n', { search_string: 'opt.a', line: 'opt.a = 3' }), 'opt.a = 3\nopta=2\n');
});

test('lineinfile: an invalid regexp is an error naming the argument', (t) => {
  t.throws(() => editLineInFile('a\n', { regexp: '(', line: 'x' }), { message: /^regexp: not a regular expression/ });
  t.throws(() => editLineInFile('a\n', { insertafter: '[', line: 'x' }), { message: /^insertafter:/ });
});

test('blockinfile: inserted at the end with markers; replaced in place; removed', (t) => {
  const added = block(t, 'a\nb\n', { block: 'x=1\ny=2' });
  t.is(added, 'a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\n');
  const changed = block(t, added + 'c\n', { block: 'x=3\n' });
  t.is(changed, 'a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx=3\n# END ANSIBLE MANAGED BLOCK\nc\n');
  t.is(editBlockInFile(changed, { block: 'x=3' }).changed, false);
  const removed = editBlockInFile(changed, { state: 'absent' });
  t.deepEqual(removed, { content: 'a\nb\nc\n', changed: true, msg: 'Block removed' });
  // An empty block removes too, as Ansible.
  t.is(editBlockInFile(changed, { block: '' }).content, 'a\nb\nc\n');
  t.false(editBlockInFile('a\n', { state: 'absent' }).changed);
});

test('blockinfile: custom marker with {mark}, marker_begin and marker_end', (t) => {
  const out = block(t, '', { block: 'k v', marker: '<!-- {mark} managed -->', marker_begin: 'START', marker_end: 'STOP' });
  t.is(out, '<!-- START managed -->\nk v\n<!-- STOP managed -->\n');
});

test('blockinfile: insertafter / insertbefore (last match), BOF, a regex matching nothing, no trailing newline', (t) => {
  const text = 'a\n#x\nb\n#x\nc';
  const m = (b: string) => `# BEGIN ANSIBLE MANAGED BLOCK\n${b}\n# END ANSIBLE MANAGED BLOCK\n`;
  t.is(block(t, text, { block: 'B', insertafter: '^#x' }), `a\n#x\nb\n#x\n${m('B')}c`);
  t.is(block(t, text, { block: 'B', insertbefore: '^#x' }), `a\n#x\nb\n${m('B')}#x\nc`);
  t.is(block(t, text, { block: 'B', insertbefore: 'BOF' }), `${m('B')}${text}`);
  t.is(block(t, text, { block: 'B', insertafter: '^nomatch' }), `${text}\n${m('B')}`);
  t.is(block(t, text, { block: 'B' }), `${text}\n${m('B')}`);
  // An existing block stays where it is, whatever insertafter says.
  const placed = `${m('old')}a\n`;
  t.is(block(t, placed, { block: 'new', insertafter: 'EOF' }), `${m('new')}a\n`);
});

test('blockinfile: CRLF file: markers found whatever the ending, new lines in CRLF', (t) => {
  const crlf = 'a\r\n# BEGIN ANSIBLE MANAGED BLOCK\r\nold\r\n# END ANSIBLE MANAGED BLOCK\r\nb\r\n';
  t.is(block(t, crlf, { block: 'new' }), 'a\r\n# BEGIN ANSIBLE MANAGED BLOCK\r\nnew\r\n# END ANSIBLE MANAGED BLOCK\r\nb\r\n');
  t.is(editBlockInFile(crlf, { state: 'absent' }).content, 'a\r\nb\r\n');
});

test('blockinfile: a block whose END marker ends the file without a newline is replaced, not doubled', (t) => {
  const text = 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK';
  const out = block(t, text, { block: 'new' });
  t.is(out, 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nnew\n# END ANSIBLE MANAGED BLOCK\n');
  t.is(out.split('BEGIN').length, 2);
});

test('blockinfile: markers in reverse order (END before BEGIN) are one block, as Ansible', (t) => {
  const text = '# END ANSIBLE MANAGED BLOCK\nx\n# BEGIN ANSIBLE MANAGED BLOCK\ny\n';
  t.is(editBlockInFile(text, { state: 'absent' }).content, 'y\n');
});
