/**
 * The lab's node hosts (`lab up --node-tools DIR`), the parts that need no root: reading what
 * scripts/build-k8s-tools.sh wrote, the node image recipe beside the plain one, and the group
 * variables the inventory gets. Booting node hosts is tested for real in
 * test/lab/etcd-static-pod.test.ts.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderInventory } from '../../runner/lab/access.js';
import { nodeHostProfile, nodeInventoryVars, nodeRootfsRecipe, readNodeTools } from '../../runner/lab/node-tools.js';
import { labPaths } from '../../runner/lab/paths.js';
import { BASE_ROOTFS } from '../../runner/lab/rootfs.js';

const json = {
  kubernetesVersion: 'v1.34.4',
  etcdVersion: 'v3.6.5',
  etcdImageRepository: 'quorum.local',
  etcdImageTag: '3.6.5-0',
  pauseImage: 'quorum.local/pause:3.10.1',
};

function toolsDir(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-node-tools-'));
  if (content !== undefined) writeFileSync(join(dir, 'node-tools.json'), JSON.stringify(content));
  return dir;
}

test('readNodeTools reads node-tools.json and keeps the directory', async (t) => {
  const dir = toolsDir(json);
  t.deepEqual(await readNodeTools(dir), { ...json, dir });
});

test('readNodeTools: no node-tools.json says how to make one; a missing field is named', async (t) => {
  await t.throwsAsync(readNodeTools(toolsDir(undefined)), { message: /holds no node-tools\.json; make it with scripts\/build-k8s-tools\.sh/ });
  await t.throwsAsync(readNodeTools(toolsDir({ ...json, pauseImage: '' })), { message: /has no "pauseImage"/ });
});

test('the node image is its own cache entry: the plain packages plus containerd and runc, stamped with the sandbox image', async (t) => {
  const tools = { ...json, dir: '/var/cache/quorum/k8s-tools/v1.34.4' };
  const recipe = nodeRootfsRecipe(tools);
  t.not(recipe.dir, BASE_ROOTFS.dir);
  t.true(recipe.stamp.startsWith(BASE_ROOTFS.stamp), 'a new plain recipe makes a new node image too');
  t.regex(recipe.stamp, /quorum\.local\/pause:3\.10\.1/);
  t.deepEqual(recipe.packages.slice(0, BASE_ROOTFS.packages.length), BASE_ROOTFS.packages);
  for (const p of ['containerd', 'runc']) t.true(recipe.packages.includes(p), p);
  const profile = nodeHostProfile(tools);
  t.is(profile.rootfs, recipe.dir);
  t.true(profile.args.includes('--capability=all'));
  t.true(profile.args.includes('--bind-ro=/var/cache/quorum/k8s-tools/v1.34.4/bin/kubelet:/usr/bin/kubelet'));
  t.is(profile.env.SYSTEMD_SECCOMP, '0');
});

test('the node lab inventory names the images built here for kubeadm; the plain one names none', (t) => {
  const paths = labPaths(mkdtempSync(join(tmpdir(), 'quorum-lab-inv-')));
  const hosts = [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.213.9.${10 + i}` }));
  const node = parse(renderInventory(hosts, paths, nodeInventoryVars({ ...json, dir: '/x' })));
  t.is(node.all.vars.etcd_image_repository, 'quorum.local');
  t.is(node.all.vars.etcd_image_tag, '3.6.5-0');
  t.deepEqual(Object.keys(node.all.children.etcd.hosts), ['infra0', 'infra1', 'infra2']);
  const plain = parse(renderInventory(hosts, paths));
  t.deepEqual(Object.keys(plain.all.vars), ['quorum_known_hosts']);
});
