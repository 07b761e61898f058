/** Electronic prescriptions: transaction builders, patient and pharmacy crypto, HTTP client. */
export * from './prescriptions.js';
export * from './alerts.js';
export * from './medicationRequest.js';
export * from './client.js';
