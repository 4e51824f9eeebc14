// A Node-only package whose API meets node:test: consumers get Node types through this
// reference and the @types/node dependency, whatever their tsconfig "types" says.
/// <reference types="node" preserve="true" />
export type { CaseContext, CaseResult, CaseStatus, ConformanceCase, ConformanceTarget } from './case.js';
export { CaseInconclusive, CaseSkipped, ConformanceFailure, SetupFailure, given } from './case.js';
export { ALL_CASES } from './cases/index.js';
export { runConformance, runCase, selectCases, unknownIds } from './runner.js';
export { together, settleAll } from './tasks.js';
export type { RunOptions } from './runner.js';
export { conformance } from './suite.js';
export type { ConformanceOptions, TestFunction } from './suite.js';
export { formatText, formatJson, formatJUnit, summarize } from './report.js';
export type { Summary } from './report.js';
export { loadTarget } from './cli.js';
