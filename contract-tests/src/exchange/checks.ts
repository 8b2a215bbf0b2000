/** The checks, named as Schemathesis names them. Each judges one exchange (request + response). */
import type { Case, Phase } from "../cases/cases.js";
import type { Reader, ResourceLink } from "../spec/links.js";
import { type Operation, type ResponseSpec, responseFor } from "../spec/openapi.js";
import { pointer } from "../spec/pointer.js";
import { describeErrors, isValidParameter, schemaErrors } from "../spec/validate.js";
import type { ReceivedResponse, ShownRequest } from "./http.js";

export const CHECK_NAMES = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_headers_conformance",
  "response_schema_conformance",
  "negative_data_rejection",
  "positive_data_acceptance",
  "missing_required_header",
  "ignored_auth",
  "use_after_free",
  "ensure_resource_availability",
  "unsupported_method",
  "pagination_consistency",
  "update_applied",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** One violation Prism reported as a proxy with `--errors` (the upstream's answer is then hidden). */
export interface ProxyViolation {
  location: string[];
  message: string;
}

/** One request and what came back. */
export interface Exchange {
  phase: Phase;
  op: Operation;
  case: Case;
  /** The request with credentials redacted. */
  request: ShownRequest;
  curl: string;
  response?: ReceivedResponse;
  /** Set when no response came (connection refused, timeout). */
  error?: string;
  /** Set when a validating Prism proxy replaced the upstream's answer with its violation report. */
  proxyViolations?: ProxyViolation[];
  /** Credential value → placeholder, to redact a response that echoes one. */
  secrets?: Map<string, string>;
}

/** `pass`, `skip` (does not apply to this exchange) or a failure message. */
export type Verdict = "pass" | "skip" | { fail: string };

export interface Check {
  name: CheckName;
  /** The phases whose exchanges it judges. */
  phases: Phase[];
  evaluate(exchange: Exchange): Verdict;
}

/**
 * One create → read → delete → read chain over a resource link, on a stateful target. A step is
 * absent when an earlier one did not succeed (or the resource has no delete operation).
 */
export interface Chain {
  link: ResourceLink;
  create: Exchange;
  /** The new resource's id, when the create answered 2xx with one. */
  id?: string;
  read?: Exchange;
  delete?: Exchange;
  readAfterDelete?: Exchange;
}

/** A check over a chain of linked calls, driven by the resource links of the spec (`src/spec/links.ts`). */
export interface StatefulCheck {
  name: CheckName;
  stateful: true;
  description: string;
  evaluate(chain: Chain): Verdict;
}

/** Conformance checks judge answers to requests the spec describes; an invalid request's answer is judged by negative_data_rejection. */
const ANSWERED: Phase[] = ["positive", "missing_header", "auth"];

const fail = (message: string): Verdict => ({ fail: message });

/** The response's documented spec, or undefined when there is no (trustworthy) response to judge. */
function documented(
  ex: Exchange,
): { response: ReceivedResponse; spec: ResponseSpec | undefined } | undefined {
  if (!ex.response || ex.proxyViolations) return undefined;
  return { response: ex.response, spec: responseFor(ex.op, ex.response.status) };
}

const mediaTypeOf = (r: ReceivedResponse) => r.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();

/** The documented media type a response's Content-Type matches (`*`-wildcards allowed). */
function matchMediaType(spec: ResponseSpec, actual: string): string | undefined {
  return Object.keys(spec.content).find((documentedType) => {
    const [type, subtype] = documentedType.toLowerCase().split(";")[0]?.trim().split("/") ?? [];
    const [aType, aSubtype] = actual.split("/");
    return (type === "*" || type === aType) && (subtype === "*" || subtype === aSubtype);
  });
}

const isJson = (mediaType: string) =>
  /^application\/(.+\+)?json$/.test(mediaType) || mediaType.endsWith("+json");

const statusList = (op: Operation) => Object.keys(op.responses).join(", ");

export const CHECKS: Check[] = [
  {
    name: "not_a_server_error",
    phases: ["positive", "negative", "missing_header", "auth"],
    evaluate(ex) {
      if (ex.error) return fail(`no response: ${ex.error}`);
      if (!ex.response || ex.proxyViolations) return "skip";
      return ex.response.status >= 500 ? fail(`server error: status ${ex.response.status}`) : "pass";
    },
  },
  {
    name: "status_code_conformance",
    phases: ANSWERED,
    evaluate(ex) {
      const d = documented(ex);
      if (!d) return "skip";
      return d.spec
        ? "pass"
        : fail(
            `status ${d.response.status} is not documented for ${ex.op.id} (documented: ${statusList(ex.op)})`,
          );
    },
  },
  {
    name: "content_type_conformance",
    phases: ANSWERED,
    evaluate(ex) {
      const d = documented(ex);
      if (!d?.spec) return "skip";
      const types = Object.keys(d.spec.content);
      if (types.length === 0 || d.response.body === "") return "pass";
      const actual = mediaTypeOf(d.response);
      if (!actual)
        return fail(`the response has a body but no Content-Type (documented: ${types.join(", ")})`);
      return matchMediaType(d.spec, actual)
        ? "pass"
        : fail(
            `Content-Type ${actual} is not documented for status ${d.response.status} (documented: ${types.join(", ")})`,
          );
    },
  },
  {
    name: "response_headers_conformance",
    phases: ANSWERED,
    evaluate(ex) {
      if (ex.proxyViolations) {
        const found = ex.proxyViolations.filter((v) => v.location[1] === "headers");
        return found.length ? fail(`Prism proxy: ${found.map((v) => v.message).join("; ")}`) : "skip";
      }
      const d = documented(ex);
      if (!d?.spec) return "skip";
      const problems: string[] = [];
      for (const [name, header] of Object.entries(d.spec.headers)) {
        if (/^content-type$/i.test(name)) continue; // OpenAPI: a Content-Type header definition is ignored
        const value = d.response.headers[name.toLowerCase()];
        if (value === undefined) {
          if (header.required) problems.push(`required header ${name} is missing`);
        } else if (header.schema && !isValidParameter(header.schema, value)) {
          problems.push(`header ${name}: ${JSON.stringify(value)} does not match its schema`);
        }
      }
      return problems.length ? fail(`status ${d.response.status}: ${problems.join("; ")}`) : "pass";
    },
  },
  {
    name: "response_schema_conformance",
    phases: ANSWERED,
    evaluate(ex) {
      if (ex.proxyViolations) {
        const found = ex.proxyViolations.filter((v) => v.location[1] === "body");
        return found.length ? fail(`Prism proxy: ${found.map((v) => v.message).join("; ")}`) : "skip";
      }
      const d = documented(ex);
      if (!d?.spec) return "skip";
      const actual = mediaTypeOf(d.response);
      const mediaType = actual ? matchMediaType(d.spec, actual) : undefined;
      const schema = mediaType ? d.spec.content[mediaType]?.schema : undefined;
      if (!mediaType || !schema || !actual || !isJson(actual)) return "skip";
      let body: unknown;
      try {
        body = JSON.parse(d.response.body);
      } catch {
        return fail(`status ${d.response.status}: the body is not valid JSON`);
      }
      const errors = schemaErrors(schema, body);
      return errors ? fail(`status ${d.response.status} ${mediaType}: ${describeErrors(errors)}`) : "pass";
    },
  },
  {
    name: "negative_data_rejection",
    phases: ["negative"],
    evaluate(ex) {
      if (!ex.response) return "skip";
      const status = ex.response.status;
      return status >= 400 && status < 500
        ? "pass"
        : fail(`invalid request (${ex.case.note}) answered ${status}`);
    },
  },
  {
    name: "positive_data_acceptance",
    phases: ["positive"],
    evaluate(ex) {
      if (!ex.response || ex.proxyViolations) return "skip";
      const status = ex.response.status;
      // A rule the spec states in words (x-conditional-rules) may turn a schema-valid request away with 400.
      if (status === 400 && ex.op.conditionalRules.length) return "pass";
      return status === 400 || status === 422 ? fail(`valid request rejected with ${status}`) : "pass";
    },
  },
  {
    name: "missing_required_header",
    phases: ["missing_header"],
    evaluate(ex) {
      if (!ex.response) return "skip";
      const status = ex.response.status;
      return status >= 400 && status < 500 ? "pass" : fail(`request with ${ex.case.note} answered ${status}`);
    },
  },
  {
    name: "ignored_auth",
    phases: ["auth"],
    evaluate(ex) {
      if (!ex.response) return "skip";
      const status = ex.response.status;
      return status === 401 || status === 403
        ? "pass"
        : fail(`request with ${ex.case.note} answered ${status}`);
    },
  },
];

/** The stateful checks, by name. */
export const STATEFUL_CHECKS: Record<"use_after_free" | "ensure_resource_availability", string> = {
  use_after_free: "a resource answers 404 or 410 (never 2xx) once the operation that deletes it succeeded",
  ensure_resource_availability: "a resource a create operation returned is then readable (2xx)",
};

const is2xx = (ex: Exchange | undefined) =>
  ex?.response !== undefined && ex.response.status >= 200 && ex.response.status < 300;

/** Whether a list reader's answer holds the resource (undefined when the answer is no such list). */
function listHolds(reader: Reader, ex: Exchange, id: string): boolean | undefined {
  const { listed } = reader;
  if (!listed || !ex.response) return undefined;
  try {
    const items = pointer(JSON.parse(ex.response.body), listed.array);
    if (!Array.isArray(items)) return undefined;
    return items.some((item) => String((item as Record<string, unknown>)?.[listed.key]) === id);
  } catch {
    return undefined;
  }
}

const answered = (ex: Exchange) => (ex.response ? `answered ${ex.response.status}` : `failed: ${ex.error}`);

export const STATEFUL: StatefulCheck[] = [
  {
    name: "ensure_resource_availability",
    stateful: true,
    description: STATEFUL_CHECKS.ensure_resource_availability,
    evaluate({ link, create, id, read }) {
      if (!is2xx(create)) return "skip";
      if (id === undefined)
        return fail(`${link.create} answered ${create.response?.status} without an id at ${link.id}`);
      if (!read) return "skip";
      const what = `${link.resource} ${id} created by ${link.create}`;
      if (!is2xx(read)) return fail(`${what}: ${link.read.operation} ${answered(read)}`);
      if (link.read.listed && listHolds(link.read, read, id) !== true)
        return fail(`${what} is missing from ${link.read.operation} (${link.read.listed.array})`);
      return "pass";
    },
  },
  {
    name: "use_after_free",
    stateful: true,
    description: STATEFUL_CHECKS.use_after_free,
    evaluate({ link, id, delete: deleted, readAfterDelete: read }) {
      if (id === undefined || !is2xx(deleted) || !read) return "skip";
      const what = `${link.resource} ${id} deleted by ${link.delete?.operation} (${deleted?.response?.status})`;
      const reader = link.readAfterDelete ?? link.read;
      if (reader.listed) {
        if (!is2xx(read)) return fail(`${what}: ${reader.operation} ${answered(read)}`);
        return listHolds(reader, read, id) === false
          ? "pass"
          : fail(`${what} is still listed by ${reader.operation}`);
      }
      const status = read.response?.status;
      if (status === 404 || status === 410) return "pass";
      return fail(`${what}: ${reader.operation} ${answered(read)}, expected 404 or 410`);
    },
  },
];

/** Checks with a phase of their own (`src/run/methods.ts`, `pagination.ts`, `updates.ts`), by what they judge. */
export const PHASE_CHECKS: Record<
  "unsupported_method" | "pagination_consistency" | "update_applied",
  string
> = {
  unsupported_method:
    "a method the spec does not list on a path is answered 405 with an Allow header that lists the spec's methods",
  pagination_consistency:
    "walking a paginated list page by page gives every item once: no repeats, no gaps, a total that matches",
  update_applied: "after a documented update (PATCH / PUT) answered 2xx, a read shows the fields it sent",
};

/** Why a check did not run on an operation. */
export function notApplicableReason(name: CheckName, phase: Phase | undefined): string {
  if (name in STATEFUL_CHECKS) return "stateful check: needs a stateful target and a resource link";
  if (name in PHASE_CHECKS) return `${name} runs in its own phase (src/run/suite.ts), not here`;
  switch (phase) {
    case "negative":
      return "nothing in the request can be made invalid";
    case "missing_header":
      return "no required header parameter";
    case "auth":
      return "the operation needs no credentials";
    default:
      return "no response it applies to";
  }
}
