/** The suite as a library (for tools/bench/contract and other drivers). */

export type { TargetSession } from "./exchange/session.js";
export { type ProviderResult, type RunOptions, runProvider } from "./run/runner.js";
export { runScenario, type Scenario, type ScenarioResult } from "./run/scenario.js";
export { SCENARIOS } from "./run/scenarios/index.js";
export { type ApiSpec, type Operation, readSpec } from "./spec/openapi.js";
export { DEFAULT_TARGETS, targetFactories } from "./targets/index.js";
export { type Target, TargetSkip } from "./targets/target.js";
