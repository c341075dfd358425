import { MIXED_POLICY, crashMatrix } from './crash-harness.js';

// Filter (TOP first, then full / headers / skip) and one message above maxMessageSize.
crashMatrix('filter and oversize, delete after-store', MIXED_POLICY);
