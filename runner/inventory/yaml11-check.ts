/**
 * Plain scalars YAML 1.2 (quorum) and YAML 1.1 (Ansible's PyYAML) read differently, in inventory
 * and vars files: `yes`/`no`/`on`/`off` (booleans for Ansible, strings here), `0644` (octal 420
 * for Ansible, 644 here), `1_000` and `1:30` (numbers for Ansible, strings here), `0o17` and
 * `1e3` (strings for Ansible, numbers here). quorum keeps YAML 1.2, as for playbooks, and names
 * each such value in a warning with its place and the spelling both read alike. (yes/no/on/off
 * and 0644 are read as an Ansible user means them since: runner/load/yaml.ts.)
 */
import { isMap, isPair, isScalar, isSeq, type Scalar } from 'yaml';
import { formatLocation } from '../errors.js';
import { encodePointer, type YamlSource } from '../load/yaml.js';

const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/;
const PY_OCTAL = /^[-+]?0[0-7_]+$/;
const PY_UNDERSCORED_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PY_SEXAGESIMAL = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;
const Y12_ONLY_OCTAL = /^0o[0-7]+$/;
const Y12_ONLY_FLOAT = /^[-+]?[0-9]+[eE][-+]?[0-9]+$/;

export function yaml11Warnings(src: YamlSource): string[] {
  const warnings: string[] = [];
  const visit = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) if (isPair(pair) && isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
    } else if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
    else if (isScalar(node) && node.type === 'PLAIN') {
      const reading = ansibleReading(node);
      if (reading) {
        const name = path.length > 0 ? String(path[path.length - 1]) : 'the value';
        warnings.push(`${formatLocation(src.locate(encodePointer(path)))}  '${name}: ${String(node.source)}' is ${describe(node.value)} for quorum (YAML 1.2) but ${reading.ansible} for Ansible (YAML 1.1): write ${reading.write} to mean the same to both`);
      }
    }
  };
  visit(src.doc.contents, []);
  return warnings;
}

function ansibleReading(node: Scalar): { ansible: string; write: string } | undefined {
  const text = String(node.source ?? '');
  // yes/no/on/off are read as Ansible reads them (runner/load/yaml.ts): nothing to warn about.
  if (PY_BOOL.test(text)) return undefined;
  if (PY_OCTAL.test(text) && /[1-9]/.test(text)) {
    const n = Number.parseInt(text.replace(/_/g, ''), 8);
    return { ansible: `the octal number ${n}`, write: `${n} for that number, or "${text}" for the string,` };
  }
  if (text.includes('_') && PY_UNDERSCORED_INT.test(text)) return { ansible: `the number ${text.replace(/_/g, '')}`, write: text.replace(/_/g, '') };
  if (PY_SEXAGESIMAL.test(text)) return { ansible: 'a base-60 number', write: `"${text}"` };
  if (Y12_ONLY_OCTAL.test(text) || Y12_ONLY_FLOAT.test(text)) return { ansible: 'a string', write: `"${text}" for the string, or ${Number(text)} for the number,` };
  return undefined;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `the string "${value}"` : `the ${typeof value} ${String(value)}`;
}
