/** Triggers (CRUD, soft delete, MCP tokens), starting runs, and the run lists. */
import type { Handler, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { accessOf, actorOf, secret } from "./auth.js";
import {
  audit,
  type Ctx,
  type EnvironmentRecord,
  newId,
  nextSeq,
  own,
  type PipedAIState,
  type RunRecord,
  type RunStatus,
  sha256,
  type TriggerRecord,
  type TriggerType,
} from "./state.js";
import { fieldError, page, runView, timeWindow, triggerView } from "./views.js";

type H = Handler<PipedAIState>;

/** Runs a worker still owes an answer for. */
export const UNFINISHED: readonly RunStatus[] = ["queued", "assigned", "claimed", "running"];

const EDITABLE = ["name", "description", "status", "workerId", "schedule", "config"] as const;

/** Five or six cron fields of digits, `*`, ranges, lists, steps and names. */
const CRON = /^(?:[\d*?LW#/,A-Za-z-]+\s+){4,5}[\d*?LW#/,A-Za-z-]+$/;

function resolved(ctx: Ctx, request: SandboxRequest) {
  const access = accessOf(request);
  const env = own(ctx.state.environments, access.environmentId) as EnvironmentRecord;
  const trigger = own(ctx.state.triggers, access.triggerId);
  if (!env || !access.caller) throw new Error(`pipedai: ${request.operationId} has no scope`);
  return { env, trigger, actor: actorOf(access.caller) };
}

/** The trigger the guard resolved (live and visible to the caller). */
function triggerOf(ctx: Ctx, request: SandboxRequest) {
  const found = resolved(ctx, request);
  if (!found.trigger) throw new Error(`pipedai: ${request.operationId} has no trigger`);
  return { ...found, trigger: found.trigger };
}

/** 400 for a schedule trigger without a cron expression, 404 for a worker of another environment. */
function checkTrigger(
  ctx: Ctx,
  env: EnvironmentRecord,
  fields: { type: TriggerType; schedule: string | null; workerId: string | null },
): SandboxResponse | undefined {
  if (fields.type === "schedule" && !fields.schedule)
    return fieldError(ctx, "schedule", "Required for schedule triggers");
  if (fields.schedule && !CRON.test(fields.schedule.trim()))
    return fieldError(ctx, "schedule", "Invalid cron expression");
  const worker = fields.workerId ? own(ctx.state.workers, fields.workerId) : undefined;
  if (fields.workerId && worker?.environmentId !== env.id) return ctx.error(404, "Worker not found");
  return undefined;
}

/** A new run of a trigger: assigned to its worker, or queued for any worker of the environment. */
export function createRun(ctx: Ctx, trigger: TriggerRecord, input: Record<string, unknown>): RunRecord {
  const run: RunRecord = {
    id: newId(ctx),
    triggerId: trigger.id,
    environmentId: trigger.environmentId,
    workerId: trigger.workerId,
    status: trigger.workerId ? "assigned" : "queued",
    input,
    output: null,
    error: null,
    tokenSpendMicroUsd: null,
    createdAt: ctx.clock.now(),
    claimedAt: null,
    startedAt: null,
    lastHeartbeatAt: null,
    finishedAt: null,
    requeues: 0,
    progress: null,
    seq: nextSeq(ctx),
  };
  ctx.state.runs[run.id] = run;
  return run;
}

/** Runs newest first, filtered by the query's status, time window and worker. */
function runList(ctx: Ctx, request: SandboxRequest, keep: (run: RunRecord) => boolean): SandboxResponse {
  const { status, workerId } = request.query as { status?: RunStatus; workerId?: string };
  const { from, to } = timeWindow(request.query);
  const items = Object.values(ctx.state.runs)
    .filter(
      (run) =>
        keep(run) &&
        (status === undefined || run.status === status) &&
        (workerId === undefined || run.workerId === workerId) &&
        run.createdAt >= from &&
        run.createdAt < to,
    )
    .sort((a, b) => b.seq - a.seq);
  return page(ctx, items, request.query, runView, true);
}

export const triggerHandlers: Record<string, H> = {
  listTriggers: (request, ctx) => {
    const { env } = resolved(ctx, request);
    const { workerId } = request.query as { workerId?: string };
    const items = Object.values(ctx.state.triggers)
      .filter(
        (t) =>
          t.environmentId === env.id &&
          t.deletedAt === null &&
          (workerId === undefined || t.workerId === workerId),
      )
      .sort((a, b) => a.seq - b.seq);
    return page(ctx, items, request.query, triggerView, false);
  },

  createTrigger: (request, ctx) => {
    const { env, actor } = resolved(ctx, request);
    const body = request.body as {
      name: string;
      description?: string;
      type: TriggerType;
      workerId?: string;
      schedule?: string;
      config?: Record<string, unknown>;
    };
    const fields = { type: body.type, schedule: body.schedule ?? null, workerId: body.workerId ?? null };
    const problem = checkTrigger(ctx, env, fields);
    if (problem) return problem;
    const now = ctx.clock.now();
    const mcpToken = secret("mcp");
    const trigger: TriggerRecord = {
      id: newId(ctx),
      environmentId: env.id,
      name: body.name,
      description: body.description ?? null,
      ...fields,
      status: "active",
      config: body.config ?? {},
      mcpTokenHash: sha256(mcpToken),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      seq: nextSeq(ctx),
    };
    ctx.state.triggers[trigger.id] = trigger;
    audit(ctx, {
      environmentId: env.id,
      action: "trigger.create",
      actorId: actor,
      targetId: trigger.id,
      metadata: { name: trigger.name, type: trigger.type },
    });
    return { status: 201, body: { trigger: triggerView(trigger), mcpToken } };
  },

  getTrigger: (request, ctx) => ({ status: 200, body: triggerView(triggerOf(ctx, request).trigger) }),

  updateTrigger: (request, ctx) => {
    const { env, trigger, actor } = triggerOf(ctx, request);
    const sent = request.body as Record<string, unknown>;
    // Only the documented fields: the schema allows others, which must not reach the record.
    const body = Object.fromEntries(
      EDITABLE.filter((field) => Object.hasOwn(sent, field)).map((field) => [field, sent[field]]),
    ) as Partial<Pick<TriggerRecord, (typeof EDITABLE)[number]>>;
    const problem = checkTrigger(ctx, env, { ...trigger, ...body });
    if (problem) return problem;
    Object.assign(trigger, body, { updatedAt: ctx.clock.now() });
    audit(ctx, {
      environmentId: env.id,
      action: "trigger.update",
      actorId: actor,
      targetId: trigger.id,
      metadata: { fields: Object.keys(body).sort() },
    });
    return { status: 200, body: triggerView(trigger) };
  },

  deleteTrigger: (request, ctx) => {
    const { env, trigger, actor } = triggerOf(ctx, request);
    const active = Object.values(ctx.state.runs).filter(
      (run) => run.triggerId === trigger.id && UNFINISHED.includes(run.status),
    ).length;
    if (active) return ctx.error(409, `Trigger has ${active} active run(s)`);
    trigger.deletedAt = ctx.clock.now();
    trigger.updatedAt = trigger.deletedAt;
    audit(ctx, { environmentId: env.id, action: "trigger.delete", actorId: actor, targetId: trigger.id });
    return { status: 204 };
  },

  rotateTriggerMcpToken: (request, ctx) => {
    const { env, trigger, actor } = triggerOf(ctx, request);
    const mcpToken = secret("mcp");
    trigger.mcpTokenHash = sha256(mcpToken);
    trigger.updatedAt = ctx.clock.now();
    audit(ctx, {
      environmentId: env.id,
      action: "trigger.rotate_mcp_token",
      actorId: actor,
      targetId: trigger.id,
    });
    return { status: 200, body: { mcpToken } };
  },

  runTrigger: (request, ctx) => {
    const { env, trigger, actor } = triggerOf(ctx, request);
    if (trigger.status === "paused") return ctx.error(409, "Trigger is paused");
    const input = (request.body as { input?: Record<string, unknown> } | undefined)?.input ?? {};
    const run = createRun(ctx, trigger, input);
    audit(ctx, {
      environmentId: env.id,
      action: "trigger.run",
      actorId: actor,
      targetId: run.id,
      metadata: { triggerId: trigger.id },
    });
    return { status: 202, body: runView(run) };
  },

  listTriggerRuns: (request, ctx) => {
    const { trigger } = triggerOf(ctx, request);
    return runList(ctx, request, (run) => run.triggerId === trigger.id);
  },

  listEnvironmentRuns: (request, ctx) => {
    const { env } = resolved(ctx, request);
    return runList(ctx, request, (run) => run.environmentId === env.id);
  },
};
