/**
 * Federated learning with secure aggregation (survey §7.1): a hospital's participant, the
 * aggregator, record eligibility by consent, the logistic-regression model, the WDBC data set
 * as FHIR records, and an in-process demo consortium for tests and benchmarks.
 */
export * from './ledger.js';
export * from './wdbc.js';
export * from './logreg.js';
export * from './eligibility.js';
export * from './participant.js';
export * from './aggregator.js';
export * from './importRecords.js';
export * from './demo.js';
export * from './services.js';
