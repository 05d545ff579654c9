import { HarnessError } from '../contracts/errors.ts';

/** One entry of a Redfish error's @Message.ExtendedInfo. */
export interface RedfishMessage {
  MessageId?: string;
  Message?: string;
  Resolution?: string;
}

/**
 * A Redfish call the BMC refused. The message names the action (e.g. "VirtualMedia.InsertMedia"), the HTTP
 * status, and the BMC's own error code and messages, so an operator can act on it without the raw body.
 */
export class RedfishError extends HarnessError {
  readonly action: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly messages: RedfishMessage[];

  constructor(action: string, method: string, path: string, status: number, body: unknown) {
    const { code, message, messages } = parseRedfishError(body);
    const detail = [code, message, ...messages.map((m) => m.Message ?? m.MessageId)].filter(Boolean).join('; ');
    super(`Redfish ${action} (${method} ${path}) answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'RedfishError';
    this.action = action;
    this.status = status;
    this.code = code;
    this.messages = messages;
  }
}

function parseRedfishError(body: unknown): { code?: string; message?: string; messages: RedfishMessage[] } {
  if (!body || typeof body !== 'object' || !('error' in body)) {
    return { message: typeof body === 'string' && body ? body.slice(0, 200) : undefined, messages: [] };
  }
  const error = (body as { error: Record<string, unknown> }).error ?? {};
  const info = error['@Message.ExtendedInfo'];
  return {
    code: typeof error.code === 'string' ? error.code : undefined,
    message: typeof error.message === 'string' ? error.message : undefined,
    messages: Array.isArray(info) ? (info as RedfishMessage[]) : [],
  };
}
