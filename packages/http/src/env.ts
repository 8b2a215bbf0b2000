/**
 * Configuration from the environment, as openai-node and the AWS SDKs do it: an option left out is
 * read from a documented variable. Guarded so that runtimes without `process` (browsers) or
 * without env access (Deno without `--allow-env`) just see nothing.
 */
import type { Middleware } from "openapi-fetch";
import type { Credential } from "./auth.js";
import { MissingCredentialError } from "./errors.js";

interface EnvHost {
  process?: { env?: Record<string, string | undefined> };
  Deno?: { env?: { get(name: string): string | undefined } };
}

/** The variable's value, trimmed; `undefined` when unset, empty, or unreadable here. */
export function readEnv(name: string): string | undefined {
  const host = globalThis as EnvHost;
  try {
    const value = host.process?.env?.[name] ?? host.Deno?.env?.get(name);
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
  } catch {
    return undefined; // e.g. Deno without env permission
  }
}

/**
 * The credentials a client was given or, when it was given none at all, those of the environment.
 * Passing any one of them (even `""`, which sends nothing) turns the environment off for all, so a
 * client never mixes a credential you chose with one it found.
 */
export function credentialsFrom<K extends string>(
  given: { [P in K]?: Credential | undefined },
  variables: { [P in K]: string },
): { [P in K]: Credential | undefined } {
  const names = Object.keys(variables) as K[];
  const chosen = names.some((name) => given[name] !== undefined);
  return Object.fromEntries(names.map((name) => [name, chosen ? given[name] : readEnv(variables[name])])) as {
    [P in K]: Credential | undefined;
  };
}

/** Where a security scheme's credential comes from, and whether the client has it. */
export interface SchemeSource {
  /** The client option, e.g. `appKey`. */
  option: string;
  /** Its environment variable, e.g. `PIPE_APP_KEY`. */
  variable: string;
  /** A static value or a getter was given (a getter is trusted to produce one). */
  given: boolean;
}

/** Which credentials the operations take (generated from the spec) and where the client's come from. */
export interface OperationSecurity {
  /** `"GET /path/{id}"` → alternatives, each a list of scheme names; `[]` needs no credential. */
  operations: Readonly<Record<string, readonly (readonly string[])[]>>;
  schemes: Readonly<Record<string, SchemeSource>>;
}

/** Whether a credential is there: a getter, or a non-empty string. */
export function isGiven(credential: Credential | undefined): boolean {
  return typeof credential === "function" || (typeof credential === "string" && credential.trim() !== "");
}

/**
 * Requests to operations that take no credential (sign-in, registration): the runtime sends them
 * without the client's credentials, which have no business there.
 */
export const anonymousRequests = new WeakSet<Request>();

/**
 * Marks the requests of operations that take no credential (see `anonymousRequests`) and, with
 * `enforce` (the default), refuses before anything is sent an operation whose every alternative
 * lacks a credential, with a `MissingCredentialError` naming the options and variables that would
 * satisfy it.
 */
export function securityMiddleware(security: OperationSecurity, enforce = true): Middleware {
  return {
    onRequest({ request, schemaPath }) {
      const operation = `${request.method.toUpperCase()} ${schemaPath}`;
      const alternatives = security.operations[operation];
      if (!alternatives?.length) return undefined;
      if (alternatives.every((names) => names.length === 0)) {
        anonymousRequests.add(request);
        return undefined;
      }
      if (!enforce) return undefined;
      const satisfied = alternatives.some((names) =>
        names.every((name) => security.schemes[name]?.given ?? true),
      );
      if (satisfied) return undefined;
      const options: string[][] = [];
      const variables: string[][] = [];
      const seen = new Set<string>();
      for (const names of alternatives) {
        const sources = names.map((name) => security.schemes[name]).filter((s) => s !== undefined);
        const key = sources.map((s) => s.option).join("+");
        if (seen.has(key)) continue; // two schemes on one option (a header or a query token)
        seen.add(key);
        options.push(sources.map((s) => s.option));
        variables.push(sources.map((s) => s.variable));
      }
      throw new MissingCredentialError(operation, options, variables);
    },
  };
}

/**
 * Whether this is a browser page or worker: there `User-Agent` stays the browser's own, and
 * cookies are the browser's to send.
 */
export function inBrowser(): boolean {
  const host = globalThis as { document?: unknown; importScripts?: unknown };
  return host.document !== undefined || typeof host.importScripts === "function";
}
