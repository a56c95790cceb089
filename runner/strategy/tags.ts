/**
 * Tag selection, as Ansible does it: with --tags, a task runs when it carries one of them
 * (or `always`); `never` tasks run only when asked for by name; --skip-tags wins over both.
 */
export function selectedByTags(options: { tags?: string[]; skipTags?: string[] }, taskTags: string[]): boolean {
  const tags = new Set(taskTags);
  const skip = options.skipTags ?? [];
  if (skip.some((t) => tags.has(t) || (t === 'tagged' && tags.size > 0) || (t === 'untagged' && tags.size === 0))) return false;
  const wanted = options.tags;
  if (!wanted || wanted.length === 0 || wanted.includes('all')) return !tags.has('never');
  if (tags.has('always')) return true;
  if (wanted.includes('tagged') && tags.size > 0 && !tags.has('never')) return true;
  if (wanted.includes('untagged') && tags.size === 0) return true;
  return wanted.some((t) => tags.has(t));
}
