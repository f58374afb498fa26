/**
 * Calls to prodkit's server extension (/prodkit/api/...). ServerConnection adds the
 * token and the XSRF header the way every JupyterLab request does.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  ICheckRecord,
  IJobStatus,
  IModelStatus,
  IPromoteStatus,
  IReadinessResult,
  IScheduledJob
} from './records';

/** One part of the panel's data, as the server sends it. */
export interface ISection<T> {
  available: boolean;
  message?: string;
  error?: string;
  data?: T;
}

/** The records the server sends: generated from prodkit/records.py (scripts/gen_panel_types.py). */
export type ICheck = ICheckRecord;
export type IReadiness = IReadinessResult;
/** What POST jobs/schedule answers: the job as added, its store and warnings. */
export type IScheduled = IScheduledJob;

export type Row = Record<string, unknown>;

export interface IStatus {
  notebook: string;
  elapsed_ms: number;
  cached: boolean;
  readiness: ISection<IReadiness>;
  promote: ISection<IPromoteStatus>;
  jobs: ISection<IJobStatus[]>;
  models: ISection<IModelStatus[]>;
}

export interface IAction {
  id: string;
  kind: string;
  notebook: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** 1 = next to start, while queued behind the project's max_concurrency */
  position: number | null;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  message: string;
  result: Row | null;
}

/**
 * An error the server explained, or a network failure. The server's JSON error is
 * `{message: one line, reason, field?}`; `field` names the body key or query argument at fault.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string
  ) {
    super(message);
  }
}

export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  query: Record<string, string> = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.baseUrl, 'prodkit', 'api', endpoint);
  const search = new URLSearchParams(query).toString();
  if (search) {
    url += '?' + search;
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(`cannot reach the Jupyter server: ${error}`, 0);
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body?.message || response.statusText || 'request failed';
    throw new ApiError(message, response.status, typeof body?.field === 'string' ? body.field : undefined);
  }
  return body as T;
}

export function postJSON<T>(endpoint: string, payload: unknown): Promise<T> {
  return requestAPI<T>(endpoint, {
    method: 'POST',
    body: JSON.stringify(payload)
  });
}
