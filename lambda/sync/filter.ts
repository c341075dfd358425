/**
 * The header filter (types.ts HeaderFilter): decides per message full / headers / skip from
 * LIST's size and the decoded From, To and Subject of its TOP output. Pure.
 */
import { SyncError } from './errors.js';
import type { EventHeaders } from './headers.js';
import type { FilterAction, FilterRule, HeaderFilter } from './types.js';

/** A filter with its patterns compiled once per poll. */
export interface CompiledFilter {
  rules: Array<{ rule: FilterRule; from?: Matcher; to?: Matcher; subject?: Matcher }>;
  otherwise: FilterAction;
}

/** What the filter decided and why (rule index, or -1 for `otherwise`). */
export interface FilterDecision {
  action: FilterAction;
  rule: number;
}

type Matcher = (value: string) => boolean;

/** Compiles patterns: "/re/flags" is a regular expression, anything else a case-insensitive substring. */
export function compileFilter(filter: HeaderFilter): CompiledFilter {
  return {
    otherwise: filter.otherwise,
    rules: filter.rules.map((rule, index) => {
      const compiled: CompiledFilter['rules'][number] = { rule };
      if (rule.from !== undefined) compiled.from = compilePattern(rule.from, index);
      if (rule.to !== undefined) compiled.to = compilePattern(rule.to, index);
      if (rule.subject !== undefined) compiled.subject = compilePattern(rule.subject, index);
      return compiled;
    }),
  };
}

/** First matching rule wins; all of a rule's conditions must hold. A missing header matches as "". */
export function evaluateFilter(filter: CompiledFilter, headers: EventHeaders, listSize: number): FilterDecision {
  for (const [index, r] of filter.rules.entries()) {
    if (r.rule.minSize !== undefined && listSize < r.rule.minSize) continue;
    if (r.rule.maxSize !== undefined && listSize > r.rule.maxSize) continue;
    if (r.from && !r.from(headers.from ?? '')) continue;
    if (r.to && !r.to([headers.to, headers.cc].filter(Boolean).join(', '))) continue;
    if (r.subject && !r.subject(headers.subject ?? '')) continue;
    return { action: r.rule.action, rule: index };
  }
  return { action: filter.otherwise, rule: -1 };
}

function compilePattern(pattern: string, index: number): Matcher {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    try {
      const regex = new RegExp(re[1] ?? '', re[2]);
      return (value) => regex.test(value);
    } catch (cause) {
      throw new SyncError('SYNC_INVALID_POLICY', `Filter rule ${index}: invalid regular expression`, { cause });
    }
  }
  const needle = pattern.toLowerCase();
  return (value) => value.toLowerCase().includes(needle);
}
