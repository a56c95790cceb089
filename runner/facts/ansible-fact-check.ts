/**
 * What the static check (runner/load/static-check.ts) says about an `ansible_*` name no variable
 * defines: quorum lets such names through (connection variables such as `ansible_host` may be
 * set per host; interface facts such as `ansible_eth0` depend on the host), except the two it
 * can tell are wrong before any host is touched: one of Ansible's facts that quorum does not
 * gather (`ansible_lsb`, `ansible_env`...), and a misspelt fact name (`ansible_hostnme`).
 */
import { didYouMean } from '../util/suggest.js';
import { ANSIBLE_FACT_NAMES } from './ansible-facts.js';

/** Ansible's behavioural and connection variables: set in inventories, never facts. */
const CONNECTION_VARS = new Set([
  'ansible_host', 'ansible_port', 'ansible_user', 'ansible_password', 'ansible_connection', 'ansible_become', 'ansible_become_user',
  'ansible_become_method', 'ansible_become_password', 'ansible_become_pass', 'ansible_become_exe', 'ansible_become_flags',
  'ansible_ssh_host', 'ansible_ssh_port', 'ansible_ssh_user', 'ansible_ssh_pass', 'ansible_ssh_private_key_file', 'ansible_private_key_file',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_sftp_extra_args', 'ansible_scp_extra_args', 'ansible_ssh_pipelining',
  'ansible_ssh_executable', 'ansible_shell_type', 'ansible_shell_executable', 'ansible_python_interpreter', 'ansible_timeout',
  'ansible_facts', 'ansible_version', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_limit', 'ansible_loop', 'ansible_loop_var',
  'ansible_index_var', 'ansible_parent_role_names', 'ansible_role_names', 'ansible_play_name', 'ansible_play_role_names',
  'ansible_inventory_sources', 'ansible_config_file', 'ansible_diff_mode', 'ansible_forks', 'ansible_verbosity', 'ansible_search_path',
  'ansible_dependent_role_names', 'ansible_collection_name', 'ansible_playbook_python',
]);

/** Ansible facts that playbooks use and quorum does not gather. */
const NOT_GATHERED = new Set([
  'lsb', 'env', 'user_id', 'user_uid', 'user_gid', 'user_dir', 'user_shell', 'effective_user_id', 'real_user_id', 'kernel_version',
  'processor', 'processor_cores', 'processor_count', 'processor_threads_per_core', 'processor_nproc', 'mounts', 'devices', 'pkg_mgr',
  'python', 'python_version', 'selinux', 'apparmor', 'virtualization_type', 'virtualization_role', 'swaptotal_mb', 'swapfree_mb',
  'memfree_mb', 'memory_mb', 'uptime_seconds', 'dns', 'local', 'cmdline', 'proc_cmdline', 'system_vendor', 'product_name',
  'product_serial', 'product_uuid', 'bios_version', 'bios_date', 'machine_id', 'fips', 'is_chroot', 'lvm', 'userspace_bits',
  'userspace_architecture', 'distribution_file_path', 'distribution_file_variety', 'os_release', 'system_capabilities', 'hostnqn', 'iscsi_iqn',
]);

const GATHERED = ANSIBLE_FACT_NAMES.map((n) => `ansible_${n}`);

/** Why the undefined `ansible_*` variable `name` cannot work, or undefined to let it through. */
export function unknownAnsibleFactProblem(name: string): string | undefined {
  if (!name.startsWith('ansible_') || CONNECTION_VARS.has(name) || GATHERED.includes(name)) return undefined;
  const list = `quorum gathers ${GATHERED.join(', ')} (and ansible_<interface> for each interface), also as ansible_facts.<name>`;
  if (NOT_GATHERED.has(name.slice('ansible_'.length))) {
    return `'${name}' is an Ansible fact quorum does not gather: ${list}; for anything else run a command and register its output`;
  }
  const near = didYouMean(name, [...GATHERED, ...CONNECTION_VARS]);
  if (near !== undefined && GATHERED.includes(near)) return `undefined variable '${name}': did you mean the fact '${near}'?`;
  return undefined;
}

/** `ansible_facts.NAME`, `ansible_facts['NAME']`, `ansible_facts.[NAME]` in a template or a CEL expression. */
const FACTS_KEY = /(has\(\s*|default\s+)?\bansible_facts(?:\.([A-Za-z_]\w*)|\[\s*['"]([^'"\]]+)['"]\s*\]|\.\[([^\]]+)\])/g;

/**
 * The same judgement for the keys of `ansible_facts` a template or expression names literally.
 * A key tested for presence (`has(ansible_facts.lsb)`, `{{ default ansible_facts.lsb "" }}`) is
 * a guard, not a use, and is let through.
 */
export function ansibleFactsKeyProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(FACTS_KEY)) {
    if (m[1]) continue;
    const key = m[2] ?? m[3] ?? m[4]!;
    const problem = unknownAnsibleFactProblem(`ansible_${key}`);
    if (problem) problems.push(problem.replace(`'ansible_${key}'`, `'ansible_facts.${key}'`).replace(/the fact 'ansible_(\w+)'/, "the fact 'ansible_facts.$1'"));
  }
  return [...new Set(problems)];
}
