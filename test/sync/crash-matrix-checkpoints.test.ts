import { crashMatrix } from './crash-harness.js';

// A clock that moves 3 s per read: the seen-state is checkpointed after nearly every publish batch,
// so every intermediate state write is a crash point too.
crashMatrix('full, delete after-store, checkpoint per batch', { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {} }, 3_000);
