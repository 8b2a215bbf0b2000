/**
 * How one attempt reaches the server. The runtime hands a transport the final URL and headers and
 * expects a `Response` back whose JSON or text body has already been read, so that a stalled or
 * cut body fails the attempt (and can be retried) instead of hanging the caller later.
 */

/** What the runtime sends on one attempt. */
export interface TransportRequest {
  method: string;
  headers: Headers;
  /** The body, read once and replayed on every attempt. */
  body: ArrayBuffer | undefined;
  /** Aborts on the attempt's timeout, the deadline, or the caller's signal. */
  signal: AbortSignal;
  redirect: RequestRedirect;
}

/** Sends one attempt; JSON and text bodies must be fully read before it resolves. */
export type Transport = (url: string, request: TransportRequest) => Promise<Response>;

/** Whether a body of this content type is read inside the attempt (binary bodies stream through). */
export function isBufferedType(contentType: string | null): boolean {
  return contentType !== null && (contentType.includes("json") || contentType.startsWith("text/"));
}

/** Statuses whose responses carry no body. */
export function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

function init(request: TransportRequest): RequestInit & { duplex?: "half" } {
  const out: RequestInit = {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    redirect: request.redirect,
  };
  if (request.body !== undefined) out.body = request.body;
  return out;
}

/** Runs attempts through `fetch` (the global one by default), the transport outside Node. */
export function fetchTransport(fetchImpl: typeof fetch = (input, init) => fetch(input, init)): Transport {
  return async (url, request) => bufferBody(await fetchImpl(url, init(request)), url);
}

/** Runs attempts through a fetch that takes a `Request` (openapi-fetch's `fetch` option). */
export function requestTransport(fetchImpl: (request: Request) => Promise<Response>): Transport {
  return async (url, request) => bufferBody(await fetchImpl(new Request(url, init(request))), url);
}

async function bufferBody(response: Response, url: string): Promise<Response> {
  if (!response.body || !isBufferedType(response.headers.get("content-type"))) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  return new BufferedResponse(bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    url: response.url || url,
  });
}

const decoder = new TextDecoder();

/**
 * A `Response` whose body was read inside the attempt. `json()`, `text()` and the other readers
 * work on the bytes in hand instead of replaying them through a stream (which costs more than the
 * whole HTTP exchange on loopback); `body` still gives a stream for code that wants one.
 */
export class BufferedResponse extends Response {
  readonly #bytes: Uint8Array<ArrayBuffer> | null;
  readonly #url: string;
  #used = false;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;

  constructor(bytes: Uint8Array<ArrayBuffer> | null, init: ResponseInit & { url: string }) {
    super(null, init);
    this.#bytes = bytes;
    this.#url = init.url;
  }

  override get url(): string {
    return this.#url;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream !== undefined) return this.#stream;
    const bytes = this.#bytes;
    if (bytes === null) {
      this.#stream = null;
      return null;
    }
    const used = () => {
      this.#used = true;
    };
    this.#stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(controller) {
        used();
        if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
        controller.close();
      },
      cancel: used,
    });
    return this.#stream;
  }

  override get bodyUsed(): boolean {
    return this.#used;
  }

  #take(): Uint8Array<ArrayBuffer> {
    if (this.#used || this.#stream?.locked)
      throw new TypeError("Body is unusable: Body has already been read");
    this.#used = this.#bytes !== null;
    return this.#bytes ?? new Uint8Array(0);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }

  override async text(): Promise<string> {
    return decoder.decode(this.#take());
  }

  override async json(): Promise<unknown> {
    return JSON.parse(decoder.decode(this.#take()));
  }

  override async blob(): Promise<Blob> {
    const type = this.headers.get("content-type") ?? "";
    return new Blob([await this.arrayBuffer()], { type });
  }

  override async formData(): Promise<FormData> {
    const { status, statusText, headers } = this;
    return new Response(this.#take(), { status, statusText, headers }).formData();
  }

  override clone(): Response {
    if (this.#used || this.#stream?.locked)
      throw new TypeError("Response.clone: Body has already been consumed");
    return new BufferedResponse(this.#bytes, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
      url: this.#url,
    });
  }
}
