/**
 * Stand-alone entry for the lab commands, for use before (or without) the full CLI:
 * `node --import=tsx runner/lab/main.ts up --hosts 6`.
 */
import { Command } from 'commander';
import { registerLabCommand } from './command.js';

const program = new Command('quorum-lab');
registerLabCommand(program);
// `main.ts up` reads as `quorum lab up`: put the group name back in front.
await program.parseAsync(['lab', ...process.argv.slice(2)], { from: 'user' });
