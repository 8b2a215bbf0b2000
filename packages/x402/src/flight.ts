/** SHA-256 of `data` (text is UTF-8), as lowercase hex. */
export async function sha256Hex(data: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What makes two requests the same for sharing a payment: method, URL and a digest of the body. */
export async function requestKey(request: Request): Promise<string> {
  const body = new Uint8Array(await request.clone().arrayBuffer());
  return `${request.method} ${request.url} ${await sha256Hex(body)}`;
}

/**
 * Single flight for paid answers: while the work for a key is running, another caller with that
 * key waits for it instead of starting its own (and paying again). Each caller gets its own copy of
 * the one answer.
 */
export function sharedFlights(): (
  key: string,
  work: () => Promise<Response>,
  onJoin?: () => void,
) => Promise<Response> {
  const flights = new Map<string, Promise<Response>>();
  return async (key, work, onJoin) => {
    let flight = flights.get(key);
    if (flight) {
      onJoin?.();
    } else {
      const started = work();
      flight = started;
      flights.set(key, started);
      const done = () => {
        flights.delete(key);
        // Every caller waiting got its own copy by now: the original's body is not read.
        setTimeout(() => void started.then((r) => r.body?.cancel()).catch(() => undefined), 0);
      };
      started.then(done, done);
    }
    return (await flight).clone();
  };
}
