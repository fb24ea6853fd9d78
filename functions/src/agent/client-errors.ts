/**
 * What Node's HTTP parser refuses before the app sees a request (oversized headers or URL, an
 * unknown method, a malformed request line, Content-Length together with Transfer-Encoding,
 * a request that timed out) gets the error table's JSON like every other failure, not Node's
 * default empty-bodied reply. There is no request or response object at that point, so the reply
 * is written to the socket by hand (the server's `clientError` event), then the connection is
 * closed: after a parse error the rest of the stream cannot be trusted.
 *
 * A socket the client already reset, or one that can no longer be written, is just destroyed.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type ErrorCode, FloeError } from "../../../client/src/errors.js";

/** Node's error on a parse failure: `code` is llhttp's (`HPE_*`), `rawPacket` what was read. */
export interface HttpParserError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/** Errors that mean the client went away: nobody is left to answer. */
const GONE = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

/**
 * The table error for a parser failure, or undefined when the client is gone. `maxHeaderBytes`
 * (the server's limit) tells an oversized request line (414) from oversized headers (431): Node
 * reports both as HPE_HEADER_OVERFLOW.
 */
export function parserErrorReply(error: HttpParserError, maxHeaderBytes: number): FloeError | undefined {
  const code = error.code ?? "";
  if (GONE.has(code)) return undefined;
  let floeCode: ErrorCode = "invalid_request";
  let message = `malformed HTTP request: ${error.message.replace(/^Parse Error: /, "")}`;
  if (code === "HPE_HEADER_OVERFLOW") {
    const lineEnd = error.rawPacket?.indexOf("\r\n") ?? -1;
    if (lineEnd < 0 || lineEnd >= maxHeaderBytes) {
      floeCode = "url_too_long";
      message = `the request line is longer than ${maxHeaderBytes} bytes`;
    } else {
      floeCode = "headers_too_large";
      message = `the request line and headers are longer than ${maxHeaderBytes} bytes`;
    }
  } else if (code === "HPE_INVALID_METHOD") {
    message = "unknown HTTP method or malformed request line";
  } else if (code === "HPE_INVALID_TRANSFER_ENCODING" || code === "HPE_UNEXPECTED_CONTENT_LENGTH") {
    message = "a request may not carry both Content-Length and Transfer-Encoding";
  } else if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    floeCode = "request_timeout";
    message = "the request was not received in time";
  }
  return new FloeError(floeCode, message);
}

/** A complete HTTP/1.1 response carrying `error`'s JSON, closing the connection. */
export function rawErrorResponse(error: FloeError): string {
  const body = JSON.stringify(error.toJSON());
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** The `clientError` listener: answer with the table's JSON when still possible, then close. */
export function answerClientError(error: HttpParserError, socket: Duplex, maxHeaderBytes: number): void {
  const reply = parserErrorReply(error, maxHeaderBytes);
  // An earlier request of this connection still owes its response (Node's `_httpMessage`, set
  // until that response finishes, started or not): HTTP/1.1 answers in order, so a status line
  // written now would be read as THAT request's answer (a produce still committing reported as a
  // definite 400). Reset instead: its outcome is then unknown to the client, which is the truth
  // (test/unit/agent/review-pipelined-client-error.test.ts).
  const inFlight = (socket as { _httpMessage?: unknown })._httpMessage != null;
  if (reply === undefined || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(reply), () => socket.destroy());
}
