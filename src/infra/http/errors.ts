// Moved: the catalogue is in the contract (client-sdk/src/contract/errors.ts), AppError in
// src/infra/app-error.ts. This re-export keeps in-flight imports working; it goes once none is left.
export { ERROR_CATALOGUE as ERRORS } from '@lineup/client-sdk/contract';
export { AppError, type ErrorBody, type ErrorCode } from '../app-error.js';
