/**
 * Why each mutant that survived its lane survived: the check the lane lacks. Read by the report
 * (benchmarks/results/proof-power.md); a survivor without an entry shows its raw detail.
 */
export const survivorExplanations: Readonly<Record<string, string>> = {};
