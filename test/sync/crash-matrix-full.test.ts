import { crashMatrix } from './crash-harness.js';

crashMatrix('full, delete after-store', { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {} });
