/**
 * The seed of the property tests: fixed, so a run is repeatable, and
 * changeable (`FC_SEED=123 npx vitest run test/property`) to explore further.
 * fast-check prints the seed and the shrunk counterexample of a failure.
 */
export const SEED = Number(process.env.FC_SEED ?? 20_261_123);

export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns };
}
