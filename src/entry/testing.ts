/** `tributary/testing`: helpers for a project's own tests. */
export { given } from '../testing/decider-spec.js';
