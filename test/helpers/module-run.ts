/**
 * Running one module by hand, the way the executor does (validate, gather, plan, apply), over
 * the real LocalConnection: for module tests that need no host and no playbook.
 */
import { applyPlan, type ApplyOutcome } from '../../runner/apply.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { createFactCache } from '../../runner/facts/cache.js';
import { validateModuleArgs } from '../../runner/module-args.js';
import { renderText } from '../../runner/template.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../../runner/types.js';

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
