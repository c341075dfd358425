/**
 * Errors of message parsing: a closed catalogue. Every code here means "this message does not
 * parse" and becomes a "Message Parse Failed" event; none is worth a retry (the same bytes give
 * the same answer). Errors of the sink (the store behind it) are not wrapped: they keep their
 * own code and category, so a transient S3 failure stays retryable.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../shared/errors.js';

/** Every code the parser raises (prefix PARSE_), with its category. */
export const PARSE_ERROR_CODES = {
  /** The message is empty, or has no header field at all. */
  PARSE_NO_HEADER: 'permanent',
  /** A header block of one MIME node is larger than maxHeadSize. */
  PARSE_HEADER_TOO_LARGE: 'permanent',
  /** More MIME nodes than maxParts. */
  PARSE_TOO_MANY_PARTS: 'permanent',
  /** Multipart nesting deeper than maxDepth. */
  PARSE_TOO_DEEP: 'permanent',
  /** The MIME splitter rejected the structure for another reason. */
  PARSE_MALFORMED: 'permanent',
  /** The temp file that spools a large attachment could not be written (disk full, no /tmp). */
  PARSE_SPOOL_FAILED: 'transient',
} as const satisfies Record<string, ErrorCategory>;

/** A code from the parser's catalogue. */
export type ParseErrorCode = keyof typeof PARSE_ERROR_CODES;

/** A message that does not parse (or could not be spooled). */
export class ParseError extends catalogueError(PARSE_ERROR_CODES) {
  static {
    keepClassName(this, 'ParseError');
  }
}
