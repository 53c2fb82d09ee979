/** The typed API client of the console: every call sends the session's bearer token and answers
 * the parsed JSON, or throws an ApiError in the contract's error shape (a network failure is
 * status 0, code `network`). The types are those of docs/openapi.json the console reads. */

export interface FieldProblem {
  field: string;
  error: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

/** A 422's problems by field (`weekly.mon.0` → its message), for showing each at its input;
 * problems of fields the form does not name are under `""`. Empty for any other error. */
export function fieldErrors(error: unknown, fields?: readonly string[]): Record<string, string> {
  if (!(error instanceof ApiError) || error.status !== 422) return {};
  const found: Record<string, string> = {};
  const problems = error.details.length ? error.details : [{ field: "", error: error.message }];
  for (const { field, error: problem } of problems) {
    const key = fields ? (fields.find((name) => field === name || field.startsWith(`${name}.`)) ?? "") : field;
    const text = key === "" && field ? `${field}: ${problem}` : problem;
    found[key] = found[key] ? `${found[key]}; ${text}` : text;
  }
  return found;
}

/** What a person reads for an error: the API's message with its status. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.isNetwork) return "The API cannot be reached (network). Retrying…";
    return `${error.message} (${error.status})`;
  }
  return error instanceof Error ? error.message : String(error);
}

export type Query = Record<string, string | number | undefined | null>;

export class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
    /** Called on a 401: the token expired or was refused. */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, undefined, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body ?? {});
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  /** The URL of a path (with its query), e.g. for a CSV download link. */
  url(path: string, query?: Query): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
    }
    const text = search.toString();
    return `${this.base}${path}${text ? `?${text}` : ""}`;
  }

  /** A non-JSON answer (CSV, HTML) as text. */
  async text(path: string, query?: Query): Promise<string> {
    const answer = await this.send("GET", path, undefined, query);
    return answer.text();
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const answer = await this.send(method, path, body, query);
    const text = await answer.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  private async send(method: string, path: string, body: unknown, query?: Query): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer: Response;
    try {
      answer = await fetch(this.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (failure) {
      throw new ApiError(0, "network", failure instanceof Error ? failure.message : "network error");
    }
    if (answer.ok) return answer;
    if (answer.status === 401) this.onUnauthorized();
    throw await errorOf(answer);
  }
}

async function errorOf(answer: Response): Promise<ApiError> {
  try {
    const parsed = (await answer.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    const error = parsed.error ?? {};
    const details = Array.isArray(error.details)
      ? error.details.filter((d): d is FieldProblem => typeof d?.field === "string" && typeof d?.error === "string")
      : [];
    return new ApiError(answer.status, error.code ?? "error", error.message ?? answer.statusText, details);
  } catch {
    return new ApiError(answer.status, "error", answer.statusText || `HTTP ${answer.status}`);
  }
}
