/**
 * `quorum doc [MODULE]` and `quorum schema [--out DIR]`. Everything heavy (the module registry,
 * the renderer) is imported inside the actions so `quorum --version` stays fast.
 */
import type { Command } from 'commander';

/** Add the `doc` and `schema` commands to the program. */
export function registerDocCommands(program: Command): void {
  program
    .command('doc')
    .description('List the modules, or show one module\'s arguments, results, check-mode support and examples.')
    .argument('[module]', 'module name')
    .action(async (name: string | undefined) => {
      process.exitCode = await printModuleDoc(name);
    });

  program
    .command('schema')
    .description('Write playbook.schema.json (with every module\'s arguments) and inventory.schema.json for editors.')
    .option('-o, --out <dir>', 'directory to write to', '.')
    .action(async (opts: { out: string }) => {
      process.exitCode = await writeSchemas(opts.out);
    });
}

async function printModuleDoc(name: string | undefined): Promise<number> {
  const { modules } = await import('../../modules/index.js');
  const { renderModuleDoc, renderModuleList } = await import('./render.js');
  const defs = [...modules.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (name === undefined) {
    process.stdout.write(renderModuleList(defs));
    return 0;
  }
  const def = modules.get(name);
  if (!def) {
    const { formatSuggestion } = await import('../util/suggest.js');
    const { EXIT } = await import('../exit-codes.js');
    process.stderr.write(`quorum doc: no module named '${name}'${formatSuggestion(name, modules.keys())}; \`quorum doc\` lists them\n`);
    return EXIT.invalidInput;
  }
  process.stdout.write(renderModuleDoc(def));
  return 0;
}

async function writeSchemas(dir: string): Promise<number> {
  const { modules } = await import('../../modules/index.js');
  const { renderSchemaFiles, writeFiles } = await import('./generate.js');
  const { resolve } = await import('node:path');
  const files = writeFiles(resolve(dir), renderSchemaFiles([...modules.values()]));
  for (const f of files) process.stdout.write(`wrote ${f}\n`);
  process.stdout.write(`Point a playbook at it with a first line such as:\n# yaml-language-server: $schema=${files[0]}\n`);
  return 0;
}
