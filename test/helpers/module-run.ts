/**
 * Running one module by hand, the way the executor does (validate, gather, plan, apply), over
 * the real LocalConnection: for module tests that need no host and no playbook.
 */
import { applyPlan, type ApplyOutcome } from '../../runner/plan/apply.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { createFactCache } from '../../runner/facts/cache.js';
import { validateModuleArgs } from '../../runner/validators/module-args.js';
import { renderText } from '../../runner/lang/template.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../../runner/types.js';
import type { Connection, ExecOptions } from '../../runner/connection/types.js';

/** A context on the controller; templates render with `vars`, relative paths from `playbookDir`. */
export function localModuleContext(playbookDir: string, vars: Record<string, unknown> = {}): ModuleContext {
  const conn = new LocalConnection();
  return {
    host: 'localhost',
    inventoryHost: 'localhost',
    conn,
    become: false,
    facts: createFactCache(conn, { sudo: false }),
    vars,
    checkMode: false,
    playbookDir,
    render: (text, name) => renderText(text, vars, name ? { file: name, line: 1, col: 1 } : undefined),
  };
}

/** A real LocalConnection that records each exec's options (how many commands ran, with sudo or not). */
export function recordingLocal(): { conn: Connection; calls: ExecOptions[] } {
  const inner = new LocalConnection('recorder');
  const calls: ExecOptions[] = [];
  const conn: Connection = {
    host: inner.host,
    exec: (command, options = {}) => {
      calls.push(options);
      return inner.exec(command, options);
    },
    put: (d, c, o) => inner.put(d, c, o),
    get: (p, o) => inner.get(p, o),
    close: () => inner.close(),
  };
  return { conn, calls };
}

/** Validate the parameters (throwing when invalid), gather and plan: what check mode does. */
export async function planModule(module: ModuleDefinition, params: unknown, ctx: ModuleContext): Promise<Plan> {
  const invalid = validateModuleArgs(module, params);
  if (invalid) throw new Error(`invalid params: ${invalid}`);
  return module.plan(params, await module.gather(ctx, params), { host: ctx.host, inventoryHost: ctx.inventoryHost, checkMode: ctx.checkMode });
}

/** Plan, then apply the plan. */
export async function runModule(module: ModuleDefinition, params: unknown, ctx: ModuleContext): Promise<{ plan: Plan; outcome: ApplyOutcome }> {
  const plan = await planModule(module, params, ctx);
  return { plan, outcome: await applyPlan(ctx, plan) };
}
