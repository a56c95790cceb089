/** Parameters of the `apt` module. */

/** One package: `name`, `name:arch`, optionally pinned `=version` (epochs and tildes allowed). */
export const PACKAGE_SPEC_PATTERN = '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$';

const SPEC = PACKAGE_SPEC_PATTERN.slice(1, -1);

const packageSpec = {
  type: 'string',
  pattern: PACKAGE_SPEC_PATTERN,
  description: 'A Debian package name, optionally with `:arch` and a pinned version (`etcd-client=3.4.23-4+b7`); no wildcards (`nginx*`: list the packages) and no apt options.',
} as const;

/** name and state: the subset the `package` module shares with apt. */
export const packageNameProperty = {
  anyOf: [{ ...packageSpec, pattern: `^${SPEC}(, *${SPEC})*$` }, { type: 'array', items: packageSpec, minItems: 1 }],
  description: 'Package(s) to act on: one name, a list, or names separated by commas (Ansible\'s habit). `name=version` pins a version (installed exactly, downgrades need `allow_downgrade`). No wildcards.',
} as const;

export const packageStateProperty = {
  enum: ['present', 'absent', 'latest'],
  description: '`present` (default): installed, any version unless pinned; `latest`: installed at the newest version apt offers; `absent`: removed (with `purge`, configuration files too).',
} as const;

export const aptSchema = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['name'] }, { required: ['deb'] }, { required: ['update_cache'] }, { required: ['cache_valid_time'] }, { required: ['autoremove'] }],
  properties: {
    name: packageNameProperty,
    state: packageStateProperty,
    purge: { type: 'boolean', description: 'With `state: absent`: remove configuration files too (`apt-get purge`); a package whose files remain (dpkg state config-files) is then purged.' },
    update_cache: {
      type: 'boolean',
      description: 'Run `apt-get update` first (each run, unless `cache_valid_time` says the lists are fresh enough). A run that updates reports changed.',
    },
    cache_valid_time: {
      type: 'integer',
      minimum: 0,
      description: 'Seconds the lists stay fresh: `apt-get update` runs only when the last update is older (mtime of /var/lib/apt/periodic/update-success-stamp, else of /var/lib/apt/lists, as Ansible reads it; quorum touches the stamp after each update). Implies `update_cache`.',
    },
    install_recommends: { type: 'boolean', description: 'Install recommended packages too (true) or not (false); omitted: apt\'s own default (APT::Install-Recommends, true on Debian).' },
    deb: { type: 'string', pattern: '^/', description: 'Absolute path of a .deb file on the host to install (with its dependencies from the repositories); nothing is done when that very version is installed.' },
    autoremove: { type: 'boolean', description: 'Remove packages installed as dependencies that nothing needs any more (`apt-get autoremove`, or `--autoremove` with the task\'s own install or removal).' },
    allow_downgrade: { type: 'boolean', description: 'Let a pinned `name=version` replace a newer installed version (`--allow-downgrades`).' },
    lock_timeout: {
      type: 'integer',
      minimum: 0,
      description: 'Seconds to wait while another process holds apt\'s or dpkg\'s lock (default 60, as Ansible); each try that finds it held is reported as it happens, naming the process.',
    },
  },
} as const;
