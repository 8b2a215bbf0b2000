/** What the scenarios share. */
import type { ScenarioApi } from "../scenario.js";

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A credential the session must have (sandbox: minted at start; live: its variable). */
export function needed(api: ScenarioApi, scheme: string): string {
  const value = api.credential(scheme);
  if (value === undefined) throw new Error(`no ${scheme} credential on this target`);
  return value;
}
