/** The suite as a library (for tools/bench/contract and other drivers). */
export { type ApiSpec, type Operation, readSpec } from "./openapi.js";
export { type ProviderResult, type RunOptions, runProvider } from "./runner.js";
export { SCENARIOS } from "./scenario-list.js";
export { runScenario, type Scenario, type ScenarioResult } from "./scenarios.js";
export { DEFAULT_TARGETS, type Target, type TargetSession, TargetSkip, targetFactories } from "./targets.js";
