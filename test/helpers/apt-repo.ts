/**
 * A Debian package repository on the controller, for lab hosts (which have no internet): tiny
 * packages built with the real `dpkg-deb --build`, a flat repository (`Packages`, `Packages.gz`,
 * `Release`, written here as dpkg-scanpackages and apt-ftparchive would, so the controller needs
 * nothing beyond dpkg) served over HTTP on the lab bridge's address, and the hosts' apt pointed at
 * it by a `[trusted=yes]` sources entry. The hosts' own Debian source is set aside meanwhile: it
 * cannot be reached, and apt-get update would fail on it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { BRIDGE_ADDRESS } from '../../runner/lab/paths.js';
import type { LabHost } from './lab.js';
import { rootScript } from './root-script.js';

/** One package to build: control fields and maintainer scripts. */
export interface TestPackage {
  name: string;
  version: string;
  depends?: string;
  /** postinst script body (run by sh -e). */
  postinst?: string;
  /** Ship /etc/NAME.conf as a conffile (left behind by a remove, in dpkg state config-files, until purged). */
  conffile?: boolean;
}

/** Where the hosts' apt source list and the set-aside Debian sources go. */
const SOURCES_ENTRY = '/etc/apt/sources.list.d/quorum-test-repo.list';
const SET_ASIDE = '/etc/apt/sources.list.quorum-test-set-aside';

export interface AptTestRepo {
  /** `http://BRIDGE:PORT/` */
  url: string;
  /** Build these packages into the repository and rewrite its index (earlier ones stay). */
  add(packages: TestPackage[]): void;
  /** Point a host's apt at this repository only (its own sources set aside); undone by `detach`. */
  attach(host: LabHost): Promise<void>;
  detach(host: LabHost): Promise<void>;
  close(): Promise<void>;
}

/** Build a .deb in `outDir` with dpkg-deb; the package ships /usr/share/NAME/version. */
export function buildDeb(pkg: TestPackage, outDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'quorum-deb-'));
  try {
    mkdirSync(join(root, 'DEBIAN'));
    mkdirSync(join(root, 'usr/share', pkg.name), { recursive: true });
    writeFileSync(join(root, 'usr/share', pkg.name, 'version'), `${pkg.version}\n`);
    const control = [
      `Package: ${pkg.name}`,
      `Version: ${pkg.version}`,
      'Architecture: all',
      'Maintainer: quorum tests <tests@quorum.invalid>',
      ...(pkg.depends ? [`Depends: ${pkg.depends}`] : []),
      'Section: misc',
      'Priority: optional',
      `Description: quorum test package ${pkg.name}`,
      ' Built by test/helpers/apt-repo.ts for the apt module\'s lab test.',
      '',
    ].join('\n');
    writeFileSync(join(root, 'DEBIAN/control'), control);
    if (pkg.conffile) {
      mkdirSync(join(root, 'etc'));
      writeFileSync(join(root, 'etc', `${pkg.name}.conf`), `# ${pkg.name} ${pkg.version}\n`);
      writeFileSync(join(root, 'DEBIAN/conffiles'), `/etc/${pkg.name}.conf\n`);
    }
    if (pkg.postinst) {
      writeFileSync(join(root, 'DEBIAN/postinst'), `#!/bin/sh\nset -e\n${pkg.postinst}\n`);
      chmodSync(join(root, 'DEBIAN/postinst'), 0o755);
    }
    const file = join(outDir, `${pkg.name}_${pkg.version}_all.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, file], { stdio: 'pipe' });
    return file;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The `Packages` stanza of a .deb: its control fields, then where it is and its checksums. */
function packagesStanza(dir: string, file: string): string {
  const path = join(dir, file);
  const control = execFileSync('dpkg-deb', ['-f', path], { encoding: 'utf8' }).trimEnd();
  const bytes = readFileSync(path);
  const hash = (algo: string) => createHash(algo).update(bytes).digest('hex');
  return `${control}\nFilename: ./${file}\nSize: ${bytes.length}\nMD5sum: ${hash('md5')}\nSHA256: ${hash('sha256')}\n`;
}

/** Write Packages, Packages.gz and Release for every .deb in `dir`. */
export function writeIndex(dir: string): void {
  const debs = readdirSync(dir).filter((f) => f.endsWith('.deb')).sort();
  const packages = debs.map((f) => packagesStanza(dir, f)).join('\n');
  writeFileSync(join(dir, 'Packages'), packages);
  writeFileSync(join(dir, 'Packages.gz'), gzipSync(packages));
  const sums = (algo: string) =>
    ['Packages', 'Packages.gz'].map((f) => ` ${createHash(algo).update(readFileSync(join(dir, f))).digest('hex')} ${statSync(join(dir, f)).size} ${f}`).join('\n');
  writeFileSync(join(dir, 'Release'), [`Origin: quorum-tests`, `Label: quorum-tests`, `Date: ${new Date().toUTCString()}`, 'MD5Sum:', sums('md5'), 'SHA256:', sums('sha256'), ''].join('\n'));
}

/** Serve a fresh repository over HTTP on the lab bridge's address (a free port). */
export async function startAptTestRepo(): Promise<AptTestRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-apt-repo-'));
  writeIndex(dir);
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '').replace(/^\.\//, '');
    // Only files of the repository directory itself: no path with a slash or a dot-dot.
    if (name === '' || name.includes('/') || name.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(join(dir, name));
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'last-modified': statSync(join(dir, name)).mtime.toUTCString() });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, BRIDGE_ADDRESS, () => resolve());
  });
  const url = `http://${BRIDGE_ADDRESS}:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    add(packages) {
      for (const p of packages) buildDeb(p, dir);
      writeIndex(dir);
    },
    async attach(host) {
      await rootScript(host, [
        `if [ -e /etc/apt/sources.list ] && [ ! -e ${SET_ASIDE} ]; then mv /etc/apt/sources.list ${SET_ASIDE}; fi`,
        `echo 'deb [trusted=yes] ${url} ./' > ${SOURCES_ENTRY}`,
      ].join('; '));
    },
    async detach(host) {
      await rootScript(host, `rm -f ${SOURCES_ENTRY}; if [ -e ${SET_ASIDE} ]; then mv ${SET_ASIDE} /etc/apt/sources.list; fi`);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
