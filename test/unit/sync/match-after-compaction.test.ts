/**
 * A listing match holds positions in the state's runs. A save seals pending records into a run
 * or merges the runs (compaction) without changing any record: a match memoized across it would
 * read other positions, so a poll could plan, verify or delete by another message's record.
 */
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../../lambda/sync/keys.js';
import { arrayListing } from '../../../lambda/sync/listing.js';
import { emptyState, type SeenEntry } from '../../../lambda/sync/state.js';

const now = new Date('2026-03-01T00:00:00Z');
const kept = (uid: string, firstSeen: string): SeenEntry => ({
  firstSeen, key: messageKey('pfx/', 'inbox', uid, 'full'), kind: 'full', status: 'published', size: 100, listSize: 100, headerHash: 'ab'.repeat(16),
});

describe('a listing match across a save that compacts the state', () => {
  it('reads each listed message by its own record after the runs were merged', () => {
    // Prepare: two runs (two saves), one entry removed since.
    const state = emptyState('inbox', now);
    state.entries.set('a', kept('a', '2026-01-01T00:00:00.000Z'));
    state.entries.set('gone', kept('gone', '2026-01-02T00:00:00.000Z'));
    state.entries.takeChanges();
    state.entries.set('b', kept('b', '2026-02-01T00:00:00.000Z'));
    state.entries.takeChanges();
    state.entries.delete('gone');
    const listing = arrayListing([{ msg: 1, uid: 'b', size: 100 }, { msg: 2, uid: 'a', size: 100 }]);
    expect(state.entries.match(listing).entry(0)?.firstSeen).toBe('2026-02-01T00:00:00.000Z');
    // Act: a save compacts.
    state.entries.takeAll();
    // Assess
    const match = state.entries.match(listing);
    expect([match.entry(0)?.firstSeen, match.entry(1)?.firstSeen]).toEqual(['2026-02-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });
});
