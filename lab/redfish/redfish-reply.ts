/** A Redfish answer: status, JSON body, extra headers. */
export interface RedfishReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Raised by a handler; rendered as a Redfish error body (error.code, message, @Message.ExtendedInfo). */
export class RedfishFault extends Error {
  readonly status: number;
  readonly messageId: string;
  readonly headers: Record<string, string>;
  constructor(status: number, messageId: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.messageId = messageId;
    this.headers = headers;
  }
}

export function errorBody(messageId: string, message: string): unknown {
  return {
    error: {
      code: `Base.1.8.${messageId}`,
      message,
      '@Message.ExtendedInfo': [
        {
          '@odata.type': '#Message.v1_1_1.Message',
          MessageId: `Base.1.8.${messageId}`,
          Message: message,
          Severity: 'Critical',
          Resolution: 'See the message and retry the request once the condition is resolved.',
        },
      ],
    },
  };
}
