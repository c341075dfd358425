/**
 * The message-level header fields of message.json (subject, addresses, date, ids) from the
 * root header block. Raw 8-bit octets are read with the charset hint of the first text part.
 */
import { parseAddressList } from './addresses.js';
import { decodeText } from './charset.js';
import { ParseError } from './errors.js';
import { decodeValue, firstField, joinedFields, messageIds, parseDate, splitHeaderBlock } from './header-fields.js';
import type { ParseLimits } from './limits.js';
import type { ParseDefect, ParsedMessage } from './types.js';

/** The header-derived part of a ParsedMessage. */
export type EnvelopeFields = Pick<ParsedMessage, 'subject' | 'from' | 'sender' | 'replyTo' | 'to' | 'cc' | 'bcc' | 'date' | 'dateRaw' | 'messageId' | 'inReplyTo' | 'references'>;

/** Decodes the root header block; adds what it notices to `defects`. Throws PARSE_NO_HEADER. */
export function envelopeFields(rootHeader: Uint8Array | undefined, hint: string | undefined, limits: ParseLimits, defects: Set<ParseDefect>): EnvelopeFields {
  if (!rootHeader) throw new ParseError('PARSE_NO_HEADER', 'the message is empty');
  const fields = splitHeaderBlock(rootHeader);
  if (fields.length === 0) throw new ParseError('PARSE_NO_HEADER', 'the message has no header field');
  const max = limits.maxValueChars;
  const value = (name: string): string | undefined => {
    const raw = firstField(fields, name);
    if (raw === undefined) return undefined;
    const decoded = decodeValue(raw, hint, max);
    if (decoded.rawCharset) defects.add('raw-8bit-header');
    return decoded.text;
  };
  const addresses = (name: string) => {
    const raw = joinedFields(fields, name);
    if (raw === undefined) return [];
    // 8-bit octets are read first (with the hint); encoded words are decoded per display name,
    // so an encoded comma cannot split an address.
    let text = raw;
    if (/[\x80-\xff]/.test(raw)) {
      defects.add('raw-8bit-header');
      text = decodeText(Buffer.from(raw, 'latin1'), undefined, hint).text;
    }
    return parseAddressList(text, limits.maxAddresses, max);
  };
  const dateRaw = value('date');
  const date = parseDate(firstField(fields, 'date'));
  if (dateRaw && !date) defects.add('invalid-date');
  const subject = value('subject');
  const messageId = messageIds(firstField(fields, 'message-id'), 1, max)[0];
  return {
    ...(subject !== undefined ? { subject } : {}),
    from: addresses('from'),
    sender: addresses('sender'),
    replyTo: addresses('reply-to'),
    to: addresses('to'),
    cc: addresses('cc'),
    bcc: addresses('bcc'),
    ...(date ? { date } : {}),
    ...(dateRaw ? { dateRaw } : {}),
    ...(messageId ? { messageId } : {}),
    inReplyTo: messageIds(firstField(fields, 'in-reply-to'), limits.maxReferences, max),
    references: messageIds(firstField(fields, 'references'), limits.maxReferences, max),
  };
}
