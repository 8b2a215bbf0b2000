/** What the suite needs of a target once it is open for one provider (the targets implement it). */
export interface TargetSession {
  baseUrl: string;
  /** The raw credential of a security scheme (placed by the request builder per the scheme), if any. */
  credential(schemeName: string): string | undefined;
  close(): Promise<void>;
  /** Where deliberately invalid requests go (negative data, missing credentials); default `baseUrl`. */
  probeBaseUrl?: string;
  /** `false` when any well-formed credential is accepted (a mock): `ignored_auth` then only leaves credentials out. */
  verifiesCredentials?: boolean;
  /** Base URL written into curl lines, e.g. `${SPECYARD_LIVE_ATELIER_URL}`; default `baseUrl`. */
  curlBaseUrl?: string;
  /** A sandbox's own URL, for its admin surface (`/__sandbox/actions/<name>`, `/__sandbox/clock`). */
  adminUrl?: string;
}
