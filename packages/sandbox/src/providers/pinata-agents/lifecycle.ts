/**
 * Time in an agent's life, on the sandbox clock: the gateway comes up `BOOT_MS` after a (re)start,
 * scheduled tasks fire when due (missed firings are coalesced into one run, as cron does after a
 * pause), runs finish `RUN_MS` after they start, and every event is a log line, streamed live to
 * the agent's log WebSocket subscribers.
 */
import { nextRun, parseCron } from "./cron.js";
import {
  type AgentRecord,
  type Ctx,
  iso,
  type LogLevel,
  type LogLine,
  newId,
  type RunRecord,
  type TaskRecord,
} from "./state.js";

export const BOOT_MS = 30_000;
export const RUN_MS = 2_000;
/** Lines kept per agent; the HTTP log route returns the last 100. */
export const LOG_KEEP = 500;
export const RUNS_KEEP = 50;

/** What the live parts of a running sandbox (log stream, git repositories) hear about. */
export interface LiveHooks {
  /** A new log line of an agent. */
  publish(agentId: string, line: LogLine): void;
  /** The agent's gateway token changed: streams opened with the old one end. */
  disconnect(agentId: string, reason: string): void;
  /** The agent is gone. */
  forget(agentId: string): void;
}
const hooks = new WeakMap<object, LiveHooks>();

export function setLiveHooks(ctx: Ctx, live: LiveHooks): void {
  hooks.set(ctx, live);
}

export const liveHooks = (ctx: Ctx): LiveHooks | undefined => hooks.get(ctx);

export function log(
  ctx: Ctx,
  agent: AgentRecord,
  level: LogLevel,
  source: string,
  message: string,
  at?: number,
) {
  const line: LogLine = { timestamp: iso(at ?? ctx.clock.now()), level, source, message };
  agent.logs.push(line);
  if (agent.logs.length > LOG_KEEP) agent.logs.splice(0, agent.logs.length - LOG_KEEP);
  hooks.get(ctx)?.publish(agent.agentId, line);
}

export function formatLine(line: LogLine): string {
  return `${line.timestamp} ${line.level.padEnd(5)} [${line.source}] ${line.message}`;
}

/** (Re)starts the gateway: `starting` until `BOOT_MS` has passed. */
export function restart(ctx: Ctx, agent: AgentRecord, reason: string) {
  const now = ctx.clock.now();
  agent.status = "starting";
  agent.readyAt = now + BOOT_MS;
  agent.startedAt = null;
  log(
    ctx,
    agent,
    "INFO",
    "gateway",
    `${reason}: starting the gateway (engine ${agent.engine} ${agent.version})`,
  );
}

export function nextRunOf(task: TaskRecord, after: number): number | null {
  return task.enabled ? nextRun(parseCron(task.schedule), after) : null;
}

/** Starts a run of a task now (or at `at`): it fails at once when the agent is not running. */
export function startRun(
  ctx: Ctx,
  agent: AgentRecord,
  task: TaskRecord,
  at: number,
  manual: boolean,
): RunRecord {
  const down = agent.status === "not_running";
  const run: RunRecord = {
    runId: newId(ctx, "run"),
    jobId: task.jobId,
    status: down ? "failed" : "running",
    startedAt: at,
    finishedAt: down ? at : null,
    output: down ? "The agent is not running" : "",
  };
  const runs = agent.runs[task.jobId] ?? [];
  runs.unshift(run);
  runs.splice(RUNS_KEEP);
  agent.runs[task.jobId] = runs;
  task.lastRunAt = at;
  log(
    ctx,
    agent,
    down ? "ERROR" : "INFO",
    "cron",
    `${manual ? "manual run" : "scheduled run"} of task "${task.name}" ${down ? "failed: the agent is not running" : "started"}`,
    at,
  );
  return run;
}

/**
 * Brings an agent up to `now`: boot finished, due tasks fired, runs finished. Returns whether
 * anything changed (so callers outside a write can persist it).
 */
export function settleAgent(ctx: Ctx, agent: AgentRecord, now: number): boolean {
  let changed = false;
  if (agent.status === "starting" && agent.readyAt !== null && agent.readyAt <= now) {
    agent.status = "running";
    agent.startedAt = agent.readyAt;
    agent.readyAt = null;
    log(ctx, agent, "INFO", "gateway", "gateway is running", agent.startedAt);
    changed = true;
  }
  for (const task of agent.tasks) {
    if (!task.enabled || task.nextRunAt === null || task.nextRunAt > now) continue;
    startRun(ctx, agent, task, task.nextRunAt, false);
    task.nextRunAt = nextRunOf(task, now);
    changed = true;
  }
  for (const runs of Object.values(agent.runs)) {
    for (const run of runs) {
      if (run.status !== "running" || run.startedAt + RUN_MS > now) continue;
      run.status = "succeeded";
      run.finishedAt = run.startedAt + RUN_MS;
      const task = agent.tasks.find((t) => t.jobId === run.jobId);
      run.output = `Ran the prompt${task ? ` "${task.prompt.slice(0, 80)}"` : ""} (sandbox: no model was called).`;
      changed = true;
    }
  }
  return changed;
}
