/**
 * RFC 5322 section 3.4 address lists (mailbox, name-addr, group) to { name, address }.
 * Tolerant: real headers break the grammar; whatever cannot be read as an address is kept as
 * text in `address`, never dropped and never thrown.
 */
import { clean, decodeWords } from './header-fields.js';

/** One mailbox. `group` names the RFC 5322 group it was listed in, if any. */
export interface Address {
  name: string;
  address: string;
  group?: string;
}

interface Token {
  type: 'text' | 'quote' | 'comment' | 'angle' | 'op';
  value: string;
}

/**
 * Parses a decoded-to-text (8-bit already read) but not RFC 2047-decoded address list value.
 * Display names are RFC 2047-decoded here, so an encoded comma cannot split an address.
 */
export function parseAddressList(value: string | undefined, max: number, maxChars: number): Address[] {
  if (!value) return [];
  const out: Address[] = [];
  let group: string | undefined;
  let current: Token[] = [];
  const flush = (): void => {
    const address = toAddress(current, maxChars);
    current = [];
    if (address && out.length < max) out.push(group !== undefined ? { ...address, group } : address);
  };
  for (const token of tokenize(value)) {
    if (token.type === 'op' && token.value === ',') flush();
    else if (token.type === 'op' && token.value === ':' && group === undefined && !current.some((t) => t.type === 'angle')) {
      group = clean(decodeWords(joinText(current)), maxChars);
      current = [];
    } else if (token.type === 'op' && token.value === ';') {
      flush();
      group = undefined;
    } else current.push(token);
  }
  flush();
  return out;
}

function toAddress(tokens: Token[], maxChars: number): Address | undefined {
  if (tokens.length === 0) return undefined;
  const angle = tokens.find((t) => t.type === 'angle');
  const comments = tokens.filter((t) => t.type === 'comment').map((t) => t.value);
  const words = tokens.filter((t) => t.type === 'text' || t.type === 'quote' || (t.type === 'op' && t.value !== ','));
  if (angle) {
    const name = joinText(words) || comments.join(' ');
    return { name: clean(decodeWords(name), maxChars), address: clean(angle.value, maxChars) };
  }
  const parts = words.map((t) => t.value);
  const text = parts.some((p) => p.includes('@')) ? parts.join('') : parts.join(' ');
  if (!text && comments.length === 0) return undefined;
  // addr-spec with an optional comment as the display name: "a@b (Name)".
  return { name: clean(decodeWords(comments.join(' ')), maxChars), address: clean(text, maxChars) };
}

function joinText(tokens: Token[]): string {
  return tokens
    .filter((t) => t.type === 'text' || t.type === 'quote')
    .map((t) => t.value)
    .join(' ')
    .trim();
}

function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  const pushText = (): void => {
    if (text.trim()) tokens.push({ type: 'text', value: text.trim() });
    text = '';
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') {
      pushText();
      let q = '';
      for (i++; i < value.length && value[i] !== '"'; i++) q += value[i] === '\\' && i + 1 < value.length ? value[++i] : value[i];
      tokens.push({ type: 'quote', value: q });
    } else if (c === '(') {
      pushText();
      let depth = 1;
      let q = '';
      for (i++; i < value.length && depth > 0; i++) {
        const d = value[i]!;
        if (d === '\\' && i + 1 < value.length) q += value[++i];
        else if (d === '(') {
          depth++;
          q += d;
        } else if (d === ')') {
          depth--;
          if (depth > 0) q += d;
        } else q += d;
      }
      i--;
      tokens.push({ type: 'comment', value: q.trim() });
    } else if (c === '<') {
      pushText();
      const end = value.indexOf('>', i + 1);
      const inner = end < 0 ? value.slice(i + 1) : value.slice(i + 1, end);
      tokens.push({ type: 'angle', value: inner.replace(/\s+/g, '') });
      i = end < 0 ? value.length : end;
    } else if (c === ',' || c === ';' || c === ':') {
      pushText();
      tokens.push({ type: 'op', value: c });
    } else if (c === ' ' || c === '\t') {
      pushText();
    } else text += c;
  }
  pushText();
  return tokens;
}
