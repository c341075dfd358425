/**
 * Message parsing: what the sync core calls per stored full message (opt-in per mailbox).
 * Knows MIME, nothing of POP3, AWS or the sync core's ports.
 */
export { extractMessage } from './extract.js';
export { attachmentKey, messageJsonKey, parsedPrefix } from './keys.js';
export { parsedSummary, parseFailedFields, DETAIL_TYPE_MESSAGE_PARSE_FAILED } from './event.js';
export type { EventAttachment, ParsedSummary, ParseFailedFields } from './event.js';
export { parsedObjectMetadata } from './metadata.js';
export type { ParsedObjectMetadata } from './metadata.js';
export { ParseError, PARSE_ERROR_CODES } from './errors.js';
export type { ParseErrorCode } from './errors.js';
export { DEFAULT_PARSE_LIMITS, EVENT_PARSE_LIMITS, resolveParseLimits } from './limits.js';
export type { ParseLimits } from './limits.js';
export type { Address } from './addresses.js';
export type {
  AttachmentInfo, AttachmentSink, ExtractOptions, ExtractResult, MimePart, ParseDefect, ParsedMessage, ParsedObject, StoredJson,
} from './types.js';
