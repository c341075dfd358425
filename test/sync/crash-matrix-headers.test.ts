import { crashMatrix } from './crash-harness.js';

crashMatrix('headers, delete never', { id: 'inbox', mode: 'headers', delete: { kind: 'never' }, limits: {} });
